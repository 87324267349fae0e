// The layers of a sequential CNN. Each layer maps a batch x (N x C x H x W) to y and,
// given dL/dy, writes dL/dx and its parameter gradients (overwritten, batch sums).
// Conv2d and Linear are the "weight layers": the ones a ReRAM crossbar stores and the
// ones that get (weight bits, activation bits); their quantization state lives here so
// that fake quantization and its straight-through backward pass are part of the layer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cnn/config.h"
#include "cnn/fake_quant.h"
#include "cnn/ops.h"
#include "cnn/tensor.h"
#include "util/binary_io.h"

namespace fixar::cnn {

enum class Mode { kTrain, kEval };  // BatchNorm: batch statistics vs running statistics

struct ParamRef {
  std::span<float> value, grad;
  bool decay = false;  // weight decay applies (conv/linear weights only)
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual LayerType type() const = 0;
  virtual std::string Describe() const = 0;  // e.g. "conv 16->32 k3 s1 p1"
  virtual MapShape OutputShape() const = 0;
  MapShape InputShape() const { return in_; }
  virtual void Forward(const Tensor& x, Tensor& y, Mode mode) = 0;
  // x and y are what Forward saw and produced; dx may be null (first layer).
  virtual void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) = 0;
  virtual std::vector<ParamRef> Params() { return {}; }
  virtual std::unique_ptr<Layer> Clone() const = 0;
  virtual void SaveState(util::ByteWriter&) const {}
  virtual void LoadState(util::ByteReader&) {}

  std::string name;  // conv1, fc2, bn3, ... (unique in a model)

 protected:
  explicit Layer(MapShape in) : in_(in) {}
  MapShape in_;
};

// Per-layer quantization (see fake_quant.h). Disabled: float32.
struct LayerQuant {
  bool enabled = false;
  int weight_bits = 32;
  int activation_bits = 32;  // of this layer's INPUT (reram convention)
  WeightScaling scaling = WeightScaling::kPerChannel;
  ClipMethod weight_clip = ClipMethod::kMse;
  ActRange input_range;      // calibrated, then fixed
};

// Common part of Conv2d and Linear: master float weights, fake-quantized copies, STE.
class WeightLayer : public Layer {
 public:
  int in_features() const { return fan_in_; }       // c_in*k*k or in features
  int out_features() const { return out_; }         // c_out or out features
  std::span<float> weights() { return weight_; }    // out x fan_in, row-major
  std::span<const float> weights() const { return weight_; }
  std::span<float> bias() { return bias_; }         // empty when the layer has no bias
  std::span<const float> bias() const { return bias_; }
  void EnableBias();                                // adds a zero bias (BN folding needs one)
  LayerQuant& quant() { return quant_; }
  const LayerQuant& quant() const { return quant_; }
  // The weights the forward pass uses: fake-quantized when quantization is on.
  std::span<const float> EffectiveWeights();
  std::vector<float> WeightScales() const;          // per output channel, of the last forward
  std::vector<ParamRef> Params() override;
  void SaveState(util::ByteWriter& w) const override;
  void LoadState(util::ByteReader& r) override;
  // He (Kaiming) normal initialisation, std = sqrt(2 / fan_in), from a seeded generator.
  void Initialize(std::uint64_t seed);

 protected:
  WeightLayer(MapShape in, int fan_in, int out, bool bias);
  // The input the product sees: x itself, or its fake-quantized copy.
  const Tensor& QuantizedInput(const Tensor& x);
  // dx computed against the quantized input, masked where the input was clipped (STE).
  void InputSte(const Tensor& x, Tensor& dx) const;
  bool ActQuantOn() const { return quant_.enabled && !IsFloatBits(quant_.activation_bits); }

  int fan_in_, out_;
  std::vector<float> weight_, bias_, grad_w_, grad_b_;
  std::vector<float> weight_q_, scales_;
  Tensor x_q_;
  LayerQuant quant_;
};

