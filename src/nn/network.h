// A network as its callers run it: shape, Forward, Backward. The part every caller of an
// MLP needs (acting, evaluation, export, the training step); the optimiser, the QAT
// switch and the parameter I/O are separate interfaces (nn/trainable.h, nn/qat.h,
// nn/parameters.h) that nn::Mlp (nn/mlp.h) implements beside this one.
//
// Values cross as typed tensors (nn/tensor.h): a fixed-point network takes and gives raw
// integers with their formats, so chaining networks (actor output → critic input, critic
// input gradient → actor output gradient) passes integers, not doubles. The double-span
// overloads are the outer API (acting on observations, evaluation, export's check data)
// and go through the typed one.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/precision.h"
#include "nn/tensor.h"

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

class Network {
 public:
  virtual ~Network() = default;

  const MlpSpec& spec() const { return spec_; }
  const PrecisionPolicy& policy() const { return policy_; }
  int inputs() const { return spec_.sizes.front(); }
  int outputs() const { return spec_.sizes.back(); }
  std::int64_t num_parameters() const;

  // y[batch×outputs] = f(x[batch×inputs]); keeps what Backward needs (reused buffers).
  // Fixed point: y is fixed in the activation format; float: y is real.
  virtual void Forward(const InputColumns& x, int batch, Tensor& y) = 0;
  // Backpropagates dL/dy of the last Forward. Accumulates nothing: the parameter
  // gradients are overwritten (when param_grads) and *dx (when not null) receives dL/dx
  // (fixed point: in the format of the first layer's input gradient).
  virtual void Backward(TensorView dy, Tensor* dx, bool param_grads = true) = 0;

  // The same on doubles (exact for fixed point's values).
  void Forward(std::span<const double> x, int batch, std::span<double> y);
  void Backward(std::span<const double> dy, std::span<double> dx, bool param_grads = true);

  void set_parallelism(Parallelism p) { parallelism_ = p; }
  Parallelism parallelism() const { return parallelism_; }

 protected:
  Network(MlpSpec spec, PrecisionPolicy policy) : spec_(std::move(spec)), policy_(std::move(policy)) {}
  // Throws std::invalid_argument naming the network and `what` unless got == want.
  void CheckSize(const char* what, std::size_t got, std::size_t want) const;
  // Throws std::invalid_argument unless x holds batch rows of inputs() columns.
  void CheckInput(const InputColumns& x, int batch) const;
  MlpSpec spec_;
  PrecisionPolicy policy_;
  Parallelism parallelism_ = Parallelism::kAuto;

 private:
  Tensor double_io_;  // the typed output of the double overloads
};

}  // namespace fixar::nn
