// Runs every integer product of the software engine on the modelled PE array.
//
// Installed with kern::SetIntegerGemmEngine (ScopedArrayEngine does it for a scope),
// it routes kern::Gemm to RunGemmOnArray: a whole training step (rl::Ddpg::Update, all
// layers forward and backward, both QAT phases) then computes its products in the
// accelerator's order — column-wise decomposition, per-core partial sums, cross-core
// reduction, 32-bit operands as hi/lo 16-bit halves — and tests show it gives exactly the
// bits of the kernels (tests/accel/aap/test_whole_update.cpp).
#pragma once

#include "accel/aap/config.h"
#include "accel/aap/functional.h"
#include "kernels/gemm.h"

namespace fixar::aap {

class ArrayGemmEngine final : public kern::IntegerGemmEngine {
 public:
  explicit ArrayGemmEngine(AccelConfig cfg) : cfg_(std::move(cfg)) {}
#define FIXAR_ARRAY_ENGINE_RUN(TA, TB, TC) \
  kern::Stats Run(const kern::GemmArgs<TA, TB, TC>& a, const kern::OutputStage& s) override;
  FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_ARRAY_ENGINE_RUN)
#undef FIXAR_ARRAY_ENGINE_RUN

  const FunctionalStats& totals() const { return totals_; }  // summed over every product run
  std::uint64_t products() const { return products_; }

 private:
  template <typename TA, typename TB, typename TC>
  kern::Stats RunOne(const kern::GemmArgs<TA, TB, TC>& a, const kern::OutputStage& s);
  AccelConfig cfg_;
  FunctionalStats totals_;
  std::uint64_t products_ = 0;
};

// Installs an engine for the lifetime of this object, then restores the previous one.
class ScopedArrayEngine {
 public:
  explicit ScopedArrayEngine(ArrayGemmEngine& engine) : previous_(kern::CurrentIntegerGemmEngine()) {
    kern::SetIntegerGemmEngine(&engine);
  }
  ~ScopedArrayEngine() { kern::SetIntegerGemmEngine(previous_); }
  ScopedArrayEngine(const ScopedArrayEngine&) = delete;
  ScopedArrayEngine& operator=(const ScopedArrayEngine&) = delete;

 private:
  kern::IntegerGemmEngine* previous_;
};

}  // namespace fixar::aap
