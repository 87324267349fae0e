#include "accel/aap/array_engine.h"

namespace fixar::aap {

template <typename TA, typename TB, typename TC>
kern::Stats ArrayGemmEngine::RunOne(const kern::GemmArgs<TA, TB, TC>& a, const kern::OutputStage& s) {
  const FunctionalStats f = RunGemmOnArray(cfg_, a, s);
  totals_ += f;
  ++products_;
  kern::Stats k;
  k.saturations = f.saturations;
  return k;
}

#define FIXAR_ARRAY_ENGINE_RUN(TA, TB, TC)                                                          \
  kern::Stats ArrayGemmEngine::Run(const kern::GemmArgs<TA, TB, TC>& a, const kern::OutputStage& s) { \
    return RunOne(a, s);                                                                           \
  }
FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_ARRAY_ENGINE_RUN)
#undef FIXAR_ARRAY_ENGINE_RUN

}  // namespace fixar::aap