class Conv2d final : public WeightLayer {
 public:
  Conv2d(MapShape in, int out_channels, int kernel, int stride, int padding, bool bias);
  LayerType type() const override { return LayerType::kConv; }
  std::string Describe() const override;
  MapShape OutputShape() const override { return {geom_.c_out, geom_.out_h(), geom_.out_w()}; }
  const ConvGeometry& geometry() const { return geom_; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Conv2d>(*this); }

 private:
  ConvGeometry geom_;
};

// y = x·Wᵀ + b on the flattened sample (C*H*W features).
class Linear final : public WeightLayer {
 public:
  Linear(MapShape in, int out_features, bool bias);
  LayerType type() const override { return LayerType::kLinear; }
  std::string Describe() const override;
  MapShape OutputShape() const override { return {out_, 1, 1}; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Linear>(*this); }
};

class BatchNorm2d final : public Layer {
 public:
  explicit BatchNorm2d(MapShape in);
  LayerType type() const override { return LayerType::kBatchNorm; }
  std::string Describe() const override;
  MapShape OutputShape() const override { return in_; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::vector<ParamRef> Params() override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<BatchNorm2d>(*this); }
  void SaveState(util::ByteWriter& w) const override;
  void LoadState(util::ByteReader& r) override;

  // y = scale·x + shift per channel with the running statistics (what folding uses).
  std::vector<float> EvalScale() const;
  std::vector<float> EvalShift() const;

  float eps = 1e-5f;
  float momentum = 0.1f;  // running = (1 − momentum)·running + momentum·batch (unbiased var)
  std::vector<float> gamma, beta, running_mean, running_var;

 private:
  std::vector<float> grad_gamma_, grad_beta_, batch_mean_, batch_invstd_, batch_var_;
};

class Relu final : public Layer {
 public:
  explicit Relu(MapShape in) : Layer(in) {}
  LayerType type() const override { return LayerType::kRelu; }
  std::string Describe() const override { return "relu"; }
  MapShape OutputShape() const override { return in_; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Relu>(*this); }
};

class Pool2d final : public Layer {
 public:
  Pool2d(MapShape in, LayerType type, int kernel, int stride);  // kMaxPool or kAvgPool
  LayerType type() const override { return type_; }
  std::string Describe() const override;
  MapShape OutputShape() const override { return {geom_.c, geom_.out_h(), geom_.out_w()}; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Pool2d>(*this); }

 private:
  LayerType type_;
  PoolGeometry geom_;
  std::vector<std::int32_t> argmax_;
};

class Flatten final : public Layer {
 public:
  explicit Flatten(MapShape in) : Layer(in) {}
  LayerType type() const override { return LayerType::kFlatten; }
  std::string Describe() const override { return "flatten"; }
  MapShape OutputShape() const override { return {static_cast<int>(in_.size()), 1, 1}; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Flatten>(*this); }
};

// y = x + (the input of an earlier layer, same shape): a residual (identity) shortcut.
// Model::Forward points `skip` at that tensor before each call; Model::Backward adds dy to
// the gradient of that tensor (dx here is dy).
class Add final : public Layer {
 public:
  Add(MapShape in, std::size_t from) : Layer(in), from(from) {}
  LayerType type() const override { return LayerType::kAdd; }
  std::string Describe() const override;
  MapShape OutputShape() const override { return in_; }
  void Forward(const Tensor& x, Tensor& y, Mode mode) override;
  void Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
  std::unique_ptr<Layer> Clone() const override { return std::make_unique<Add>(*this); }

  std::size_t from;              // index of the layer whose input is added (in the model's layers)
  const Tensor* skip = nullptr;  // that input, set by Model::Forward
};

// Seeded standard normal samples (SplitMix64 bits + Box–Muller): the same numbers on
// every platform, unlike std::normal_distribution.
std::vector<float> NormalSamples(std::size_t n, double stddev, std::uint64_t seed);

}  // namespace fixar::cnn
