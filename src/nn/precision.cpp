#include "nn/precision.h"

#include <regex>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::nn {

const char* to_string(QatQuantizer q) { return q == QatQuantizer::kAffine ? "affine" : "power_of_two"; }

QatQuantizer parse_qat_quantizer(const std::string& name) {
  if (name == "affine") return QatQuantizer::kAffine;
  if (name == "power_of_two") return QatQuantizer::kPowerOfTwo;
  throw std::invalid_argument(fmt::format("unknown QAT quantizer '{}'; valid: power_of_two, affine", name));
}

void PrecisionPolicy::validate(const std::string& where) const {
  if (is_float) return;
  weight.validate(where + ".weight");
  activation.validate(where + ".activation");
  gradient.validate(where + ".gradient");
  for (auto [field, f] : {std::pair{"weight", weight}, {"activation", activation}, {"gradient", gradient}})
    if (f.word_bits > 32 || !f.is_signed)
      throw std::invalid_argument(fmt::format("{}.{}: {} — storage formats are signed with at most 32 bits", where,
                                              field, f.to_string()));
  if (qat_activation_bits < 2 || qat_activation_bits > 32)
    throw std::invalid_argument(
        fmt::format("{}: activation bits = {}; valid: 2..32", where, qat_activation_bits));
  if (qat_range_headroom_bits < 0 || qat_range_headroom_bits > 8)
    throw std::invalid_argument(
        fmt::format("{}: range headroom = {} bits; valid: 0..8", where, qat_range_headroom_bits));
  if (qat_weight_bits < 2 || qat_weight_bits > 32)
    throw std::invalid_argument(fmt::format("{}: weight bits = {}; valid: 2..32", where, qat_weight_bits));
  gradient_rule.validate(where);
}

std::string PrecisionPolicy::describe() const {
  if (is_float) return name + " (IEEE float32)";
  const std::string grads =
      gradient_rule.dynamic
          ? fmt::format("{} then per tensor from observed ranges (every {} updates, {} bits headroom)",
                        gradient.to_string(), gradient_rule.interval, gradient_rule.headroom_bits)
          : gradient.to_string();
  std::string s = fmt::format("{}: weights {}, activations {}, gradients {}, rounding {}, overflow {}", name,
                              weight.to_string(), activation.to_string(), grads, num::to_string(rounding),
                              num::to_string(overflow));
  if (has_qat())
    s += fmt::format("; from step {}: activations {} bits ({}, range headroom {} bits), weights {} bits", qat_delay,
                     qat_activation_bits, to_string(qat_quantizer), qat_range_headroom_bits, qat_weight_bits);
  return s;
}

namespace {
PrecisionPolicy MakeNamedPrecision(const std::string& name, std::int64_t qat_delay) {
  if (qat_delay < 0)
    throw std::invalid_argument(fmt::format("quantization delay = {}; valid: >= 0 timesteps", qat_delay));
  PrecisionPolicy p;
  p.name = name;
  if (name == "float32") return p;
  p.is_float = false;
  if (name == "fixed32") return p;
  if (name == "fixar") {
    p.qat_delay = qat_delay;
    return p;
  }
  if (name == "fixed16") {
    // 16 bits throughout: weights ap_fixed<16,2>, activations ap_fixed<16,8>, gradients ap_fixed<16,2>.
    p.weight = num::Signed(16, 14);
    p.activation = num::Signed(16, 8);
    p.gradient = num::Signed(16, 14);
    return p;
  }
  static const std::regex kBits(R"(w(\d+)a(\d+))");
  std::smatch m;
  if (std::regex_match(name, m, kBits)) {
    // At most 2 digits each: std::stoi threw its own out_of_range ("stoi") on w99999999999a16.
    const bool short_enough = m[1].length() <= 2 && m[2].length() <= 2;
    const int w = short_enough ? std::stoi(m[1]) : 0, a = short_enough ? std::stoi(m[2]) : 0;
    if (w < 2 || w > 32 || a < 2 || a > 32)
      throw std::invalid_argument(fmt::format("precision '{}': weight and activation bits must be 2..32", name));
    p.qat_delay = qat_delay;
    p.qat_weight_bits = w;
    p.qat_activation_bits = a;
    return p;
  }
  throw std::invalid_argument(fmt::format("unknown precision '{}'; valid: {}", name, kPrecisionNames));
}
}  // namespace

PrecisionPolicy MakePrecision(const std::string& name, std::int64_t qat_delay) {
  PrecisionPolicy p = MakeNamedPrecision(name, qat_delay);
  // Dynamic gradient formats widen from the policy's own but do not go narrower (why: gradient_format.h).
  p.gradient_rule.min_int_bits = p.gradient.int_bits();
  return p;
}

}  // namespace fixar::nn
