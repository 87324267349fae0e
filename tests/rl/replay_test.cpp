#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <set>
#include <tuple>
#include <vector>

#include "rl/replay_buffer.h"

namespace fixar::rl {
namespace {

TEST(ReplayBuffer, StoresTransitionsAndWrapsAround) {
  ReplayBuffer b(3, 2, 1);
  for (int i = 0; i < 5; ++i) {
    const double o[2] = {double(i), -double(i)}, a[1] = {0.5}, n[2] = {i + 1.0, 0};
    b.Add(o, a, 10.0 * i, n, i == 4);
  }
  EXPECT_EQ(b.size(), 3);
  Batch batch;
  std::set<double> rewards;
  for (int draw = 0; draw < 50; ++draw) {
    b.Sample(4, 1, draw, batch);
    for (int i = 0; i < 4; ++i) {
      rewards.insert(batch.reward[i]);
      EXPECT_EQ(batch.obs[2 * i], batch.reward[i] / 10.0);           // the row stays together
      EXPECT_EQ(batch.next_obs[2 * i], batch.obs[2 * i] + 1.0);
      EXPECT_EQ(batch.not_terminated[i], batch.reward[i] == 40.0 ? 0.0 : 1.0);
    }
  }
  EXPECT_EQ(rewards, (std::set<double>{20.0, 30.0, 40.0}));  // the oldest two were overwritten
}

TEST(ReplayBuffer, SamplingIsAPureFunctionOfSeedAndDraw) {
  ReplayBuffer b(100, 1, 1);
  for (int i = 0; i < 100; ++i) {
    const double o[1] = {double(i)}, a[1] = {0};
    b.Add(o, a, i, o, false);
  }
  Batch x, y, z;
  b.Sample(16, 5, 42, x);
  b.Sample(16, 5, 41, z);
  b.Sample(16, 5, 42, y);
  EXPECT_EQ(x.reward, y.reward);
  EXPECT_NE(x.reward, z.reward);
}

TEST(ReplayBuffer, RejectsWrongSizesAndChecksCheckpointShape) {
  ReplayBuffer b(10, 2, 1);
  const double o[3] = {0, 0, 0}, a[1] = {0};
  EXPECT_THROW(b.Add(std::span<const double>(o, 3), a, 0, std::span<const double>(o, 2), false), std::invalid_argument);
  util::ByteWriter w;
  b.Save(w);
  ReplayBuffer other(10, 3, 1);
  const auto bytes = w.Flatten();
  util::ByteReader r(bytes.data(), bytes.size(), "test");
  EXPECT_THROW(other.Load(r), std::runtime_error);
}

// A checkpoint's count, next index and stored rows must agree with the capacity: a count
// beyond the stored rows made Sample read past the array (seen writing fuzz/rl_checkpoint).
TEST(ReplayBuffer, LoadRefusesInconsistentCounts) {
  ReplayBuffer b(4, 1, 1);
  const double o[1] = {0.5}, a[1] = {0.25};
  for (int i = 0; i < 2; ++i) b.Add(o, a, i, o, false);
  // ReplayBuffer::Save's layout, written with resize + memcpy (GCC 12 -O2 reports a false
  // -Wstringop-overflow for ByteWriter's inserts once this lambda is inlined).
  auto saved = [&](std::int64_t size, std::int64_t next, std::size_t rows) {
    std::vector<std::uint8_t> out;
    auto put = [&out](const void* p, std::size_t n) {
      out.resize(out.size() + n);
      std::memcpy(out.data() + out.size() - n, p, n);
    };
    const std::int64_t capacity = 4, count = static_cast<std::int64_t>(rows * 5);  // row = 2·obs + action + 2
    const int dim = 1;
    const std::vector<float> data(rows * 5, 1.0f);
    put(&capacity, 8), put(&dim, 4), put(&dim, 4), put(&size, 8), put(&next, 8), put(&count, 8);
    if (!data.empty()) put(data.data(), data.size() * sizeof(float));
    return out;
  };
  for (const auto& [size, next, rows] : {std::tuple<std::int64_t, std::int64_t, std::size_t>{3, 3, 2}, {2, 3, 2},
                                         {-1, 0, 0}, {5, 1, 5}, {4, 4, 4}, {4, -1, 4}}) {
    const auto bytes = saved(size, next, rows);
    util::ByteReader r(bytes.data(), bytes.size(), "test");
    EXPECT_THROW(b.Load(r), std::runtime_error) << size << " " << next << " " << rows;
    EXPECT_EQ(b.size(), 2);  // unchanged
  }
  for (const auto& [size, next, rows] : {std::tuple<std::int64_t, std::int64_t, std::size_t>{2, 2, 2}, {4, 1, 4},
                                         {0, 0, 0}}) {
    const auto bytes = saved(size, next, rows);
    util::ByteReader r(bytes.data(), bytes.size(), "test");
    b.Load(r);
    EXPECT_EQ(b.size(), size);
  }
}

}  // namespace
}  // namespace fixar::rl
