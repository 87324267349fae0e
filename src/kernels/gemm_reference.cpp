// The scalar references: the definition of what every fast path must compute.
// Plain loops over the layout-independent views A'(i,k), B'(j,k); integer sums in
// int128 (exact for any K that fits in memory); output stage via num::Requantize.
#include <algorithm>

#include "kernels/detail/operands.h"
#include "kernels/gemm.h"
#include "numerics/rounding.h"

namespace fixar::kern {

template <typename TA, typename TB, typename TC>
Stats GemmReference(const GemmArgs<TA, TB, TC>& g, const OutputStage& s) {
  detail::ValidateArgs(g, "kern::GemmReference");
  detail::ValidateStage(s, 8 * sizeof(TC), "kern::GemmReference");
  Stats stats;
  for (int i = 0; i < g.M; ++i) {
    for (int j = 0; j < g.N; ++j) {
      num::int128 acc = 0;
      for (int k = 0; k < g.K; ++k) {
        acc += static_cast<num::int128>(static_cast<std::int64_t>(detail::OperandA(g, i, k)) *
                                        static_cast<std::int64_t>(detail::OperandB(g, j, k)));
      }
      if (s.bias != nullptr) acc += s.bias[j];
      const std::uint64_t counter = static_cast<std::uint64_t>(i) * g.N + j;
      const std::uint64_t random_bits =
          s.quant == num::Quant::kStochastic ? num::CounterRandomBits(s.seed, counter) : 0;
      std::int64_t v = num::Requantize(acc, s.acc_frac_bits, s.out, s.quant, s.overflow,
                                       random_bits, &stats.saturations);
      if (s.relu) v = std::max<std::int64_t>(v, 0);
      g.C[static_cast<long>(i) * g.ldc + j] = static_cast<TC>(v);
    }
  }
  return stats;
}

void GemmF32Reference(const GemmArgs<float, float, float>& g, const FloatStage& s) {
  detail::ValidateArgs(g, "kern::GemmF32Reference");
  for (int i = 0; i < g.M; ++i) {
    for (int j = 0; j < g.N; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < g.K; ++k) acc += detail::OperandA(g, i, k) * detail::OperandB(g, j, k);
      if (s.bias != nullptr) acc += s.bias[j];
      if (s.relu) acc = std::max(acc, 0.0f);
      g.C[static_cast<long>(i) * g.ldc + j] = acc;
    }
  }
}

#define FIXAR_INSTANTIATE_GEMM_REFERENCE(TA, TB, TC) \
  template Stats GemmReference<TA, TB, TC>(const GemmArgs<TA, TB, TC>&, const OutputStage&);
FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_INSTANTIATE_GEMM_REFERENCE)
#undef FIXAR_INSTANTIATE_GEMM_REFERENCE

}  // namespace fixar::kern
