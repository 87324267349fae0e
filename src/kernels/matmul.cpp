#include "kernels/matmul.h"

#include "kernels/detail/operands.h"

namespace fixar::kern {

template <>
void MatMul<float>(const GemmArgs<float, float, float>& args, const float* bias) {
  FloatStage stage;
  stage.bias = bias;
  GemmF32(args, stage);
}

template <>
void MatMul<double>(const GemmArgs<double, double, double>& g, const double* bias) {
  detail::ValidateArgs(g, "kern::MatMul<double>");
  for (int i = 0; i < g.M; ++i)
    for (int j = 0; j < g.N; ++j) {
      double acc = bias ? bias[j] : 0.0;
      for (int k = 0; k < g.K; ++k) acc += detail::OperandA(g, i, k) * detail::OperandB(g, j, k);
      g.C[static_cast<long>(i) * g.ldc + j] = acc;
    }
}

}  // namespace fixar::kern
