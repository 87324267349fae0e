// Per-layer mixed-precision quantization of a trained CNN, the API the bit-width search
// (src/autoq) calls. "Weight layer k" is the k-th conv or linear layer in model order
// (Model::weight_layer(k)); every per-layer vector here has one entry per weight layer.
//
// The recipe (docs/cnn.md):
//  1. copy the trained float model and fold each BatchNorm into the conv before it;
//  2. calibrate the input range of every weight layer on a few training samples with
//     the float model (max, or the MSE-optimal clip for the layer's activation bits),
//     then keep those ranges fixed;
//  3. fake-quantize: weights symmetric per output channel (default) or per tensor,
//     recomputed from the float master weights at every forward pass; each weight
//     layer's INPUT at its activation bits (reram's convention: activation bits of a
//     layer = bits of its input, so layer 0's activation bits quantize the image);
//  4. optionally fine-tune the master weights with the straight-through estimator.
// Bits: 2..8, 16, or 32 (= leave float). The cost model prices 1..16 bits, so
// ToLayerBits refuses 32.
//
//   auto trained = cnn::Model::Load("vgg.bin");
//   cnn::FinetuneOptions ft;
//   ft.steps = 60, ft.batch = 64, ft.lr = 5e-4, ft.seed = 1, ft.train_subset = 4096;
//   double acc = cnn::EvaluateQuantized(trained, bits, fm.train, val, ft);   // fraction
//   auto cost = reram_model.ratio(cnn::DescribeWeightLayers(trained), bits.ToLayerBits());
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "cnn/fake_quant.h"
#include "cnn/model.h"
#include "cnn/train.h"
#include "data/dataset.h"
#include "layers/layer_bits.h"
#include "layers/layer_shape.h"

namespace fixar::cnn {

struct BitAssignment {
  std::vector<int> weight_bits, activation_bits;  // one entry per weight layer

  static BitAssignment Uniform(std::size_t layers, int weight_bits, int activation_bits);
  std::size_t size() const { return weight_bits.size(); }
  // Sizes equal `layers`, every value in 2..8, 16, 32; throws std::invalid_argument
  // naming `where`, the layer and the value.
  void Validate(std::size_t layers, const std::string& where) const;
  // For reram::CostModel (1..16 bits); throws for 32-bit (float) entries.
  std::vector<layers::LayerBits> ToLayerBits() const;
  friend bool operator==(const BitAssignment&, const BitAssignment&) = default;
};

// Reads {weight_bits = [...], activation_bits = [...]} from a .toml or .json file (the
// extension decides) and validates it against `layers` weight layers.
BitAssignment LoadBitAssignment(const std::filesystem::path& path, std::size_t layers);
// The same from the file's text (JSON when `json`, else TOML); `where` names it in errors.
BitAssignment ParseBitAssignment(std::string_view text, bool json, const std::string& where, std::size_t layers);

// The weight layers in model order, named like the layers (conv: input and output map of
// its geometry; linear: c_in/c_out = in/out features, 1 x 1 maps, kernel 1, stride 0).
// What the cost model prices and what the bit-width search reads HAQ's features from.
std::vector<layers::LayerShape> DescribeWeightLayers(const Model& model);

struct QuantOptions {
  WeightScaling weight_scaling = WeightScaling::kPerChannel;
  ClipMethod weight_clip = ClipMethod::kMse;
  ClipMethod activation_clip = ClipMethod::kMse;
  int calibration_samples = 256;        // training samples whose activations set the ranges
  std::uint64_t calibration_seed = 12345;
};

struct FinetuneOptions {
  int steps = 0;                  // optimizer steps (0: quantize only)
  int batch = 64;
  double lr = 1e-4;               // Adam, cosine-decayed over `steps`
  std::uint64_t seed = 1;         // data order of the fine-tune
  std::size_t train_subset = 0;   // 0: all of `train`; else a seeded subset of this size
  QuantOptions quant;
};

// Steps 1–3: a folded, calibrated copy of `trained` with fake quantization on.
// `calibration` supplies the calibration samples (a training set).
Model PrepareQuantized(const Model& trained, const BitAssignment& bits, const data::Dataset& calibration,
                       const QuantOptions& options = {});
// Step 4 on a model from PrepareQuantized.
void Finetune(Model& quantized, const data::Dataset& train, const FinetuneOptions& options,
              const TrainCallbacks& callbacks = {});

// The search's inner loop: prepare, fine-tune options.steps on `train`, and return the
// accuracy (fraction) on `val`. Deterministic for given inputs and options (any thread
// count). `trained` is not modified.
double EvaluateQuantized(const Model& trained, const BitAssignment& bits, const data::Dataset& train,
                         const data::Dataset& val, const FinetuneOptions& options);

struct QuantizeResult {
  Model model;                        // the fine-tuned fake-quantized model
  double accuracy_float = 0;          // trained model on `val`
  double accuracy_quantized = 0;      // after calibration, before fine-tuning
  double accuracy_finetuned = 0;      // after options.steps of fine-tuning
  std::vector<ActRange> input_ranges; // per weight layer, as calibrated
  double finetune_seconds = 0;
};
// The final (long) run: everything EvaluateQuantized does, with the intermediate
// accuracies and progress callbacks.
QuantizeResult QuantizeAndFinetune(const Model& trained, const BitAssignment& bits, const data::Dataset& train,
                                   const data::Dataset& val, const FinetuneOptions& options,
                                   const TrainCallbacks& callbacks = {});

}  // namespace fixar::cnn
