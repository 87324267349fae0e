// A test fixture that restores the kernel path and thread count a test changed.
#pragma once

#include <gtest/gtest.h>

#include "kernels/gemm.h"
#include "kernels/parallel.h"

namespace fixar::kern {

class KernelState : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_path_ = ActivePath();
    saved_threads_ = NumThreads();
  }
  void TearDown() override {
    ForcePath(saved_path_);
    SetNumThreads(saved_threads_);
  }
  Path saved_path_ = Path::kReference;
  int saved_threads_ = 1;
};

}  // namespace fixar::kern
