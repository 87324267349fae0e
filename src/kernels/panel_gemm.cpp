// Panel products (panel_gemm.h): the scalar reference and the choice of path. The SIMD
// kernels are in panel_gemm_simd.cpp.
#include "kernels/panel_gemm.h"

#include <stdexcept>
#include <string>

#include "kernels/detail/panel_kernels.h"
#include "kernels/gemm.h"

namespace fixar::kern {
namespace {
constexpr int kReferenceWidth = 16;

void CheckArgs(int NR, const PanelGemmArgs& g, const char* where) {
  const bool pointers = (g.M == 0 || (g.A && g.a_rows && g.C)) && (g.K == 0 || (g.B && g.b_rows));
  if (g.M < 0 || g.K < 0 || g.num_panels < 0 || g.ldc < g.num_panels * NR || !pointers)
    throw std::invalid_argument(std::string(where) + ": bad arguments NR=" + std::to_string(NR) + " M=" +
                                std::to_string(g.M) + " K=" + std::to_string(g.K) + " panels=" +
                                std::to_string(g.num_panels) + " ldc=" + std::to_string(g.ldc) +
                                " (need ldc >= panels * NR and non-null operands)");
}
}  // namespace

int PanelWidth() {
  const Path p = ActivePath();
  return p == Path::kReference ? kReferenceWidth : detail::PanelKernelsFor(p).width;
}

void PanelGemmF32Reference(int NR, const PanelGemmArgs& g) {
  CheckArgs(NR, g, "kern::PanelGemmF32Reference");
  for (int i = 0; i < g.M; ++i)
    for (long n = 0; n < static_cast<long>(g.num_panels) * NR; ++n) {
      float* c = g.C + static_cast<long>(i) * g.ldc + n;
      float acc = g.accumulate ? *c : 0.0f;
      const std::ptrdiff_t b_col = (n / NR) * g.panel_stride + n % NR;
      for (int k = 0; k < g.K; ++k) acc += g.A[g.a_rows[i] + k] * g.B[b_col + g.b_rows[k]];
      *c = acc;
    }
}

void PanelGemmF32(const PanelGemmArgs& args) {
  const Path p = ActivePath();
  if (p == Path::kReference) return PanelGemmF32Reference(kReferenceWidth, args);
  const auto& k = detail::PanelKernelsFor(p);
  CheckArgs(k.width, args, "kern::PanelGemmF32");
  if (args.M == 0 || args.num_panels == 0) return;
  k.gemm(args);
}

}  // namespace fixar::kern
