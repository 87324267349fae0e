// Fixed-point number formats in the vocabulary of Xilinx ap_fixed<W, I, Q, O>.
//
// A Format is a raw two's-complement (or unsigned) integer of `word_bits` bits whose
// value is raw * 2^-frac_bits. In ap_fixed terms W = word_bits and I = word_bits -
// frac_bits; as in ap_fixed, I COUNTS the sign bit of a signed format. Fraction bits
// may be negative (the LSB weighs more than 1) or exceed the word (the value is a
// fraction smaller than 1/2). Storage formats use 2..32 word bits; accumulators up
// to 64.
#pragma once

#include <cstdint>
#include <string>

namespace fixar::num {

// How the bits below the new LSB are removed (ap_fixed quantization modes).
enum class Quant : std::uint8_t {
  kFloor,       // ap_fixed AP_TRN: toward minus infinity (an arithmetic shift)
  kTowardZero,  // ap_fixed AP_TRN_ZERO: truncate the magnitude
  kHalfUp,      // ap_fixed AP_RND: to nearest, ties toward plus infinity
  kHalfEven,    // ap_fixed AP_RND_CONV: to nearest, ties to the even neighbour
  kStochastic,  // up with probability = the discarded fraction (seeded, counter-based)
};

// What happens to a value outside the format's range (ap_fixed overflow modes).
enum class Overflow : std::uint8_t {
  kSaturate,  // ap_fixed AP_SAT: clamp to the nearest representable end
  kWrap,      // ap_fixed AP_WRAP: keep the low word_bits bits (two's complement)
};

struct Format {
  int word_bits = 32;  // W: total bits, sign included
  int frac_bits = 16;  // F: bits right of the binary point (may be < 0 or > W)
  bool is_signed = true;

  constexpr int int_bits() const { return word_bits - frac_bits; }  // ap_fixed I
  // Computed in unsigned arithmetic so that W = 64 (an accumulator) does not overflow.
  constexpr std::int64_t max_raw() const {
    return is_signed ? static_cast<std::int64_t>((std::uint64_t{1} << (word_bits - 1)) - 1)
                     : static_cast<std::int64_t>((std::uint64_t{1} << word_bits) - 1);
  }
  constexpr std::int64_t min_raw() const {
    return is_signed ? -max_raw() - 1 : 0;
  }
  double lsb() const;        // 2^-frac_bits, the value of one raw step
  double max_value() const;  // max_raw() * lsb()
  double min_value() const;  // min_raw() * lsb()
  // Throws std::invalid_argument naming the bad field unless 2 <= word_bits <= 64
  // (63 for unsigned) and -64 <= frac_bits <= 128.
  void validate(const std::string& where) const;
  // "fixed<32,16>" / "ufixed<16,0>" in ap_fixed order: <W, I>.
  std::string to_string() const;

  friend constexpr bool operator==(const Format&, const Format&) = default;
};

// Signed format with W word bits and F fraction bits: ap_fixed<W, W - F>.
constexpr Format Signed(int word_bits, int frac_bits) { return {word_bits, frac_bits, true}; }
constexpr Format Unsigned(int word_bits, int frac_bits) { return {word_bits, frac_bits, false}; }

const char* to_string(Quant q);     // "floor" ... (names accepted by parse_quant)
const char* to_string(Overflow o);  // "saturate" / "wrap"
// Accept our names and the ap_fixed ones (TRN, TRN_ZERO, RND, RND_CONV, SAT, WRAP);
// throw std::invalid_argument listing the valid names otherwise.
Quant parse_quant(const std::string& name);
Overflow parse_overflow(const std::string& name);

}  // namespace fixar::num
