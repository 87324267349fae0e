// Uniform experience replay with compact storage.
//
// A transition (s, a, r, s', terminated) is stored as float32 in one flat row, so a
// 1 M-transition HalfCheetah buffer takes (17 + 6 + 1 + 17 + 1) · 4 B = 168 MB.
// Sampling is uniform and seeded by a counter-based generator (sample k of call t is a
// pure function of seed, t and k), which makes a resumed run draw the same batches.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "util/binary_io.h"

namespace fixar::rl {

struct Batch {
  int size = 0;
  std::vector<double> obs, action, reward, next_obs, not_terminated;  // row-major
};

class ReplayBuffer {
 public:
  ReplayBuffer(std::int64_t capacity, int obs_dim, int action_dim);

  void Add(std::span<const double> obs, std::span<const double> action, double reward,
           std::span<const double> next_obs, bool terminated);
  // Fills `out` with `batch` transitions drawn uniformly with replacement; `draw` is the
  // index of this sampling call (the trainer passes its step count).
  void Sample(int batch, std::uint64_t seed, std::uint64_t draw, Batch& out) const;

  std::int64_t size() const { return size_; }
  std::int64_t capacity() const { return capacity_; }
  // Bytes of stored transitions (the reserved address space is committed only as used).
  std::size_t bytes() const { return static_cast<std::size_t>(size_) * row() * sizeof(float); }

  void Save(util::ByteWriter& w) const;
  void Load(util::ByteReader& r);

 private:
  int row() const { return 2 * obs_dim_ + action_dim_ + 2; }
  std::int64_t capacity_;
  int obs_dim_, action_dim_;
  std::int64_t size_ = 0, next_ = 0;
  std::vector<float> data_;  // grows to capacity·row() as transitions arrive
};

}  // namespace fixar::rl
