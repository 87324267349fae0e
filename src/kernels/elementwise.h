// Elementwise operations of training, in SIMD: the fixed-point Adam update, the float32
// Adam update (the one float Adam of nn and cnn), the soft (Polyak) target update, and
// requantization of an int32 buffer into a narrower format.
//
// Each has a scalar reference (the definition) and a Highway path per kernel Path, chosen
// like the matrix products (ActivePath(), FIXAR_KERNEL_PATH). The SIMD paths are bit-identical to the reference
// for every input: a vector whose values leave the range where 64-bit lanes provably
// equal the reference's 128-bit arithmetic is handed to the reference, lane by lane.
// Large buffers are split over the thread pool in fixed blocks; saturation counts are
// summed, so results and counts do not depend on the thread count.
//
// Stochastic rounding (num::Quant::kStochastic): element i of a call rounds with the
// random bits num::CounterRandomBits(seed, i), i its index in the whole buffer, so the
// result depends on the seed and the values only. Those calls run the scalar reference
// on every path (in the same fixed blocks over the thread pool).
#pragma once

#include <cstdint>
#include <span>

#include "numerics/format.h"

namespace fixar::kern {

// The per-step constants of fixed-point Adam (see nn/optim.h for the arithmetic).
struct FixedAdamConstants {
  static constexpr int kQ = 30;       // fraction bits of b1, b2, c1, c2
  static constexpr int kRatioQ = 26;  // m̂ is shifted up by this before the division
  static constexpr std::int64_t kRatioLimit = std::int64_t{1} << 33;
  std::int64_t b1 = 0, b2 = 0;  // the mixes of m and of r² in Q30 (β1; β2 or nn's per-step a_t)
  std::int64_t c1 = 0, c2 = 0;  // scales of m and of r in Q30 (1/(1−β1^t); 1 when r is √v̂)
  std::int64_t lr = 0;          // learning rate in Q40
  std::int64_t eps = 1;         // ε at the scale of √v̂ (rms fraction bits), >= 1
  int g2_shift = 0;             // 2·(F_rms − F_g): g² aligned to r²
  int m_shift = 0;              // F_m − F_g (0..16): g aligned to m
  int step_shift = 0;           // fraction bits of lr·ratio minus the weight's
  num::Format m_format, rms_format, weight_format;
  num::Quant rounding = num::Quant::kHalfEven;
  num::Overflow overflow = num::Overflow::kSaturate;
  std::uint64_t seed = 0;  // kStochastic: the step Δ of element i rounds with CounterRandomBits(seed, i)
};

// One Adam step on w (weight format) from g (gradient format), with the first moment m
// (m format) and the root r (rms format), both in 64-bit storage (they need the
// gradient's range and more fraction bits, nn/optim.h); all arrays of the same length.
// Returns the saturations it counted.
std::uint64_t FixedAdamUpdate(const FixedAdamConstants& c, std::span<std::int32_t> w,
                              std::span<const std::int32_t> g, std::span<std::int64_t> m,
                              std::span<std::int64_t> rms);
std::uint64_t FixedAdamUpdateReference(const FixedAdamConstants& c, std::span<std::int32_t> w,
                                       std::span<const std::int32_t> g, std::span<std::int64_t> m,
                                       std::span<std::int64_t> rms);

// ---- float32 Adam: the one float Adam of nn (nn::FloatAdam) and cnn (cnn::Optimizer) ----
// Per element, these IEEE single-precision operations in this order (never fused into a
// multiply-add, on any path: every SIMD lane rounds like the reference):
//   g' = g + decay·w                 (only when add_decay; cnn adds it even when decay = 0)
//   m ← b1·m + (1−b1)·g'             v ← b2·v + ((1−b2)·g')·g'
//   w ← w − (lr·(m·c1)) / (√(v·c2) + eps)
struct FloatAdamConstants {
  float b1 = 0.9f, b2 = 0.999f;
  float lr = 0;            // the step's scale
  float c1 = 1, c2 = 1;    // scales of m and of v before the step (bias corrections, or 1)
  float eps = 0;
  bool add_decay = false;  // L2 weight decay added to the gradient
  float decay = 0;
};
// Where Adam's bias corrections 1/(1−β1^t) and 1/(1−β2^t) go. The two give different
// roundings; each caller keeps its own, so its results stay what they were.
enum class AdamBiasCorrection : std::uint8_t {
  kOnMoments,       // c1 = 1/(1−β1^t), c2 = 1/(1−β2^t); lr and ε as given        (nn)
  kFoldedIntoStep,  // c1 = c2 = 1; lr·√(1−β2^t)/(1−β1^t) and ε·√(1−β2^t)          (cnn)
};
// The constants of step t (1-based); each value rounded to float once, from double.
FloatAdamConstants MakeFloatAdamConstants(AdamBiasCorrection where, double lr, double beta1, double beta2,
                                          double eps, std::int64_t t);
// One Adam step on w from g with the moments m and v; all arrays of the same length.
void FloatAdamUpdate(const FloatAdamConstants& c, std::span<float> w, std::span<const float> g,
                     std::span<float> m, std::span<float> v);
void FloatAdamUpdateReference(const FloatAdamConstants& c, std::span<float> w, std::span<const float> g,
                              std::span<float> m, std::span<float> v);

// max |x[i]| (0 for an empty buffer; 2^31 for INT32_MIN): the bound of a weight or gradient
// buffer that the products (GemmArgs::b_max_abs) and the dynamic formats need, one SIMD
// pass on the active path.
std::int64_t MaxAbs(std::span<const std::int32_t> x);
std::int64_t MaxAbs(std::span<const std::int16_t> x);
std::int64_t MaxAbsReference(std::span<const std::int32_t> x);
std::int64_t MaxAbsReference(std::span<const std::int16_t> x);

// dst ← RoundingShiftRight64(τ·src + (2^30 − τ)·dst, 30, q), τ in Q30 (0 <= τ <= 2^30):
// an exact convex combination (each product < 2^61), rounded once.
void SoftUpdate(std::int64_t tau_q30, num::Quant q, std::span<const std::int32_t> src,
                std::span<std::int32_t> dst, std::uint64_t seed = 0);
void SoftUpdateReference(std::int64_t tau_q30, num::Quant q, std::span<const std::int32_t> src,
                         std::span<std::int32_t> dst, std::uint64_t seed = 0);

// out[i] = num::Requantize(x[i], from_frac, to, q, o, CounterRandomBits(seed, i) for
// kStochastic), counting overflows into the return value. `to.word_bits` must fit the
// output type.
std::uint64_t RequantizeBuffer(std::span<const std::int32_t> x, int from_frac, const num::Format& to,
                               num::Quant q, num::Overflow o, std::span<std::int16_t> out,
                               std::uint64_t seed = 0);
std::uint64_t RequantizeBuffer(std::span<const std::int32_t> x, int from_frac, const num::Format& to,
                               num::Quant q, num::Overflow o, std::span<std::int32_t> out,
                               std::uint64_t seed = 0);
std::uint64_t RequantizeBufferReference(std::span<const std::int32_t> x, int from_frac,
                                        const num::Format& to, num::Quant q, num::Overflow o,
                                        std::span<std::int16_t> out,
                               std::uint64_t seed = 0);
std::uint64_t RequantizeBufferReference(std::span<const std::int32_t> x, int from_frac,
                                        const num::Format& to, num::Quant q, num::Overflow o,
                                        std::span<std::int32_t> out,
                               std::uint64_t seed = 0);

}  // namespace fixar::kern
