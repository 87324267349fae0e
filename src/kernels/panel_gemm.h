// Float products whose operands are addressed by row offsets: the convolution layers'
// matrix products (src/cnn/conv_fast.cpp) without materialising an im2col matrix and
// without GemmF32's per-call packing of B.
//
//   A_i[k] = A[a_rows[i] + k]                                         i < M, k < K
//   B_k[n] = B[(n / NR) * panel_stride + b_rows[k] + n % NR]          n < num_panels * NR
//   C[i * ldc + n] = start + Σ_k A_i[k] · B_k[n]     (start: 0, or C's value when accumulating)
//
// NR = PanelWidth(). Two layouts of B use this:
//   * panels: B is k-major in blocks of NR columns (b_rows[k] = k * NR, panel_stride =
//     K * NR), e.g. a convolution's output gradient with the positions along k;
//   * shifted rows: panel_stride = NR and every row of B is a contiguous run of the same
//     buffer at its own offset, e.g. a zero-padded input plane seen through kernel tap
//     (ky, kx): row (c, ky, kx) starts at c*plane + ky*Wp + kx (implicit im2col).
// Every element of B_k[0 .. num_panels*NR) must be readable (the caller pads).
//
// Summation order: each C element adds its K products in k order onto its start value,
// one fused multiply-add at a time on the SIMD paths (a plain multiply and add on the
// reference path), whatever the internal blocking; a result depends on the inputs and
// the path only, never on threads. Single-threaded: callers split their work (the
// convolution splits a batch into chunks of samples).
#pragma once

#include <cstddef>

namespace fixar::kern {

struct PanelGemmArgs {
  int M = 0, K = 0;
  const float* A = nullptr;
  const std::ptrdiff_t* a_rows = nullptr;  // M offsets
  const float* B = nullptr;
  const std::ptrdiff_t* b_rows = nullptr;  // K offsets
  std::ptrdiff_t panel_stride = 0;
  int num_panels = 0;
  float* C = nullptr;
  int ldc = 0;  // >= num_panels * NR
  bool accumulate = false;
};

// NR of the path in force (ActivePath): 2 SIMD vectors of floats (32 on AVX-512, 16 on
// AVX2, 8 on SSE4); 16 on the reference path.
int PanelWidth();

void PanelGemmF32(const PanelGemmArgs& args);

// The scalar definition, for any panel width (tests compare the SIMD path with it).
void PanelGemmF32Reference(int NR, const PanelGemmArgs& args);

}  // namespace fixar::kern
