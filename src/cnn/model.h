// A sequential CNN built from a ModelConfig: layers in order, activations kept for the
// backward pass, deep copies (a quantization experiment clones the trained model), and
// checked binary checkpoints.
//
//   cnn::Model model(cnn::LoadModelConfig("configs/models/vgg_small.toml"));  // seeded by [train] seed
//   const cnn::Tensor& logits = model.Forward(x, cnn::Mode::kTrain);
//   model.Backward(dlogits);          // parameter gradients, see Params()
//   model.Save("vgg.bin");  auto m2 = cnn::Model::Load("vgg.bin");
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cnn/config.h"
#include "cnn/layers.h"
#include "cnn/tensor.h"

namespace fixar::cnn {

class Model {
 public:
  // Builds the layers and initialises the weights from `seed` (He normal, zero biases,
  // BN γ = 1, β = 0). Validates the config first.
  explicit Model(ModelConfig config, std::uint64_t seed);
  explicit Model(ModelConfig config) : Model(config, config.train.seed) {}
  Model(const Model& other);
  Model& operator=(const Model& other);
  Model(Model&&) noexcept = default;
  Model& operator=(Model&&) noexcept = default;

  const ModelConfig& config() const { return config_; }
  MapShape input_shape() const { return config_.input; }
  int num_classes() const { return config_.classes; }

  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_.at(i); }
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }
  // Positions (in layer order) of the conv and linear layers: "weight layer k" everywhere
  // in the quantization API is layer(weight_layer_indices()[k]).
  std::vector<std::size_t> weight_layer_indices() const;
  WeightLayer& weight_layer(std::size_t k);
  const WeightLayer& weight_layer(std::size_t k) const;
  std::size_t num_weight_layers() const { return weight_layer_indices().size(); }

  // Runs every layer; returns the logits (N x classes). x must have the input shape.
  const Tensor& Forward(const Tensor& x, Mode mode);
  // From dL/dlogits of the last Forward: fills every parameter gradient.
  void Backward(const Tensor& dlogits);
  // Input of layer i in the last Forward (i == size(): the logits).
  const Tensor& activation(std::size_t i) const { return acts_.at(i); }

  std::vector<ParamRef> Params();
  std::int64_t NumParams() const;

  // Folds every BatchNorm that directly follows a conv (or linear) into that layer's
  // weights and bias, using the running statistics, and removes it:
  //   W'[o] = W[o]·γ_o/√(σ²_o + ε),  b'[o] = (b[o] − μ_o)·γ_o/√(σ²_o + ε) + β_o.
  // In eval mode the folded model computes the same function. Returns how many were folded.
  int FoldBatchNorm();
  bool batchnorm_folded() const { return folded_; }

  // Checkpoint: the config text, whether BN is folded and every layer's parameters,
  // in util::WriteCheckedFile's checked container. Quantization state is not stored.
  void Save(const std::filesystem::path& path) const;
  static Model Load(const std::filesystem::path& path);
  // Load's reading without the file: `payload` is the checkpoint after its header
  // (util::CheckedPayload checks that); `where` names it in errors. Throws
  // std::runtime_error (truncated or inconsistent data) or std::invalid_argument (the
  // stored config). For fuzz/cnn_checkpoint.cpp.
  static Model LoadPayload(std::span<const std::uint8_t> payload, const std::string& where);

  // One line per layer: name, description, output shape, parameters.
  std::string Summary() const;

 private:
  void Build(std::uint64_t seed);

  ModelConfig config_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Tensor> acts_;    // acts_[i] = input of layer i
  Tensor grad_a_, grad_b_;      // ping-pong buffers of the backward pass
  bool folded_ = false;
};

}  // namespace fixar::cnn
