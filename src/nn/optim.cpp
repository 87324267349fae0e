#include "nn/optim.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/elementwise.h"

namespace fixar::nn {

using num::int128;

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
  // Bias corrections applied to the moments (kern::AdamBiasCorrection::kOnMoments).
  kern::FloatAdamUpdate(
      kern::MakeFloatAdamConstants(kern::AdamBiasCorrection::kOnMoments, c.lr, c.beta1, c.beta2, c.eps, t), w, g, m,
      v);
}

num::Format MomentFormat(const num::Format& gradient) { return RmsFormat(gradient); }

num::Format RmsFormat(const num::Format& gradient) {
  return num::Signed(gradient.word_bits + 6, gradient.frac_bits + 6);
}

void FixedAdam::Resize(std::size_t n) {
  m.assign(n, 0);
  rms.assign(n, 0);
}

std::uint64_t FixedAdam::Rescale(const num::Format& from, const num::Format& to) {
  const int shift = to.frac_bits - from.frac_bits;
  if (shift == 0) return 0;
  std::uint64_t sat = 0;
  for (auto [v, f] : {std::pair{&m, MomentFormat(to)}, {&rms, RmsFormat(to)}})
    for (auto& x : *v) {
      const int128 y = shift > 0 ? num::SaturatingShiftLeft(x, shift)
                                 : num::RoundingShiftRight(x, -shift, num::Quant::kHalfEven);
      x = num::Saturate(y, f, &sat);
    }
  return sat;
}

std::uint64_t FixedAdam::Step(const AdamConfig& c, std::int64_t t, const FixedAdamFormats& f,
                              std::span<std::int32_t> w, std::span<const std::int32_t> g, std::uint64_t rounding_seed) {
  // The per-step constants (the host's part); the per-element arithmetic, described in
  // optim.h, is kern::FixedAdamUpdate (scalar reference and bit-identical SIMD paths).
  using K = kern::FixedAdamConstants;
  constexpr int kLrQ = 40;  // fraction bits of the learning rate
  const auto q30 = [](double x) { return static_cast<std::int64_t>(std::llround(std::ldexp(x, K::kQ))); };
  K k;
  k.b1 = q30(c.beta1);
  // r holds the bias-corrected root √v̂ (see optim.h): v̂_t = a_t·v̂_{t−1} + (1−a_t)·g² with
  // a_t = β2·(1−β2^(t−1)) / (1−β2^t), a convex mix, so no √ correction is applied after it.
  const double td = static_cast<double>(t);
  k.b2 = q30(c.beta2 * (1.0 - std::pow(c.beta2, td - 1.0)) / (1.0 - std::pow(c.beta2, td)));
  k.c1 = q30(1.0 / (1.0 - std::pow(c.beta1, td)));
  k.c2 = q30(1.0);
  k.lr = std::llround(std::ldexp(c.lr, kLrQ));
  const int Fg = f.gradient.frac_bits, Fr = f.rms.frac_bits, Fw = f.weight.frac_bits;
  k.eps = std::max<long long>(1, std::llround(std::ldexp(c.eps, Fr)));  // at √v̂'s scale
  k.m_format = MomentFormat(f.gradient);
  k.m_shift = k.m_format.frac_bits - Fg;
  k.rms_format = f.rms;
  k.weight_format = f.weight;
  k.g2_shift = 2 * (Fr - Fg);                // g² (frac 2Fg) aligned to r² (frac 2Fr)
  const int qfrac = k.m_format.frac_bits + K::kRatioQ - Fr;  // fraction bits of m̂ / √v̂
  k.step_shift = qfrac + kLrQ - Fw;          // lr · ratio → weight LSB
  k.rounding = f.rounding;
  k.overflow = f.overflow;
  k.seed = rounding_seed;
  return kern::FixedAdamUpdate(k, w, g, m, rms);
}

}  // namespace fixar::nn
