#include "nn/gradient_format.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/elementwise.h"

namespace fixar::nn {

void GradientFormatRule::validate(const std::string& where) const {
  if (interval < 1 || interval > 100'000'000)
    throw std::invalid_argument(fmt::format("{}: gradient format interval = {}; valid: 1..100000000 updates", where, interval));
  if (headroom_bits < 0 || headroom_bits > 8)
    throw std::invalid_argument(fmt::format("{}: gradient headroom = {} bits; valid: 0..8", where, headroom_bits));
  if (min_int_bits < -32 || max_int_bits > 31 || min_int_bits > max_int_bits)
    throw std::invalid_argument(fmt::format("{}: gradient integer bits [{}, {}]; valid: -32 <= min <= max <= 31", where,
                                            min_int_bits, max_int_bits));
}

int IntBitsFor(double max_abs, int word_bits, int min_int_bits) {
  int I = min_int_bits;
  // The positive end of a signed <W, I> format is (2^(W-1) − 1)·2^-(W−I) < 2^(I−1).
  while (I < 64 && std::ldexp(static_cast<double>((std::uint64_t{1} << (word_bits - 1)) - 1), I - word_bits) < max_abs)
    ++I;
  return I;
}

bool DynamicGradientFormat::Observe(const std::int32_t* raw, std::size_t n, std::uint64_t saturations,
                                    const GradientFormatRule& rule) {
  if (!rule.dynamic) return false;
  return ObserveMax(kern::MaxAbs(std::span(raw, n)), saturations, rule);
}

bool DynamicGradientFormat::ObserveMax(std::int64_t max_abs_raw, std::uint64_t saturations,
                                       const GradientFormatRule& rule) {
  if (!rule.dynamic) return false;
  window_max_ = std::max(window_max_, std::ldexp(static_cast<double>(max_abs_raw), -format_.frac_bits));
  ++calls_;
  if (saturations > 0) return SetIntBits(format_.int_bits() + std::max(1, rule.headroom_bits), rule);
  if (calls_ < rule.interval) return false;
  const int wanted = IntBitsFor(std::ldexp(window_max_, rule.headroom_bits), format_.word_bits, rule.min_int_bits);
  return SetIntBits(wanted, rule);
}

bool DynamicGradientFormat::SetIntBits(int int_bits, const GradientFormatRule& rule) {
  calls_ = 0;
  window_max_ = 0;
  const int I = std::clamp(int_bits, rule.min_int_bits, rule.max_int_bits);
  if (I == format_.int_bits()) return false;
  format_.frac_bits = format_.word_bits - I;
  ++changes_;
  return true;
}

void DynamicGradientFormat::Save(util::ByteWriter& w) const {
  w.Put<std::int32_t>(format_.word_bits);
  w.Put<std::int32_t>(format_.frac_bits);
  w.Put(calls_);
  w.Put(window_max_);
  w.Put(changes_);
}

void DynamicGradientFormat::Load(util::ByteReader& r) {
  const int word = r.Get<std::int32_t>(), frac = r.Get<std::int32_t>();
  if (word != format_.word_bits)
    throw std::invalid_argument(fmt::format("checkpoint: gradient format of {} bits, this network uses {}", word,
                                            format_.word_bits));
  format_.frac_bits = frac;
  calls_ = r.Get<std::int64_t>();
  window_max_ = r.Get<double>();
  changes_ = r.Get<std::int64_t>();
}

}  // namespace fixar::nn
