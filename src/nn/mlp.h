// Multi-layer perceptrons in float or fixed point: the actor and the critic.
//
// One interface, two implementations (float_mlp.cpp, fixed_mlp.cpp), chosen by the
// PrecisionPolicy. Values cross the interface as double, which holds every 32-bit
// fixed-point value exactly, so chaining fixed-point networks (actor output -> critic
// input, critic input gradient -> actor output gradient) stays bit-accurate.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/optim.h"
#include "nn/precision.h"
#include "numerics/format.h"
#include "util/binary_io.h"

namespace fixar::nn {

enum class InitScheme : std::uint8_t {
  kFanInUniform,   // U(±1/√fan_in) for weights and biases (DDPG, Lillicrap et al.)
  kXavierUniform,  // U(±√(6/(fan_in+fan_out))), biases 0
  kHeUniform,      // U(±√(6/fan_in)), biases 0
};
InitScheme parse_init_scheme(const std::string& name);  // fan_in_uniform, xavier_uniform, he_uniform

struct MlpSpec {
  std::string name = "mlp";
  std::vector<int> sizes;  // {inputs, hidden..., outputs}
  Activation hidden = Activation::kRelu;
  Activation output = Activation::kNone;
  InitScheme init = InitScheme::kFanInUniform;
  double final_layer_limit = 3e-3;  // U(±limit) for the last layer (DDPG); <= 0: use `init`
  void validate() const;            // throws std::invalid_argument naming the bad size
};

// What a layer reports about its fixed-point datapath (zeros and NaN for float).
struct LayerStats {
  std::string name;               // e.g. "critic.fc2"
  num::Format activation_format;  // of the layer's output
  num::Format gradient_format;    // of its weight gradients, as last computed
  double range_min = 0, range_max = 0;  // recorded output range (before the QAT switch: running)
  std::uint64_t saturations = 0;        // clamped values in this layer's datapath since ResetStats
  std::uint64_t values = 0;             // values produced (the denominator of the rate)
  double saturation_rate() const { return values ? static_cast<double>(saturations) / values : 0.0; }
};

class Mlp {
 public:
  static std::unique_ptr<Mlp> Create(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed);
  virtual ~Mlp() = default;

  const MlpSpec& spec() const { return spec_; }
  const PrecisionPolicy& policy() const { return policy_; }
  int inputs() const { return spec_.sizes.front(); }
  int outputs() const { return spec_.sizes.back(); }
  std::int64_t num_parameters() const;

  // y[batch×outputs] = f(x[batch×inputs]); keeps what Backward needs (reused buffers).
  virtual void Forward(std::span<const double> x, int batch, std::span<double> y) = 0;
  // Backpropagates dL/dy of the last training Forward. Accumulates nothing: the
  // parameter gradients are overwritten (when param_grads) and dx (when not empty)
  // receives dL/dx.
  virtual void Backward(std::span<const double> dy, std::span<double> dx, bool param_grads = true) = 0;
  virtual void AdamStep(const AdamConfig& cfg) = 0;
  // this ← τ·online + (1 − τ)·this  (soft target update, Polyak averaging)
  virtual void SoftUpdateFrom(const Mlp& online, double tau) = 0;
  virtual void CopyParametersFrom(const Mlp& other) = 0;
  // The training step counter drives the QAT switch (Algorithm 1): at step == delay
  // the recorded ranges freeze into the narrow formats. Returns true on the switch.
  virtual bool SetTrainingStep(std::int64_t step) { (void)step; return false; }
  virtual bool quantized() const { return false; }

  virtual std::vector<LayerStats> Stats() const = 0;
  virtual void ResetStats() {}
  // Parameters as double (exact for fixed point), layer by layer: W (out×in) then b.
  virtual std::vector<double> ParametersAsDouble() const = 0;
  // Sets every parameter from values in ParametersAsDouble's order (rounded to the weight
  // format in fixed point: exact for values it produced). Throws std::invalid_argument
  // naming the network when the count differs. Optimizer state and ranges are kept.
  virtual void SetParametersFromDouble(std::span<const double> p) = 0;
  virtual std::vector<double> GradientsAsDouble() const = 0;

  void set_parallelism(Parallelism p) { parallelism_ = p; }
  Parallelism parallelism() const { return parallelism_; }

  // Full state (parameters, optimizer, ranges, QAT phase) for checkpoints.
  virtual void Save(util::ByteWriter& w) const = 0;
  virtual void Load(util::ByteReader& r) = 0;

 protected:
  Mlp(MlpSpec spec, PrecisionPolicy policy) : spec_(std::move(spec)), policy_(std::move(policy)) {}
  // Initial weights in double, the same for every precision with the same seed.
  std::vector<std::vector<double>> InitialWeights(std::uint64_t seed, std::vector<std::vector<double>>* biases) const;
  kern::Split SplitFor(int batch) const;
  void CheckParameterCount(std::size_t n) const;  // throws unless n == num_parameters()
  MlpSpec spec_;
  PrecisionPolicy policy_;
  Parallelism parallelism_ = Parallelism::kAuto;
};

// to's parameters from `from` (same architecture, any precision): the same representation
// (both float, or fixed point with one weight format) copies, the gradient formats reached
// included (Mlp::CopyParametersFrom); otherwise through ParametersAsDouble, rounded to
// to's weight format. Optimizer state and QAT phase are not copied.
void CopyParametersAcrossPrecisions(Mlp& to, const Mlp& from);

}  // namespace fixar::nn
