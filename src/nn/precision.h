// Precision policies: how a network stores and computes its numbers.
//
//   float32  the reference: IEEE single precision everywhere.
//   fixed32  weights, biases, gradients, optimizer state and activations in 32-bit
//            fixed point (formats below), from the first step to the last.
//   fixar    FIXAR's Algorithm 1 (fixar.md): fixed32 until the quantization delay d,
//            recording activation ranges; from d on, activations in n = 16 bits through
//            the recorded ranges, weights and gradients stay 32-bit.
//   wXaY     generic bits for going below FIXAR (w16a16, w8a8, ...): like fixar, but
//            from d on the weights used by forward and backward are also narrowed to X
//            bits (per-layer power-of-two format from the current weight range; the
//            32-bit master copy takes the updates, as in mixed-precision training).
//   fixed16  16-bit weights, activations and gradients from scratch (no master copy).
//            The paper shows it fails; kept to reproduce that.
//
// Why these 32-bit splits (the paper does not state them, fixar.md):
//   weights   ap_fixed<32,8>  (24 fraction bits): |w| < 128; an Adam step of lr = 1e-4
//             is ~1 700 LSBs, so small updates are not rounded away.
//   activations ap_fixed<32,16> (16 fraction bits): |a| < 32 768 holds MuJoCo states and
//             Q values of returns in the thousands; LSB 1.5e-5.
//   gradients ap_fixed<32,8>  (24 fraction bits) to start with; by default each layer's
//             gradient tensors then take formats chosen from their observed ranges
//             (gradient_rule, nn/gradient_format.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "nn/gradient_format.h"
#include "numerics/format.h"

namespace fixar::nn {

enum class QatQuantizer : std::uint8_t {
  kPowerOfTwo,  // a signed n-bit format whose integer bits cover max|A| (a shift in hardware)
  kAffine,      // the paper's δ/z quantizer (fake-quantized onto the 32-bit activation grid)
};

struct PrecisionPolicy {
  std::string name = "float32";
  bool is_float = true;
  num::Format weight = num::Signed(32, 24);
  num::Format activation = num::Signed(32, 16);
  num::Format gradient = num::Signed(32, 24);
  num::Quant rounding = num::Quant::kHalfEven;  // every requantization in the datapath
  num::Overflow overflow = num::Overflow::kSaturate;
  // How each layer's gradient tensors get their formats: `gradient` is the initial one,
  // then (dynamic) moved with the observed ranges (nn/gradient_format.h), or kept (fixed).
  GradientFormatRule gradient_rule;

  // Quantization-aware training (Algorithm 1). qat_delay < 0: never switch.
  std::int64_t qat_delay = -1;
  int qat_activation_bits = 16;
  int qat_weight_bits = 32;  // 32: weights are not narrowed at the switch
  QatQuantizer qat_quantizer = QatQuantizer::kPowerOfTwo;
  // Extra integer bits (range × 2^h) over the range recorded before the switch, for the
  // growth of activations after it (the nets keep learning; docs/training.md). 0: exact.
  int qat_range_headroom_bits = 0;

  bool has_qat() const { return !is_float && qat_delay >= 0; }
  // Throws std::invalid_argument naming the field and the valid range.
  void validate(const std::string& where) const;
  std::string describe() const;  // one line for logs and run summaries
};

// The names MakePrecision accepts, as its messages and the command line's help list them.
inline constexpr std::string_view kPrecisionNames =
    "float32, fixed32, fixar, fixed16, or wXaY with X, Y in 2..32 (e.g. w16a16)";

// Named policies: float32, fixed32, fixar, fixed16, and wXaY (X, Y in 2..32), e.g.
// w16a16. `qat_delay` applies to the policies that switch (fixar, wXaY).
// Throws std::invalid_argument listing the valid names (kPrecisionNames).
PrecisionPolicy MakePrecision(const std::string& name, std::int64_t qat_delay = 0);

const char* to_string(QatQuantizer q);
QatQuantizer parse_qat_quantizer(const std::string& name);  // power_of_two, affine

}  // namespace fixar::nn
