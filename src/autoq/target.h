// What the bit-width search quantizes: a network's weight layers (HAQ's per-layer
// features and the ReRAM cost model's shapes) and the accuracy of a bit assignment.
//
// The search (search.h) only sees this interface. Two implementations:
//   MakeSyntheticTarget  a closed-form accuracy model over the shapes of a real network
//                        (milliseconds per evaluation; tests and quick comparisons);
//   MakeCnnTarget        (cnn_target.h) a trained src/cnn model: quantize, short
//                        fine-tune, validation accuracy.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "layers/layer_bits.h"
#include "layers/layer_shape.h"

namespace fixar::autoq {

// Bits per weight layer, in the cost model's convention: activation_bits are the bits of
// the layer's INPUT (layer 0's activation bits quantize the image).
using Bits = std::vector<layers::LayerBits>;
std::string FormatBits(std::span<const layers::LayerBits> bits);  // "w8a8 w4a6 ..."

class QuantTarget {
 public:
  virtual ~QuantTarget() = default;
  virtual std::string name() const = 0;
  // The weight layers in order: HAQ's per-layer features and what the cost model prices.
  virtual const std::vector<layers::LayerShape>& layers() const = 0;
  // Accuracy (fraction) of the unquantized model on the validation split.
  virtual double FloatAccuracy() = 0;
  // Quantize at `bits`, fine-tune briefly, accuracy (fraction) on the validation split.
  // Deterministic: the same bits give the same accuracy (the search caches on that).
  virtual double Accuracy(std::span<const layers::LayerBits> bits) = 0;
  // The final, longer fine-tune of the chosen assignment; accuracy (fraction) on the
  // held-out test set. Default: Accuracy(bits).
  virtual double FinalAccuracy(std::span<const layers::LayerBits> bits) { return Accuracy(bits); }
};

// The weight layers of a built-in model (configs/models/<network>.toml, cnn::BuiltinModelConfig),
// so the synthetic target prices the same shapes as the real one. Throws
// std::invalid_argument listing the valid names.
std::vector<layers::LayerShape> BuiltinNetworkLayers(const std::string& network);

struct SyntheticTargetOptions {
  std::string network = "vgg_small";  // a built-in model (configs/models/<network>.toml)
  double float_accuracy = 0.92;       // fraction
  std::uint64_t seed = 1;             // draws the per-layer sensitivities and the noise
  double noise = 0.002;               // ± deterministic "fine-tune noise" per assignment, fraction
};
// A closed-form stand-in for quantize + fine-tune (docs/autoq.md):
//   acc = max(0.1, acc_float − Σ_l [s_w,l · e^{−0.9 (w_l − 2)} + s_a,l · e^{−0.9 (a_l − 2)}]) + noise(bits)
// with s drawn from the seed, first and last layer twice as sensitive (as HAQ observes).
std::unique_ptr<QuantTarget> MakeSyntheticTarget(const SyntheticTargetOptions& options);

}  // namespace fixar::autoq
