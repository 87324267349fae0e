#include "nn/fixed_math.h"

#include <algorithm>
#include <array>
#include <cmath>

#include "nn/export.h"
#include "numerics/rounding.h"

namespace fixar::nn {
namespace {

constexpr int kTableFrac = 30;  // Q30 entries
constexpr int kInFrac = 24;     // input aligned to 24 fraction bits
constexpr int kStepBits = 8;    // table step 2^-8
constexpr int kEntries = 8 << kStepBits;  // [0, 8)

const std::array<std::int64_t, kEntries + 1>& TanhTable() {
  static const auto table = [] {
    std::array<std::int64_t, kEntries + 1> t{};
    for (int i = 0; i <= kEntries; ++i)
      t[i] = std::llround(std::ldexp(std::tanh(std::ldexp(static_cast<double>(i), -kStepBits)), kTableFrac));
    return t;
  }();
  return table;
}

}  // namespace

std::int64_t FixedTanh(std::int64_t x, const num::Format& in, const num::Format& out, num::Quant q,
                       std::uint64_t* saturations, std::uint64_t random_bits) {
  const auto& t = TanhTable();
  const bool negative = x < 0;
  // |x| at 24 fraction bits, floor; capped so the index stays in the table.
  num::int128 ax = negative ? -static_cast<num::int128>(x) : static_cast<num::int128>(x);
  ax = in.frac_bits >= kInFrac ? num::RoundingShiftRight(ax, in.frac_bits - kInFrac, num::Quant::kFloor)
                               : num::SaturatingShiftLeft(ax, kInFrac - in.frac_bits);
  num::int128 y;
  constexpr int kIndexShift = kInFrac - kStepBits;  // 16 bits of interpolation fraction
  if (ax >= (static_cast<num::int128>(kEntries) << kIndexShift)) {
    y = num::int128{1} << kTableFrac;
  } else {
    const auto idx = static_cast<int>(ax >> kIndexShift);
    const num::int128 rem = ax & ((num::int128{1} << kIndexShift) - 1);
    y = t[idx] + num::RoundingShiftRight((t[idx + 1] - t[idx]) * rem, kIndexShift, num::Quant::kHalfEven);
  }
  if (negative) y = -y;
  return num::Requantize(y, kTableFrac, out, q, num::Overflow::kSaturate, random_bits, saturations);
}

FixedTanhTableExport ExportFixedTanhTable() {
  return {kTableFrac, kInFrac, kStepBits, std::span<const std::int64_t>(TanhTable())};
}

void QuantizeToFixed(std::span<const double> x, const num::Format& f, num::Quant q, num::Overflow o,
                     std::span<std::int32_t> out, std::uint64_t* saturations, std::uint64_t seed,
                     std::uint64_t first_index) {
  const double scale = std::ldexp(1.0, f.frac_bits);
  const double hi = static_cast<double>(f.max_raw()), lo = static_cast<double>(f.min_raw());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double s = x[i] * scale;  // exact: a power-of-two scale
    // Fast path: round-half-even of an in-range value is nearbyint in the default
    // rounding mode; everything else goes through the general conversion.
    if (q == num::Quant::kHalfEven && s >= lo && s <= hi) {
      out[i] = static_cast<std::int32_t>(std::nearbyint(s));
    } else {
      out[i] = static_cast<std::int32_t>(num::FromDouble(x[i], f, q, o, num::CounterRandomBits(seed, first_index + i),
                                                          saturations));
    }
  }
}

void ConvertToFixed(TensorView x, const num::Format& f, num::Quant q, num::Overflow o, std::span<std::int32_t> out,
                    std::uint64_t* saturations, std::uint64_t seed, std::uint64_t first_index) {
  if (!x.is_fixed()) {
    QuantizeToFixed(x.real(), f, q, o, out, saturations, seed, first_index);
    return;
  }
  if (x.format() == f) {
    std::copy(x.raw().begin(), x.raw().end(), out.begin());
    return;
  }
  // Another format: rounded as its real value would be at this boundary (the random
  // bits of stochastic rounding are drawn per element as for a real input).
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = static_cast<std::int32_t>(
        num::FromDouble(x.value(i), f, q, o, num::CounterRandomBits(seed, first_index + i), saturations));
}

}  // namespace fixar::nn
