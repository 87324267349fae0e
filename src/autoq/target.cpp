#include "autoq/target.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "cnn/model.h"
#include "cnn/quantize.h"
#include "numerics/random.h"

namespace fixar::autoq {

std::string FormatBits(std::span<const layers::LayerBits> bits) {
  std::string s;
  for (const auto& b : bits) s += fmt::format("{}w{}a{}", s.empty() ? "" : " ", b.weight_bits, b.activation_bits);
  return s;
}

std::vector<layers::LayerShape> BuiltinNetworkLayers(const std::string& network) {
  const std::vector<std::string> names = cnn::BuiltinModelNames();
  if (std::find(names.begin(), names.end(), network) == names.end())
    throw std::invalid_argument(fmt::format("network '{}' is unknown; valid: {}", network, fmt::join(names, ", ")));
  return cnn::DescribeWeightLayers(cnn::Model(cnn::BuiltinModelConfig(network)));
}

namespace {

class SyntheticTarget final : public QuantTarget {
 public:
  explicit SyntheticTarget(const SyntheticTargetOptions& o) : options_(o), layers_(BuiltinNetworkLayers(o.network)) {
    if (!(o.float_accuracy > 0.1 && o.float_accuracy <= 1))
      throw std::invalid_argument(
          fmt::format("synthetic target: float_accuracy = {}; valid: (0.1, 1]", o.float_accuracy));
    num::Random rng(o.seed);
    const std::size_t n = layers_.size();
    for (std::size_t l = 0; l < n; ++l) {
      const double edge = (l == 0 || l + 1 == n) ? 2.0 : 1.0;  // first/last layers are the sensitive ones
      weight_sensitivity_.push_back(edge * rng.uniform(0.02, 0.06));
      activation_sensitivity_.push_back(edge * rng.uniform(0.01, 0.05));
    }
  }
  std::string name() const override { return "synthetic:" + options_.network; }
  const std::vector<layers::LayerShape>& layers() const override { return layers_; }
  double FloatAccuracy() override { return options_.float_accuracy; }
  double Accuracy(std::span<const layers::LayerBits> bits) override {
    if (bits.size() != layers_.size())
      throw std::invalid_argument(fmt::format("synthetic target {}: {} bit pairs given for {} layers", name(),
                                              bits.size(), layers_.size()));
    double loss = 0;
    std::uint64_t h = options_.seed * 0x9E3779B97F4A7C15ull;
    for (std::size_t l = 0; l < bits.size(); ++l) {
      loss += weight_sensitivity_[l] * std::exp(-0.9 * (bits[l].weight_bits - 2)) +
              activation_sensitivity_[l] * std::exp(-0.9 * (bits[l].activation_bits - 2));
      h = (h ^ static_cast<std::uint64_t>(bits[l].weight_bits * 31 + bits[l].activation_bits)) * 0x100000001B3ull;
    }
    const double noise = options_.noise * (2.0 * static_cast<double>(h >> 11) * 0x1.0p-53 - 1.0);
    return std::clamp(std::max(0.1, options_.float_accuracy - loss) + noise, 0.0, 1.0);
  }

 private:
  SyntheticTargetOptions options_;
  std::vector<layers::LayerShape> layers_;
  std::vector<double> weight_sensitivity_, activation_sensitivity_;
};

}  // namespace

std::unique_ptr<QuantTarget> MakeSyntheticTarget(const SyntheticTargetOptions& options) {
  return std::make_unique<SyntheticTarget>(options);
}

}  // namespace fixar::autoq
