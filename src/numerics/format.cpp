#include "numerics/format.h"

#include <array>
#include <cmath>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "numerics/rounding.h"

namespace fixar::num {

double Format::lsb() const { return std::ldexp(1.0, -frac_bits); }
double Format::max_value() const { return std::ldexp(static_cast<double>(max_raw()), -frac_bits); }
double Format::min_value() const { return std::ldexp(static_cast<double>(min_raw()), -frac_bits); }

void Format::validate(const std::string& where) const {
  const int max_word = is_signed ? 64 : 63;
  if (word_bits < 2 || word_bits > max_word)
    throw std::invalid_argument(fmt::format("{}: word_bits = {} is out of range; valid: 2..{} for a {} format",
                                            where, word_bits, max_word, is_signed ? "signed" : "unsigned"));
  if (frac_bits < -64 || frac_bits > 128)
    throw std::invalid_argument(
        fmt::format("{}: frac_bits = {} is out of range; valid: -64..128", where, frac_bits));
}

std::string Format::to_string() const {
  return fmt::format("{}fixed<{},{}>", is_signed ? "" : "u", word_bits, int_bits());
}

namespace {
constexpr std::array<std::pair<const char*, Quant>, 10> kQuantNames{{
    {"floor", Quant::kFloor},
    {"toward_zero", Quant::kTowardZero},
    {"half_up", Quant::kHalfUp},
    {"half_even", Quant::kHalfEven},
    {"stochastic", Quant::kStochastic},
    {"TRN", Quant::kFloor},
    {"TRN_ZERO", Quant::kTowardZero},
    {"RND", Quant::kHalfUp},
    {"RND_CONV", Quant::kHalfEven},
    {"SR", Quant::kStochastic},
}};
constexpr std::array<std::pair<const char*, Overflow>, 4> kOverflowNames{{
    {"saturate", Overflow::kSaturate},
    {"wrap", Overflow::kWrap},
    {"SAT", Overflow::kSaturate},
    {"WRAP", Overflow::kWrap},
}};
}  // namespace

const char* to_string(Quant q) {
  for (const auto& [name, value] : kQuantNames)
    if (value == q) return name;
  return "?";
}
const char* to_string(Overflow o) { return o == Overflow::kSaturate ? "saturate" : "wrap"; }

Quant parse_quant(const std::string& name) {
  for (const auto& [n, value] : kQuantNames)
    if (name == n) return value;
  throw std::invalid_argument(fmt::format(
      "unknown rounding mode '{}'; valid: floor, toward_zero, half_up, half_even, stochastic "
      "(or ap_fixed TRN, TRN_ZERO, RND, RND_CONV; SR for stochastic)",
      name));
}

Overflow parse_overflow(const std::string& name) {
  for (const auto& [n, value] : kOverflowNames)
    if (name == n) return value;
  throw std::invalid_argument(
      fmt::format("unknown overflow mode '{}'; valid: saturate, wrap (or SAT, WRAP)", name));
}

std::int64_t FromDouble(double v, const Format& f, Quant q, Overflow o, std::uint64_t random_bits,
                        std::uint64_t* overflows) {
  if (std::isnan(v)) {
    if (overflows) ++*overflows;
    return 0;
  }
  const double scaled = std::ldexp(v, f.frac_bits);  // exact: only the exponent changes
  if (!(std::fabs(scaled) < 0x1p100)) {
    if (overflows) ++*overflows;
    return scaled > 0 ? f.max_raw() : f.min_raw();
  }
  const double fl = std::floor(scaled);
  const double frac = scaled - fl;  // exact for |scaled| < 2^100 (fl and scaled share the exponent range)
  double r = fl;
  switch (q) {
    case Quant::kFloor:
      break;
    case Quant::kTowardZero:
      r = std::trunc(scaled);
      break;
    case Quant::kHalfUp:
      r = frac >= 0.5 ? fl + 1 : fl;
      break;
    case Quant::kHalfEven:
      r = (frac > 0.5 || (frac == 0.5 && std::fmod(fl, 2.0) != 0.0)) ? fl + 1 : fl;
      break;
    case Quant::kStochastic:
      // Up with probability frac: compare with a uniform draw in [0, 1) of 53 bits.
      r = frac > std::ldexp(static_cast<double>(random_bits >> 11), -53) ? fl + 1 : fl;
      break;
  }
  return HandleOverflow(static_cast<int128>(r), f, o, overflows);
}

double ToDouble(std::int64_t raw, const Format& f) {
  return std::ldexp(static_cast<double>(raw), -f.frac_bits);
}

}  // namespace fixar::num
