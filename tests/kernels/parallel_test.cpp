#include "kernels/parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <vector>

namespace fixar::kern {
namespace {

TEST(BlockRange, CoversAllWithoutOverlapAndAligns) {
  for (int n : {0, 1, 7, 64, 301}) {
    for (int parts : {1, 2, 3, 8}) {
      for (int align : {1, 8}) {
        int expected_begin = 0;
        for (int p = 0; p < parts; ++p) {
          const Range r = BlockRange(n, parts, p, align);
          EXPECT_EQ(r.begin, expected_begin);
          EXPECT_LE(r.begin, r.end);
          if (r.end < n) {
            EXPECT_EQ(r.end % align, 0);
          }
          expected_begin = r.end;
        }
        EXPECT_EQ(expected_begin, n);
      }
    }
  }
  EXPECT_THROW(BlockRange(10, 0, 0), std::invalid_argument);
  EXPECT_THROW(BlockRange(10, 2, 2), std::invalid_argument);
}

TEST(ParallelFor, RunsEveryTaskOnceForAnyThreadCount) {
  for (int threads : {1, 2, 3}) {
    SetNumThreads(threads);
    EXPECT_EQ(NumThreads(), threads);
    for (int rep = 0; rep < 200; ++rep) {
      const int tasks = 1 + rep % 9;
      std::vector<std::atomic<int>> hits(tasks);
      ParallelFor(tasks, [&](int t) { hits[t].fetch_add(1); });
      for (int t = 0; t < tasks; ++t) ASSERT_EQ(hits[t].load(), 1) << "task " << t;
    }
  }
  SetNumThreads(2);
}

TEST(ParallelFor, NestedCallsRunSerially) {
  SetNumThreads(2);
  std::atomic<int> total{0};
  ParallelFor(4, [&](int) { ParallelFor(3, [&](int) { total.fetch_add(1); }); });
  EXPECT_EQ(total.load(), 12);
}

TEST(ParallelFor, PropagatesExceptions) {
  SetNumThreads(2);
  EXPECT_THROW(ParallelFor(4, [](int t) { if (t == 3) throw std::runtime_error("task 3"); }),
               std::runtime_error);
  std::atomic<int> after{0};  // the pool still works afterwards
  ParallelFor(4, [&](int) { after.fetch_add(1); });
  EXPECT_EQ(after.load(), 4);
}

TEST(SetNumThreads, RejectsOutOfRange) {
  EXPECT_THROW(SetNumThreads(0), std::invalid_argument);
  EXPECT_THROW(SetNumThreads(257), std::invalid_argument);
}

}  // namespace
}  // namespace fixar::kern
