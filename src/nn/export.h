// Read access to a fixed-point network's datapath for exporters (src/export): the
// integers and formats FixedMlp::Forward computes with, nothing else.
//
// Why a free function and not a method of the network: only exporters need the raw state, and
// the class behind it (FixedMlp) is private to fixed_mlp.cpp; a function implemented
// there reads it without widening the interfaces every network implements.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "nn/layers.h"
#include "nn/network.h"
#include "nn/precision.h"
#include "numerics/format.h"

namespace fixar::nn {

// One layer of FixedMlp::Forward for one sample x (the layer input, raw in input_format):
//   acc_j = Σ_k x_k·weights[j·in + k]  exactly, at input_format.frac_bits + weight_format.frac_bits
//           + bias_j aligned to that scale (num::Requantize into Signed(64, acc_frac), floor, saturate)
//   y_j   = num::Requantize(acc_j, acc_frac, policy.activation, policy.rounding, policy.overflow),
//           max(0, ·) for ReLU;  FixedTanh(y_j, activation, activation, rounding) for tanh
// and, for every layer but the last, y is narrowed into the next layer's input_format
// (after the QAT switch; before it that format is the activation format itself).
struct FixedLayerExport {
  int in = 0, out = 0;
  Activation activation = Activation::kNone;
  std::vector<std::int32_t> weights;  // out×in, row-major: the values the datapath multiplies
  num::Format weight_format;          // theirs: policy.weight, or the narrowed copy's (wXaY after the switch)
  std::vector<std::int32_t> bias;     // the master biases
  num::Format bias_format;            // policy.weight
  num::Format input_format;           // of the layer input as multiplied
};

struct FixedExport {
  std::string name;        // the network's name, e.g. "actor"
  PrecisionPolicy policy;  // rounding, overflow, the activation format of outputs and of the network input
  bool quantized = false;  // past the QAT switch: layer inputs narrowed to their input formats
  // The QAT switch happens at the next Forward (the delay has passed but no range was
  // recorded yet): the state is about to change, exporters refuse it.
  bool switch_pending = false;
  // After the switch with policy.qat_quantizer == kAffine the layer inputs go through the
  // paper's affine quantizer in double (fake quantization), which is not integer arithmetic.
  bool affine_inputs = false;
  std::vector<FixedLayerExport> layers;
};

// The datapath state of a fixed-point network. Throws std::invalid_argument naming the
// network when it is not fixed point (a float32 policy).
FixedExport ExportFixed(const Network& net);

// The table FixedTanh (nn/fixed_math.h) interpolates and its constants: entries[i] =
// tanh(i·2^-step_bits) in Q(table_frac_bits), i = 0 … 8·2^step_bits; the input is aligned
// to input_frac_bits (floor), the interpolation product rounds half to even.
struct FixedTanhTableExport {
  int table_frac_bits = 0, input_frac_bits = 0, step_bits = 0;
  std::span<const std::int64_t> entries;
};
FixedTanhTableExport ExportFixedTanhTable();

}  // namespace fixar::nn
