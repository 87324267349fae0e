// Optimizers: Adam in float and in fixed point.
//
// Adam (Kingma & Ba):  m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;
//                      w ← w − lr · m̂ / (√v̂ + ε),  m̂ = m/(1−β1^t), v̂ = v/(1−β2^t).
// Float Adam is kern::FloatAdamUpdate (kernels/elementwise.h: scalar reference and SIMD
// paths), shared with cnn's optimizer; FloatAdam holds its state and applies m̂ and v̂.
//
// Fixed-point Adam (what an accelerator's Adam unit computes, integer ops only):
//  * β1, 1−β1, the per-step mix a_t, 1−a_t (below) and the bias correction 1/(1−β1^t) are
//    Q30 constants (the per-step ones computed once per step by the host, like a lookup
//    table); 1−β is formed as 2^30 − β so the averages stay exact convex mixes.
//  * m has the gradient's integer bits and 6 more fraction bits (like r below; 64-bit
//    storage), and its update rounds toward zero whatever the datapath's rounding mode.
//    Rounded to nearest, β1·(±1 LSB) = ±0.9 LSB rounds back to ±1 LSB: once a weight's
//    gradient stops (a dead ReLU unit), m sticks while r decays to 0, and lr·m/(r + ε)
//    becomes a constant drift (at F_g: ~6·lr per step; on HalfCheetah it pinned ~750 of the
//    critic's second-layer weights at the format's limit ±128 within 200 k steps). Rounded
//    toward zero at F_g, m has a dead zone instead: m = trunc(0.9·m + 0.1·g) stays 0 for any
//    |g| < 10 LSB, so small consistent gradients (the actor's) never move their weights.
//    With 6 more fraction bits the dead zone is 10/64 of a gradient LSB.
//  * The second moment is kept as its bias-corrected square root r = √v̂, with the
//    gradient's integer bits and 6 more fraction bits (ap_fixed<38, 8> for 32-bit
//    gradients; 64-bit storage, as an Adam unit would keep a 38-bit register per weight).
//    v̂ follows its own recurrence, a convex mix with per-step Q30 constants:
//    v̂_t = a_t·v̂_{t−1} + (1−a_t)·g², a_t = β2·(1−β2^(t−1))/(1−β2^t) (a_1 = 0), so
//    √v̂ = r with no correction. Why this shape: as v itself, 32 bits cannot hold both
//    (1−β2)·g² of small gradients (1e-5² · 1e-3) and g² of large ones (v underflows and the
//    step becomes lr·m/ε, thousands of times too large); with only the gradient's fraction
//    bits, the floor of the root loses ~1 LSB per step, a bias that β2 = 0.999 amplifies
//    ~1000× for small gradients (measured: 9e-5 weight error after 200 steps); with 6 more
//    fraction bits in 32 bits, r was capped at 2 while |g| reached 128 (the critic's first
//    layer on HalfCheetah then took steps up to 60× Adam's; docs/results/). As the root of
//    an average of g², r never exceeds max |g|: it cannot saturate. Update: the mix at
//    2·F_r fraction bits (floor), then r ← floor(√·), an exact integer square root.
//  * The ratio m̂ / (r + ε) is an integer division (truncating) at F_m + 26 − F_r fraction
//    bits (2^-26), Δ = lr · ratio (lr in Q40) rounded to the weight LSB with the
//    datapath's rounding mode. Products of values beyond 2^31 use 128 bits.
// The error against float Adam is measured in nn tests (optim_test.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "numerics/format.h"
#include "numerics/rounding.h"

namespace fixar::nn {

struct AdamConfig {
  double lr = 1e-4;  // FIXAR: 1e-4 for actor and critic (fixar.md)
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  void validate(const char* where) const;
};

class FloatAdam {
 public:
  void Resize(std::size_t n);
  // Updates w in place from g; t is the 1-based step count.
  void Step(const AdamConfig& c, std::int64_t t, std::span<float> w, std::span<const float> g);
  std::vector<float> m, v;
};

struct FixedAdamFormats {
  num::Format weight, gradient, rms;  // rms: the format of r = √v
  num::Quant rounding = num::Quant::kHalfEven;
  num::Overflow overflow = num::Overflow::kSaturate;
};
// The formats of m and of r = √v̂ used with a gradient format (see above).
num::Format MomentFormat(const num::Format& gradient);
num::Format RmsFormat(const num::Format& gradient);

class FixedAdam {
 public:
  void Resize(std::size_t n);
  // w (weight format) updated in place from g (gradient format); returns saturations.
  // rounding_seed: the random bits of stochastic rounding (kern::FixedAdamConstants::seed).
  std::uint64_t Step(const AdamConfig& c, std::int64_t t, const FixedAdamFormats& f, std::span<std::int32_t> w,
                     std::span<const std::int32_t> g, std::uint64_t rounding_seed = 0);
  // Moves m and r from the formats of gradient format `from` to those of `to` (the
  // binary point moves by the difference of fraction bits: a right shift rounds half to
  // even, a left shift saturates); returns saturations. For dynamic gradient formats.
  std::uint64_t Rescale(const num::Format& from, const num::Format& to);
  std::vector<std::int64_t> m, rms;  // MomentFormat, RmsFormat: up to 38 bits, so stored in 64
};

}  // namespace fixar::nn
