#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "numerics/observer.h"

namespace fixar::num {
namespace {

TEST(RangeObserver, RunningKeepsTheExtremesOfEverything) {
  RangeObserver obs(RangeKind::kRunning);
  EXPECT_TRUE(obs.empty());
  const std::vector<float> a{1.0f, -2.0f, 0.5f}, b{3.0f, -1.0f};
  obs.Observe(a.data(), 3);
  obs.Observe(b.data(), 2);
  EXPECT_DOUBLE_EQ(obs.min(), -2.0);
  EXPECT_DOUBLE_EQ(obs.max(), 3.0);
  EXPECT_EQ(obs.observations(), 2);
}

// Raw fixed-point values (the contiguous integer fast path) scaled by the LSB, the same
// as the general per-row loop over a strided view of the same values.
TEST(RangeObserver, IntegerTensorsScaleByTheLsb) {
  const std::vector<std::int32_t> a{5, -7, 3, 1 << 30, -(1 << 30) - 1};
  RangeObserver fast(RangeKind::kRunning), strided(RangeKind::kRunning);
  fast.Observe(a.data(), 3, 0.5);
  EXPECT_EQ(fast.min(), -3.5);
  EXPECT_EQ(fast.max(), 2.5);
  fast.Observe(a.data() + 3, 2, 0.5);
  std::vector<std::int32_t> spread;
  for (auto v : a) spread.insert(spread.end(), {v, 0});
  strided.Observe(spread.data(), 5, 0.5, 2);
  EXPECT_EQ(fast.min(), strided.min());
  EXPECT_EQ(fast.max(), strided.max());
  EXPECT_EQ(fast.max(), 0.5 * (1 << 30));
}

TEST(RangeObserver, LastBatchAndMovingAverage) {
  const std::vector<double> a{0.0, 10.0}, b{-2.0, 2.0};
  RangeObserver last(RangeKind::kLastBatch), ema(RangeKind::kMovingAverage, 1, 0.5);
  for (auto* o : {&last, &ema}) {
    o->Observe(a.data(), 2);
    o->Observe(b.data(), 2);
  }
  EXPECT_DOUBLE_EQ(last.min(), -2.0);
  EXPECT_DOUBLE_EQ(last.max(), 2.0);
  EXPECT_DOUBLE_EQ(ema.min(), -1.0);  // 0 + 0.5 * (-2 - 0)
  EXPECT_DOUBLE_EQ(ema.max(), 6.0);   // 10 + 0.5 * (2 - 10)
}

TEST(RangeObserver, PerChannelOnFixedPointRawValues) {
  // Two rows of three channels, raw ints with 8 fraction bits.
  const std::vector<std::int32_t> raw{256, -512, 0, -128, 1024, 64};
  RangeObserver obs(RangeKind::kRunning, 3);
  obs.Observe(raw.data(), 2, 1.0 / 256);
  EXPECT_DOUBLE_EQ(obs.min(0), -0.5);
  EXPECT_DOUBLE_EQ(obs.max(0), 1.0);
  EXPECT_DOUBLE_EQ(obs.min(1), -2.0);
  EXPECT_DOUBLE_EQ(obs.max(1), 4.0);
  EXPECT_DOUBLE_EQ(obs.max(2), 0.25);
  EXPECT_DOUBLE_EQ(obs.overall_min(), -2.0);
  EXPECT_DOUBLE_EQ(obs.max_abs(), 4.0);
  obs.Reset();
  EXPECT_TRUE(obs.empty());
}

TEST(RangeObserver, RejectsBadConfiguration) {
  EXPECT_THROW(RangeObserver(RangeKind::kRunning, 0), std::invalid_argument);
  EXPECT_THROW(RangeObserver(RangeKind::kMovingAverage, 1, 0.0), std::invalid_argument);
  EXPECT_THROW(parse_range_kind("median"), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::num
