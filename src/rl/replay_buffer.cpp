#include "rl/replay_buffer.h"

#include <new>
#include <stdexcept>

#include <fmt/format.h>

#include "numerics/rounding.h"

namespace fixar::rl {

ReplayBuffer::ReplayBuffer(std::int64_t capacity, int obs_dim, int action_dim)
    : capacity_(capacity), obs_dim_(obs_dim), action_dim_(action_dim) {
  if (capacity < 1) throw std::invalid_argument(fmt::format("replay buffer capacity = {}; valid: >= 1", capacity));
  // Reserve address space once (pages are committed only as transitions are written),
  // so growing never copies a large buffer.
  try {
    data_.reserve(static_cast<std::size_t>(capacity) * row());
  } catch (const std::bad_alloc&) {
    throw std::invalid_argument(fmt::format(
        "a replay buffer of {} transitions ({:.1f} GB) cannot be reserved on this machine; lower ddpg.buffer_size",
        capacity, static_cast<double>(capacity) * row() * sizeof(float) / 1e9));
  } catch (const std::length_error&) {
    throw std::invalid_argument(
        fmt::format("a replay buffer of {} transitions is larger than this machine can address; lower ddpg.buffer_size",
                    capacity));
  }
}

void ReplayBuffer::Add(std::span<const double> obs, std::span<const double> action, double reward,
                       std::span<const double> next_obs, bool terminated) {
  if (static_cast<int>(obs.size()) != obs_dim_ || static_cast<int>(next_obs.size()) != obs_dim_ ||
      static_cast<int>(action.size()) != action_dim_)
    throw std::invalid_argument(fmt::format("replay buffer: transition sizes obs {}, action {}, next {}; expected {}, {}, {}",
                                            obs.size(), action.size(), next_obs.size(), obs_dim_, action_dim_, obs_dim_));
  const std::size_t r = row();
  if (static_cast<std::int64_t>(data_.size()) < (next_ + 1) * static_cast<std::int64_t>(r)) data_.resize((next_ + 1) * r);
  float* p = data_.data() + next_ * r;
  for (double v : obs) *p++ = static_cast<float>(v);
  for (double v : action) *p++ = static_cast<float>(v);
  *p++ = static_cast<float>(reward);
  for (double v : next_obs) *p++ = static_cast<float>(v);
  *p = terminated ? 0.0f : 1.0f;
  next_ = (next_ + 1) % capacity_;
  if (size_ < capacity_) ++size_;
}

void ReplayBuffer::Sample(int batch, std::uint64_t seed, std::uint64_t draw, Batch& out) const {
  if (size_ == 0) throw std::logic_error("replay buffer: Sample() on an empty buffer");
  out.size = batch;
  out.obs.resize(static_cast<std::size_t>(batch) * obs_dim_);
  out.next_obs.resize(out.obs.size());
  out.action.resize(static_cast<std::size_t>(batch) * action_dim_);
  out.reward.resize(batch);
  out.not_terminated.resize(batch);
  const std::size_t r = row();
  for (int i = 0; i < batch; ++i) {
    // Uniform index in [0, size): the high 64 bits of a 64×64 product (Lemire's method, bias < 2^-40).
    const std::uint64_t bits = num::CounterRandomBits(seed, draw * 65536u + static_cast<std::uint64_t>(i));
    const auto idx = static_cast<std::int64_t>((static_cast<num::uint128>(bits) * static_cast<std::uint64_t>(size_)) >> 64);
    const float* p = data_.data() + idx * r;
    for (int j = 0; j < obs_dim_; ++j) out.obs[i * obs_dim_ + j] = *p++;
    for (int j = 0; j < action_dim_; ++j) out.action[i * action_dim_ + j] = *p++;
    out.reward[i] = *p++;
    for (int j = 0; j < obs_dim_; ++j) out.next_obs[i * obs_dim_ + j] = *p++;
    out.not_terminated[i] = *p;
  }
}

void ReplayBuffer::Save(util::ByteWriter& w) const {
  w.Put(capacity_);
  w.Put(obs_dim_);
  w.Put(action_dim_);
  w.Put(size_);
  w.Put(next_);
  w.PutVectorView(data_);  // by reference: a 1 M-transition buffer is ~170 MB
}

void ReplayBuffer::Load(util::ByteReader& r) {
  const auto capacity = r.Get<std::int64_t>();
  const auto obs = r.Get<int>(), act = r.Get<int>();
  if (capacity != capacity_ || obs != obs_dim_ || act != action_dim_)
    throw std::runtime_error(fmt::format("checkpoint replay buffer is {} × (obs {}, action {}), this run expects {} × ({}, {})",
                                         capacity, obs, act, capacity_, obs_dim_, action_dim_));
  const auto size = r.Get<std::int64_t>(), next = r.Get<std::int64_t>();
  // Add's invariants: size transitions stored in the first size rows; the next write goes
  // after them, or anywhere once the buffer is full and wrapping.
  if (size < 0 || size > capacity_ || next < 0 || next >= capacity_ || (size < capacity_ && next != size))
    throw std::runtime_error(fmt::format("checkpoint replay buffer holds {} transitions with the next at {}; "
                                         "inconsistent for capacity {}", size, next, capacity_));
  auto data = r.GetVector<float>(static_cast<std::size_t>(size) * row());
  size_ = size;
  next_ = next;
  data_ = std::move(data);
}

}  // namespace fixar::rl
