#include "numerics/quantizer.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::num {

AffineQuantizer AffineQuantizer::FromRange(double a_min, double a_max, int bits) {
  if (bits < 2 || bits > 32)
    throw std::invalid_argument(fmt::format("AffineQuantizer: bits = {}; valid: 2..32", bits));
  if (!std::isfinite(a_min) || !std::isfinite(a_max) || a_min > a_max)
    throw std::invalid_argument(fmt::format(
        "AffineQuantizer: recorded range [{}, {}] is not a finite range with min <= max", a_min, a_max));
  AffineQuantizer q;
  q.bits = bits;
  const double span = std::fabs(a_min) + std::fabs(a_max);
  q.delta = span > 0 ? std::ldexp(span, -bits) : std::ldexp(1.0, -bits);  // δ = (|A_min|+|A_max|)/2^n
  q.zero_point = static_cast<std::int64_t>(std::floor(-a_min / q.delta));  // z = floor(−A_min/δ)
  return q;
}

std::int64_t AffineQuantizer::Quantize(double a, std::uint64_t* clamps) const {
  const double code = std::floor(a / delta) + static_cast<double>(zero_point);  // floor(A/δ) + z
  if (!(code >= 0)) {  // also catches NaN
    if (clamps) ++*clamps;
    return 0;
  }
  if (code > static_cast<double>(max_code())) {
    if (clamps) ++*clamps;
    return max_code();
  }
  return static_cast<std::int64_t>(code);
}

Format PowerOfTwoFormat(double max_abs, int word_bits) {
  if (!std::isfinite(max_abs) || max_abs < 0)
    throw std::invalid_argument(
        fmt::format("PowerOfTwoFormat: max_abs = {}; valid: a finite value >= 0", max_abs));
  Format f = Signed(word_bits, word_bits - 1);  // I = 1: the range [−1, 1)
  f.validate("PowerOfTwoFormat");
  // Grow the integer part until the positive end holds max_abs (the negative end is larger).
  while (f.max_value() < max_abs && f.frac_bits > -64) --f.frac_bits;
  // Small ranges: shift the window down (fraction bits beyond the word) while it still holds.
  if (max_abs > 0)
    while (f.frac_bits < 120 && std::ldexp(static_cast<double>(f.max_raw()), -(f.frac_bits + 1)) >= max_abs)
      ++f.frac_bits;
  return f;
}

}  // namespace fixar::num
