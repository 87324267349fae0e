#include "nn/mlp.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/parallel.h"
#include "numerics/rounding.h"
#include "util/log.h"

namespace fixar::nn {

std::unique_ptr<Mlp> MakeFloatMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed);
std::unique_ptr<Mlp> MakeFixedMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed);

std::unique_ptr<Mlp> Mlp::Create(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed) {
  spec.validate();
  policy.validate("precision of " + spec.name);
  return policy.is_float ? MakeFloatMlp(spec, policy, seed) : MakeFixedMlp(spec, policy, seed);
}

void Mlp::CheckParameterCount(std::size_t n) const {
  if (n != static_cast<std::size_t>(num_parameters()))
    throw std::invalid_argument(
        fmt::format("{}: {} parameter values given, the network has {}", spec_.name, n, num_parameters()));
}

std::vector<std::vector<double>> Mlp::InitialWeights(std::uint64_t seed,
                                                     std::vector<std::vector<double>>* biases) const {
  std::vector<std::vector<double>> weights;
  biases->clear();
  std::uint64_t counter = 0;
  // Uniform in [-1, 1) from the counter-based generator: the same stream on every platform.
  const auto uniform = [&] {
    return std::ldexp(static_cast<double>(num::CounterRandomBits(seed, counter++) >> 11), -52) - 1.0;
  };
  const int layers = static_cast<int>(spec_.sizes.size()) - 1;
  for (int l = 0; l < layers; ++l) {
    const int in = spec_.sizes[l], out = spec_.sizes[l + 1];
    double wlim = 0, blim = 0;
    if (l == layers - 1 && spec_.final_layer_limit > 0) {
      wlim = blim = spec_.final_layer_limit;
    } else if (spec_.init == InitScheme::kFanInUniform) {
      wlim = blim = 1.0 / std::sqrt(static_cast<double>(in));
    } else if (spec_.init == InitScheme::kXavierUniform) {
      wlim = std::sqrt(6.0 / (in + out));
    } else {
      wlim = std::sqrt(6.0 / in);
    }
    std::vector<double> w(static_cast<std::size_t>(in) * out), b(out);
    for (double& x : w) x = wlim * uniform();
    for (double& x : b) x = blim * uniform();
    weights.push_back(std::move(w));
    biases->push_back(std::move(b));
  }
  return weights;
}

kern::Split Mlp::SplitFor(int batch) const {
  const kern::Split s = ChooseSplit(parallelism_, batch);
  if (util::CurrentLogLevel() <= util::LogLevel::kDebug) {
    static thread_local int logged = 0;
    if (logged < 16) {
      ++logged;
      util::LogDebug("{}: batch {} with {} threads -> {} ({})", spec_.name, batch, kern::NumThreads(),
                     s == kern::Split::kCols ? "intra-layer: output neurons split across threads"
                                             : "intra-batch: batch rows split across threads",
                     to_string(parallelism_));
    }
  }
  return s;
}

void CopyParametersAcrossPrecisions(Mlp& to, const Mlp& from) {
  const PrecisionPolicy &p = to.policy(), &q = from.policy();
  if (p.is_float == q.is_float && (p.is_float || p.weight == q.weight))
    to.CopyParametersFrom(from);
  else
    to.SetParametersFromDouble(from.ParametersAsDouble());
}

}  // namespace fixar::nn
