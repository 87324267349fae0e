#include "nn/optim.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::nn {

using num::int128;
using num::uint128;

void AdamConfig::validate(const char* where) const {
  if (!(lr > 0 && lr < 1)) throw std::invalid_argument(fmt::format("{}: lr = {}; valid: (0, 1)", where, lr));
  if (!(beta1 >= 0 && beta1 < 1)) throw std::invalid_argument(fmt::format("{}: beta1 = {}; valid: [0, 1)", where, beta1));
  if (!(beta2 >= 0 && beta2 < 1)) throw std::invalid_argument(fmt::format("{}: beta2 = {}; valid: [0, 1)", where, beta2));
  if (!(eps > 0)) throw std::invalid_argument(fmt::format("{}: eps = {}; valid: > 0", where, eps));
}

void FloatAdam::Resize(std::size_t n) {
  m.assign(n, 0.0f);
  v.assign(n, 0.0f);
}

void FloatAdam::Step(const AdamConfig& c, std::int64_t t, std::span<float> w, std::span<const float> g) {
  const float b1 = static_cast<float>(c.beta1), b2 = static_cast<float>(c.beta2);
  const float c1 = static_cast<float>(1.0 / (1.0 - std::pow(c.beta1, static_cast<double>(t))));
  const float c2 = static_cast<float>(1.0 / (1.0 - std::pow(c.beta2, static_cast<double>(t))));
  const float lr = static_cast<float>(c.lr), eps = static_cast<float>(c.eps);
  for (std::size_t i = 0; i < w.size(); ++i) {
    m[i] = b1 * m[i] + (1.0f - b1) * g[i];
    v[i] = b2 * v[i] + (1.0f - b2) * g[i] * g[i];
    w[i] -= lr * (m[i] * c1) / (std::sqrt(v[i] * c2) + eps);
  }
}

num::Format RmsFormat(const num::Format& gradient) { return num::Signed(32, gradient.frac_bits + 6); }

std::uint64_t IntegerSqrt(uint128 x) {
  if (x == 0) return 0;
  // A double estimate, then exact integer correction: r = floor(√x) satisfies r² <= x < (r+1)².
  // For x < 2^64 the correction stays in 128-bit products of 64-bit values.
  uint128 r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(x)));
  while (r * r > x) --r;
  while ((r + 1) * (r + 1) <= x) ++r;
  return static_cast<std::uint64_t>(r);
}

void FixedAdam::Resize(std::size_t n) {
  m.assign(n, 0);
  rms.assign(n, 0);
}

std::uint64_t FixedAdam::Step(const AdamConfig& c, std::int64_t t, const FixedAdamFormats& f,
                              std::span<std::int32_t> w, std::span<const std::int32_t> g) {
  constexpr int kQ = 30;     // fraction bits of the β constants and bias corrections
  constexpr int kLrQ = 40;   // fraction bits of the learning rate
  constexpr int kRatioQ = 26;  // m̂ is shifted up by this much before the division (fits 63 bits)
  const auto q30 = [](double x) { return static_cast<std::int64_t>(std::llround(std::ldexp(x, kQ))); };
  const std::int64_t one = std::int64_t{1} << kQ;
  const std::int64_t b1 = q30(c.beta1), b2 = q30(c.beta2);
  const std::int64_t c1 = q30(1.0 / (1.0 - std::pow(c.beta1, static_cast<double>(t))));
  const std::int64_t c2 = q30(1.0 / std::sqrt(1.0 - std::pow(c.beta2, static_cast<double>(t))));
  const std::int64_t lr = std::llround(std::ldexp(c.lr, kLrQ));
  const int Fg = f.gradient.frac_bits, Fr = f.rms.frac_bits, Fw = f.weight.frac_bits;
  const std::int64_t eps = std::max<long long>(1, std::llround(std::ldexp(c.eps, Fr)));  // at √v̂'s scale
  const num::Format mfmt = num::Signed(32, Fg);
  const int g2_shift = 2 * (Fr - Fg);           // g² (frac 2Fg) aligned to r² (frac 2Fr)
  const int qfrac = Fg + kRatioQ - Fr;          // fraction bits of m̂ / √v̂
  const int step_shift = qfrac + kLrQ - Fw;     // lr · ratio → weight LSB
  const num::Quant rq = f.rounding;
  std::uint64_t sat = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const std::int64_t gi = g[i];
    // m ← β1·m + (1−β1)·g            (both products < 2^61: exact in 64 bits; frac Fg+30 → Fg)
    m[i] = static_cast<std::int32_t>(num::HandleOverflow(
        num::RoundingShiftRight64(b1 * m[i] + (one - b1) * gi, kQ, rq), mfmt, f.overflow, &sat));
    // r ← √(β2·r² + (1−β2)·g²): r² and g² at 2·Fr fraction bits (< 2^62), the β mix in
    // 128 bits, back to 2·Fr bits (floor), then the exact floor square root at Fr bits.
    const std::uint64_t r2 = static_cast<std::uint64_t>(static_cast<std::int64_t>(rms[i]) * rms[i]);
    const num::uint128 g2 = static_cast<num::uint128>(static_cast<std::uint64_t>(gi * gi)) << g2_shift;
    const num::uint128 mix = (static_cast<num::uint128>(r2) * static_cast<std::uint64_t>(b2) +
                              g2 * static_cast<std::uint64_t>(one - b2)) >> kQ;
    const std::uint64_t root = IntegerSqrt(mix);
    rms[i] = static_cast<std::int32_t>(num::Saturate(root, f.rms, &sat));
    // m̂ = m·c1, √v̂ = r·c2 (frac Fg and Fr after the Q30 products), ratio = m̂/(√v̂ + ε)
    // as a 64-bit integer division at qfrac bits, Δ = lr·ratio rounded to the weight LSB.
    const std::int64_t mhat = static_cast<std::int64_t>((static_cast<num::int128>(m[i]) * c1) >> kQ);
    const std::int64_t den = static_cast<std::int64_t>((static_cast<num::int128>(rms[i]) * c2) >> kQ) + eps;
    std::int64_t ratio = (mhat * (std::int64_t{1} << kRatioQ)) / den;
    // |m̂/√v̂| stays below ~3.2 in Adam; a clamp far above that keeps lr·ratio inside 64 bits.
    constexpr std::int64_t kRatioLimit = std::int64_t{1} << 33;
    if (ratio > kRatioLimit || ratio < -kRatioLimit) {
      ratio = ratio > 0 ? kRatioLimit : -kRatioLimit;
      ++sat;
    }
    const std::int64_t delta = step_shift > 0 ? num::RoundingShiftRight64(lr * ratio, step_shift, rq)
                                              : (lr * ratio) * (std::int64_t{1} << -step_shift);
    w[i] = static_cast<std::int32_t>(num::HandleOverflow(static_cast<std::int64_t>(w[i]) - delta, f.weight, f.overflow, &sat));
  }
  return sat;
}

}  // namespace fixar::nn
