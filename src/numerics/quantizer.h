// Range quantizers: how an n-bit activation format is chosen from a recorded range.
//
// Two ways, both from a recorded [A_min, A_max]:
//  * AffineQuantizer — FIXAR's Algorithm 1 exactly as published (fixar.md):
//      δ = (|A_min| + |A_max|) / 2^n,   z = floor(−A_min / δ),   Q(A) = floor(A / δ) + z,
//    an n-bit unsigned code with scale δ and zero point z. The published formula can
//    give Q(A_max) = 2^n, one past the code range; we clamp to [0, 2^n − 1] and count it.
//    Because δ spans |A_min| + |A_max|, a range that does not contain 0 (e.g. [−4, −0.5])
//    uses only part of the codes; ranges that straddle 0 (ReLU outputs: [0, A_max]) use all.
//  * PowerOfTwoFormat — a signed fixed-point format whose integer bits are the fewest
//    that hold max(|A_min|, |A_max|): a pure shift in hardware, no zero point.
#pragma once

#include <cstdint>

#include "numerics/format.h"

namespace fixar::num {

struct AffineQuantizer {
  int bits = 16;
  double delta = 1.0;          // δ, the value of one code step
  std::int64_t zero_point = 0; // z, the code of the value 0 (up to the floor)

  // Throws std::invalid_argument unless 2 <= bits <= 32 and a_min <= a_max (finite).
  // A degenerate range (|A_min| + |A_max| == 0) uses δ = 2^-bits, so zero maps to z = 0.
  static AffineQuantizer FromRange(double a_min, double a_max, int bits);

  std::int64_t max_code() const { return (std::int64_t{1} << bits) - 1; }
  // Q(A) = floor(A / δ) + z, clamped to [0, 2^n − 1]; adds 1 to *clamps when it clamps.
  std::int64_t Quantize(double a, std::uint64_t* clamps = nullptr) const;
  // (q − z) · δ: the real value a code stands for.
  double Dequantize(std::int64_t code) const { return static_cast<double>(code - zero_point) * delta; }
};

// The signed format of `word_bits` bits with the most fraction bits whose range still
// holds ±max_abs (ap_fixed: the fewest integer bits I with 2^(I−1) − lsb >= max_abs;
// I may be negative for small ranges, i.e. more fraction bits than the word).
// max_abs = 0 gives frac_bits = word_bits − 1 (values in [−1, 1)).
// Throws std::invalid_argument for a negative or non-finite max_abs.
Format PowerOfTwoFormat(double max_abs, int word_bits);

}  // namespace fixar::num
