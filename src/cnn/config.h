// Model configs (TOML, configs/models/*.toml): the layer sequence of a CNN and the
// defaults for training it. Format:
//
//   [model]
//   name = "vgg_small"
//   input = [1, 28, 28]          # channels, height, width
//   classes = 10
//   [[layer]]                    # in order; weight layers are named conv1.., fc1..
//   type = "conv"                # conv | linear | batchnorm | relu | maxpool | avgpool | flatten | add
//   out = 16                     # conv: output channels; linear: output features
//   kernel = 3                   # conv, maxpool, avgpool
//   stride = 1                   # conv (default 1), pools (default = kernel)
//   padding = 1                  # conv (default 0)
//   bias = true                  # conv, linear (default: true; false before batchnorm saves work)
//   from = 3                     # add: adds the input of [[layer]] #3 (an earlier one, same
//                                # shape) to this layer's input: a residual (identity) shortcut
//   [train]                      # all optional
//   optimizer = "adam"           # adam | sgd
//   lr = 0.002                   # peak learning rate
//   schedule = "cosine"          # cosine | constant  (cosine decays to 0 over all steps)
//   warmup_steps = 100           # linear warm-up from 0
//   momentum = 0.9               # sgd
//   weight_decay = 5e-4          # L2 on conv/linear weights (not on biases or BN)
//   batch = 128
//   epochs = 4
//   seed = 1                     # initialisation and data order
//
// Unknown keys, wrong types and bad values throw std::invalid_argument naming the key,
// the value, the file and what is valid.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cnn/tensor.h"
#include "util/embedded_file.h"

namespace fixar::cnn {

enum class LayerType { kConv, kLinear, kBatchNorm, kRelu, kMaxPool, kAvgPool, kFlatten, kAdd };
const char* to_string(LayerType t);  // the config spelling: "conv", "linear", ...

struct LayerSpec {
  LayerType type = LayerType::kRelu;
  int out = 0;      // conv: output channels; linear: output features
  int kernel = 0;   // conv, pools
  int stride = 0;   // 0 = default (conv 1, pools = kernel)
  int padding = 0;  // conv
  bool bias = true;
  int from = -1;    // add: index (0-based) of the layer whose input is added
  friend bool operator==(const LayerSpec&, const LayerSpec&) = default;
};

enum class OptimizerKind { kAdam, kSgd };
enum class LrSchedule { kConstant, kCosine };
const char* to_string(OptimizerKind o);
const char* to_string(LrSchedule s);

struct TrainOptions {
  OptimizerKind optimizer = OptimizerKind::kAdam;
  double lr = 2e-3;
  LrSchedule schedule = LrSchedule::kCosine;
  int warmup_steps = 0;
  double momentum = 0.9;
  double weight_decay = 0.0;
  int batch = 128;
  int epochs = 4;
  std::uint64_t seed = 1;
  // Throws std::invalid_argument naming `where`, the field and the valid range.
  void Validate(const std::string& where) const;
};

struct ModelConfig {
  std::string name = "model";
  MapShape input{1, 28, 28};
  int classes = 10;
  std::vector<LayerSpec> layers;
  TrainOptions train;
  std::string source = "built-in";  // file it came from, for messages
  std::string toml_text;            // the text it was parsed from (stored in checkpoints)
  // Checks every layer against the shape flowing into it and that the last weight layer
  // has `classes` outputs; throws naming the layer (index and type) and the problem.
  void Validate() const;
};

ModelConfig LoadModelConfig(const std::filesystem::path& path);
ModelConfig ParseModelConfig(std::string_view toml_text, const std::string& source);

// The models of configs/models/*.toml are built into the program, so that they are found
// from any directory: their names are the file names without ".toml", sorted.
std::vector<std::string> BuiltinModelNames();
// The built-in model `name` (source "configs/models/<name>.toml"); throws
// std::invalid_argument listing the valid names.
ModelConfig BuiltinModelConfig(const std::string& name);

namespace detail {
// Every configs/models/*.toml at build time (generated: embedded_model_configs.cpp).
extern const util::EmbeddedFile kEmbeddedModelConfigs[];
extern const int kEmbeddedModelConfigCount;
}  // namespace detail

}  // namespace fixar::cnn
