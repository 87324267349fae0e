// Internal: the table of elementwise SIMD kernels one Highway target provides
// (elementwise_simd.cpp), and the scalar per-element loops they fall back to
// (elementwise.cpp). Each kernel processes a contiguous block [0, n) and returns the
// saturations it counted.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/elementwise.h"
#include "kernels/gemm.h"

namespace fixar::kern::detail {

struct ElementwiseKernels {
  std::uint64_t (*fixed_adam)(const FixedAdamConstants& c, std::int32_t* w, const std::int32_t* g,
                              std::int64_t* m, std::int64_t* rms, std::size_t n) = nullptr;
  void (*float_adam)(const FloatAdamConstants& c, float* w, const float* g, float* m, float* v,
                     std::size_t n) = nullptr;
  void (*soft_update)(std::int64_t tau_q30, num::Quant q, const std::int32_t* src, std::int32_t* dst,
                      std::size_t n) = nullptr;
  // Right shift by 1..62 with rounding q, then saturate to [lo, hi]; (kSaturate only).
  std::uint64_t (*shift_saturate_i16)(const std::int32_t* x, int shift, num::Quant q, std::int64_t lo,
                                      std::int64_t hi, std::int16_t* out, std::size_t n) = nullptr;
  std::uint64_t (*shift_saturate_i32)(const std::int32_t* x, int shift, num::Quant q, std::int64_t lo,
                                      std::int64_t hi, std::int32_t* out, std::size_t n) = nullptr;
};

// Scalar loops (the references), callable on any sub-range. `first` is the index of
// w[0] in the whole buffer: the counter of its stochastic-rounding bits. The SIMD kernels
// are never called with kStochastic (the drivers run the reference then).
std::uint64_t FixedAdamScalar(const FixedAdamConstants& c, std::int32_t* w, const std::int32_t* g,
                              std::int64_t* m, std::int64_t* rms, std::size_t n, std::size_t first = 0);

void FloatAdamScalar(const FloatAdamConstants& c, float* w, const float* g, float* m, float* v, std::size_t n);

// The kernels of a SIMD path (throws for kReference or an unsupported path).
const ElementwiseKernels& ElementwiseKernelsFor(Path p);

// Entry of a HWY_EXPORT table that HWY_DYNAMIC_DISPATCH would use for a path's target
// (defined in gemm_simd.cpp); p must be a SIMD path.
std::size_t HighwayDispatchIndex(Path p);

}  // namespace fixar::kern::detail
