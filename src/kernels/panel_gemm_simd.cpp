// SIMD kernels of the panel products (panel_gemm.h), written once with Google Highway
// and compiled per x86 target like gemm_simd.cpp.
//
// Register tile: R rows of C x NR = 2 vectors (8 x 32 on AVX-512's 32 registers, 4 x 16
// on AVX2 and 4 x 8 on SSE4 with 16 registers). Per k: two loads of B's row, R broadcasts
// of A, 2R fused multiply-adds. Blocking (why): the k range is cut into blocks of
// kBlockK so that a panel's block (kBlockK x NR floats, 32 KB on AVX-512) stays in L1
// while every row block of A passes over it; the tile then starts from C's partial sums,
// which continues the same chain of fused multiply-adds, so blocking never changes a bit.

#include "kernels/detail/hwy_targets.h"  // first: the targets every dispatch table shares

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>

#include "kernels/detail/elementwise_kernels.h"
#include "kernels/detail/panel_kernels.h"
#include "kernels/detail/path_table.h"
#include "kernels/detail/simd_kernels.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/panel_gemm_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace fixar::kern::detail {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
PanelKernels GetPanelKernels() { return PanelKernels{}; }
#else

namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using VF = hn::Vec<DF>;

constexpr int kRows = HWY_TARGET <= HWY_AVX3 ? 8 : 4;
constexpr int kBlockK = 256;

// C rows c[r] (NR floats each) = (load ? c : 0) + Σ_{k<K} a[r][k] · b[b_rows[k]].
HWY_INLINE void Tile(const float* const* a, int K, const float* b, const std::ptrdiff_t* b_rows, float* const* c,
                     bool load) {
  const DF df;
  const std::size_t L = hn::Lanes(df);
  VF acc0[kRows], acc1[kRows];
  for (int r = 0; r < kRows; ++r) {
    acc0[r] = load ? hn::LoadU(df, c[r]) : hn::Zero(df);
    acc1[r] = load ? hn::LoadU(df, c[r] + L) : hn::Zero(df);
  }
  for (int k = 0; k < K; ++k) {
    const float* bk = b + b_rows[k];
    const VF b0 = hn::LoadU(df, bk), b1 = hn::LoadU(df, bk + L);
    for (int r = 0; r < kRows; ++r) {
      const VF x = hn::Set(df, a[r][k]);
      acc0[r] = hn::MulAdd(x, b0, acc0[r]);
      acc1[r] = hn::MulAdd(x, b1, acc1[r]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    hn::StoreU(acc0[r], df, c[r]);
    hn::StoreU(acc1[r], df, c[r] + L);
  }
}

void Gemm(const PanelGemmArgs& g) {
  const int NR = static_cast<int>(2 * hn::Lanes(DF()));
  // Rows past M read the last row of A and write here; their results are dropped.
  alignas(64) float spill[2 * HWY_MAX_BYTES / sizeof(float)];
  const float* a[kRows];
  float* c[kRows];
  for (int k0 = 0; k0 < std::max(g.K, 1); k0 += kBlockK) {
    const int kc = std::min(kBlockK, g.K - k0);
    const bool load = g.accumulate || k0 > 0;
    for (int q = 0; q < g.num_panels; ++q) {
      const float* b = g.B + q * g.panel_stride;
      for (int i0 = 0; i0 < g.M; i0 += kRows) {
        for (int r = 0; r < kRows; ++r) {
          const int i = std::min(i0 + r, g.M - 1);
          a[r] = g.A + g.a_rows[i] + k0;
          c[r] = i0 + r < g.M ? g.C + static_cast<std::ptrdiff_t>(i0 + r) * g.ldc + q * NR : spill;
        }
        Tile(a, kc, b, g.b_rows + k0, c, load);
      }
    }
  }
}

PanelKernels GetPanelKernels() {
  PanelKernels k;
  k.width = static_cast<int>(2 * hn::Lanes(DF()));
  k.gemm = &Gemm;
  return k;
}
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace fixar::kern::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace fixar::kern::detail {

HWY_EXPORT(GetPanelKernels);

const PanelKernels& PanelKernelsFor(Path p) {
  static const PathTable<PanelKernels> table(HWY_DISPATCH_TABLE(GetPanelKernels), "PanelKernelsFor");
  return table.For(p);
}

}  // namespace fixar::kern::detail
#endif  // HWY_ONCE
