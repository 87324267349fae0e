// Gradient formats chosen from observed ranges: dynamic fixed point for gradients.
//
// FIXAR chooses its 16-bit activation formats from ranges recorded during training; the
// same idea applied to gradients is dynamic fixed point (Courbariaux et al. 2014) and
// Flexpoint (Köster et al. 2017), facts in ../shared/reference/fixar.md: each gradient
// tensor of a layer keeps its own word (32 bits) but moves its binary point with the
// magnitudes it sees. Why: one fixed split cannot serve every layer — on HalfCheetah the
// critic's first-layer weight gradients reach beyond ±128 (fixed<32,8> clamped 0.36 % of
// them, a 58 % gradient error at 1 M steps) while the actor's are ~1e-5, where the same
// format keeps only a few significant bits (docs/training.md).
//
// The rule (deterministic: a function of the integers the datapath computed):
//   * every call observes the tensor's max |raw| and how many values saturated;
//   * a call that saturated widens the format at once by `headroom_bits` integer bits
//     (before the next call; the values of this call stay clamped);
//   * every `interval` calls, the format becomes the narrowest one whose range holds the
//     window's max |value| times 2^headroom_bits (it may grow or shrink; the integer bits
//     stay within [min_int_bits, max_int_bits]);
//   * the window then starts again.
// The state (format, window) is checkpointed with the network.
#pragma once

#include <cstdint>
#include <string>

#include "numerics/format.h"
#include "util/binary_io.h"

namespace fixar::nn {

struct GradientFormatRule {
  bool dynamic = true;    // false: the policy's fixed gradient format, always
  int interval = 1000;    // calls (updates) between choices
  int headroom_bits = 2;  // range kept above the observed max (×4)
  // ap_fixed I, sign included. MakePrecision sets min_int_bits to the policy's own format
  // (8 for 32-bit gradients): narrower ranges give small gradients more fraction bits, but
  // larger raw integers, which made HalfCheetah updates 1.8× slower (more int16 pieces per
  // product, kernels/gemm.h) without a measured need (docs/numerics.md).
  int min_int_bits = -8;
  int max_int_bits = 24;
  void validate(const std::string& where) const;
};

class DynamicGradientFormat {
 public:
  DynamicGradientFormat() = default;
  explicit DynamicGradientFormat(const num::Format& initial) : format_(initial) {}

  const num::Format& format() const { return format_; }
  // Records one call's tensor (raw values in format()) and its saturations, then applies
  // the rule; returns true when the format changed (the caller rescales what it keeps
  // in the old format, e.g. Adam's moments).
  bool Observe(const std::int32_t* raw, std::size_t n, std::uint64_t saturations, const GradientFormatRule& rule);
  // The same with a max |raw| the caller has already computed.
  bool ObserveMax(std::int64_t max_abs_raw, std::uint64_t saturations, const GradientFormatRule& rule);
  std::int64_t changes() const { return changes_; }

  void Save(util::ByteWriter& w) const;
  void Load(util::ByteReader& r);

 private:
  bool SetIntBits(int int_bits, const GradientFormatRule& rule);

  num::Format format_ = num::Signed(32, 24);
  std::int64_t calls_ = 0;       // in the current window
  double window_max_ = 0;        // max |value| in the current window
  std::int64_t changes_ = 0;     // format changes so far
};

// Integer bits (sign included) of the narrowest signed format of `word_bits` whose
// positive end holds max_abs (>= 0); at least `min_int_bits`.
int IntBitsFor(double max_abs, int word_bits, int min_int_bits);

}  // namespace fixar::nn
