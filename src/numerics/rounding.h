// Integer primitives of fixed-point arithmetic: rounding shifts and overflow handling.
//
// Every primitive works on raw integers, says exactly how it rounds, and names the
// ap_fixed mode it implements. They are inline because the kernels' output stages
// and the scalar references call them per element; the SIMD paths must reproduce
// them bit for bit (tests compare).
//
// Wide intermediates use a 128-bit integer so that shifts of any size and left
// shifts never lose bits before the overflow stage decides what to keep.
#pragma once

#include <cmath>
#include <cstdint>

#include "numerics/format.h"

namespace fixar::num {

__extension__ typedef __int128 int128;  // __extension__: GCC/Clang type, not ISO C++
__extension__ typedef unsigned __int128 uint128;

// Counter-based random bits (the SplitMix64 output function over seed + counter).
// Same (seed, counter) -> same 64 bits on every path and thread count, which is what
// makes stochastic rounding reproducible: callers use the element's index as counter.
constexpr std::uint64_t CounterRandomBits(std::uint64_t seed, std::uint64_t counter) {
  std::uint64_t z = seed + (counter + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The seed of one rounding site's random bits in stochastic rounding: a stream (a network,
// from the run seed), a step (a counter of that stream's calls, so that every update rounds
// afresh) and a site (which tensor of the step). Element i of the site then rounds with
// CounterRandomBits(seed, i): keyed by (run seed, step, tensor, element), independent of
// kernel path and thread count, and exactly resumable when the step counter is checkpointed.
constexpr std::uint64_t RoundingSeed(std::uint64_t stream, std::uint64_t step, std::uint64_t site) {
  return CounterRandomBits(CounterRandomBits(stream, step), site);
}

// x * 2^-shift rounded to an integer, for 0 <= shift <= 126.
//   kFloor      : floor                      (AP_TRN, an arithmetic shift right)
//   kTowardZero : trunc                      (AP_TRN_ZERO)
//   kHalfUp     : floor(v + 1/2)             (AP_RND, ties toward +inf)
//   kHalfEven   : nearest, ties to even      (AP_RND_CONV)
//   kStochastic : floor(v) + 1 with probability frac(v): up when the discarded bits
//                 plus the low `shift` bits of random_bits carry (for shift > 64 the
//                 64 random bits are aligned to the top of the discarded field).
constexpr int128 RoundingShiftRight(int128 x, int shift, Quant q, std::uint64_t random_bits = 0) {
  if (shift <= 0) return x;
  const int128 one = 1;
  const int128 mask = (one << shift) - 1;
  const int128 floor_q = x >> shift;  // arithmetic shift: floor (C++20 defines it)
  const int128 rem = x & mask;        // discarded bits, 0 <= rem < 2^shift
  switch (q) {
    case Quant::kFloor:
      return floor_q;
    case Quant::kTowardZero:
      return (x < 0 && rem != 0) ? floor_q + 1 : floor_q;
    case Quant::kHalfUp:
      return floor_q + ((rem >> (shift - 1)) & 1);
    case Quant::kHalfEven: {
      const int128 half = one << (shift - 1);
      if (rem > half || (rem == half && (floor_q & 1))) return floor_q + 1;
      return floor_q;
    }
    case Quant::kStochastic: {
      const int128 r = shift <= 64 ? (static_cast<int128>(random_bits) & mask)
                                   : (static_cast<int128>(random_bits) << (shift - 64));
      return rem + r > mask ? floor_q + 1 : floor_q;
    }
  }
  return floor_q;
}

// RoundingShiftRight restricted to int64 x and 1 <= shift <= 62, with the same results;
// the hot-path form used by the kernels' output stages and the optimizers.
// Branch-free: the round-up decision is data dependent (about half the time), and a
// mispredicted branch per element costs more than an int16 dot product.
template <Quant Q>
constexpr std::int64_t RoundingShiftRight64(std::int64_t x, int shift, std::uint64_t random_bits = 0) {
  const std::int64_t mask = (std::int64_t{1} << shift) - 1;
  const std::int64_t floor_q = x >> shift;
  const std::int64_t rem = x & mask;
  std::int64_t up = 0;
  if constexpr (Q == Quant::kTowardZero) {
    up = static_cast<std::int64_t>((x < 0) & (rem != 0));
  } else if constexpr (Q == Quant::kHalfUp) {
    up = (rem >> (shift - 1)) & 1;
  } else if constexpr (Q == Quant::kHalfEven) {
    const std::int64_t half = std::int64_t{1} << (shift - 1);
    up = static_cast<std::int64_t>((rem > half) | ((rem == half) & ((floor_q & 1) != 0)));
  } else if constexpr (Q == Quant::kStochastic) {  // rem + r <= 2 * mask < 2^63
    const std::int64_t r = static_cast<std::int64_t>(random_bits & static_cast<std::uint64_t>(mask));
    up = static_cast<std::int64_t>(rem + r > mask);
  }
  return floor_q + up;  // kFloor: up = 0
}

// The same with the mode chosen at run time; shift <= 0 returns x.
constexpr std::int64_t RoundingShiftRight64(std::int64_t x, int shift, Quant q, std::uint64_t random_bits = 0) {
  if (shift <= 0) return x;
  switch (q) {
    case Quant::kFloor: return RoundingShiftRight64<Quant::kFloor>(x, shift);
    case Quant::kTowardZero: return RoundingShiftRight64<Quant::kTowardZero>(x, shift);
    case Quant::kHalfUp: return RoundingShiftRight64<Quant::kHalfUp>(x, shift);
    case Quant::kHalfEven: return RoundingShiftRight64<Quant::kHalfEven>(x, shift);
    case Quant::kStochastic: return RoundingShiftRight64<Quant::kStochastic>(x, shift, random_bits);
  }
  return x >> shift;
}

// x * 2^shift for shift >= 0, exact while the result fits 127 bits; beyond that the
// result is pinned to the int128 end of x's sign (any storage format saturates there).
constexpr int128 SaturatingShiftLeft(int128 x, int shift) {
  if (x == 0 || shift <= 0) return x;
  const int128 limit = (~static_cast<int128>(0) - (static_cast<int128>(1) << 127)) >> 1;  // 2^126-1
  if (shift >= 126) return x > 0 ? limit : -limit;
  const int128 bound = limit >> shift;
  if (x > bound) return limit;
  if (x < -bound) return -limit;
  return x * (static_cast<int128>(1) << shift);
}

// Clamp to [f.min_raw(), f.max_raw()] (AP_SAT); adds 1 to *saturations when it clamps.
constexpr std::int64_t Saturate(int128 x, const Format& f, std::uint64_t* saturations = nullptr) {
  if (x > f.max_raw()) {
    if (saturations) ++*saturations;
    return f.max_raw();
  }
  if (x < f.min_raw()) {
    if (saturations) ++*saturations;
    return f.min_raw();
  }
  return static_cast<std::int64_t>(x);
}

// Keep the low word_bits bits, sign-extended for a signed format (AP_WRAP).
// Adds 1 to *wraps when the value changed, so that overflow is never silent.
constexpr std::int64_t Wrap(int128 x, const Format& f, std::uint64_t* wraps = nullptr) {
  const uint128 low = static_cast<uint128>(x) & ((static_cast<uint128>(1) << f.word_bits) - 1);
  int128 v = static_cast<int128>(low);
  if (f.is_signed && (low >> (f.word_bits - 1)) != 0) v -= static_cast<int128>(1) << f.word_bits;
  if (wraps && v != x) ++*wraps;
  return static_cast<std::int64_t>(v);
}

constexpr std::int64_t HandleOverflow(int128 x, const Format& f, Overflow o,
                                      std::uint64_t* overflows = nullptr) {
  return o == Overflow::kSaturate ? Saturate(x, f, overflows) : Wrap(x, f, overflows);
}

// Requantize a raw value with `from_frac` fraction bits into format `to`: shift (right
// with rounding mode q, or left exactly), then overflow mode o. Counts overflows.
constexpr std::int64_t Requantize(int128 x, int from_frac, const Format& to, Quant q, Overflow o,
                                  std::uint64_t random_bits = 0,
                                  std::uint64_t* overflows = nullptr) {
  const int shift = from_frac - to.frac_bits;
  const int128 y = shift >= 0 ? RoundingShiftRight(x, shift > 126 ? 126 : shift, q, random_bits)
                              : SaturatingShiftLeft(x, -shift);
  return HandleOverflow(y, to, o, overflows);
}

// Exact floor(√x) for x < 2^126: a double estimate, then integer correction until
// r² <= x < (r+1)². The estimate is within a few units for x < 2^106 (Adam's v̂ stays far
// below); above, the correction loops run longer (up to ~2^(log2(x)/2 − 53) steps).
inline std::uint64_t IntegerSqrt(uint128 x) {
  if (x == 0) return 0;
  uint128 r = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(x)));
  while (r * r > x) --r;
  while ((r + 1) * (r + 1) <= x) ++r;
  return static_cast<std::uint64_t>(r);
}

// Real value -> raw integer of format f with rounding q and overflow o. NaN becomes 0
// and counts as an overflow; +-inf and values beyond 2^100 LSBs saturate (even under
// kWrap, where the low bits of such a value carry no information) and count.
std::int64_t FromDouble(double v, const Format& f, Quant q = Quant::kHalfEven,
                        Overflow o = Overflow::kSaturate, std::uint64_t random_bits = 0,
                        std::uint64_t* overflows = nullptr);

// Raw integer of format f -> real value (exact for word_bits <= 53).
double ToDouble(std::int64_t raw, const Format& f);

}  // namespace fixar::num
