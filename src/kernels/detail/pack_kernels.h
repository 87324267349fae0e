// Internal: the packing kernels one Highway target provides (pack_simd.cpp) for the
// integer products' panels of int16 pairs (gemm.cpp, PackPanelPairs).
#pragma once

#include <cstdint>

#include "kernels/gemm.h"

namespace fixar::kern::detail {

struct PackKernels {
  // Panel of B' for kNT (B's rows run along k): dst[(p·NR + c)·2 + h] = B[(j0 + c)·ldb + 2p + h]
  // for c < cols, p < K / 2, h < 2, i.e. the 32-bit pairs of `cols` rows transposed into
  // pair-major rows of NR words. The odd last k and the padding are the caller's.
  void (*pairs_nt)(const std::int16_t* B, int ldb, int j0, int cols, int K, int NR, std::int16_t* dst) = nullptr;
};

// The kernels of a SIMD path (throws for kReference or an unsupported path).
const PackKernels& PackKernelsFor(Path p);

}  // namespace fixar::kern::detail
