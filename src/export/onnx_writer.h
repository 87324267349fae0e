// `fixar export --onnx`: a trained actor as an ONNX model (opset 17, IR version 8), built
// with the ONNX message classes of Debian's libonnx-dev (onnx-ml.pb.h) and libprotobuf.
//
// Input "obs" float32 [batch, obs_dim], output "action" float32 [batch, action_dim].
//   float32 networks: Gemm (transB) + Relu per layer, Tanh at the end, float32 initializers.
//   fixed-point networks: integer initializers (the int32 weights and biases, the FixedTanh
//     table) cast to double, and every tensor held as its raw integer in double: the input
//     quantization, the exact products (MatMul), the bias at the accumulator scale, each
//     requantization (Mul by a power of two, Round half-to-even or Floor, Clip), ReLU, the
//     table tanh (Gather + interpolation) and the narrowing to the 16-bit input formats.
//     Exact where every sum stays below 2^53 (checked per layer); docs/export.md.
#pragma once

#include <string>
#include <vector>

#include "nn/mlp.h"

namespace fixar::exporting {

struct OnnxModel {
  std::string bytes;                 // the serialized ModelProto
  std::vector<std::string> layers;   // one line per layer: its form and whether it is exact
  bool exact = false;                // fixed point and every layer exact
};

// Throws std::invalid_argument naming the setting when the network cannot be written:
// rounding modes other than floor and half_even, stochastic rounding, the affine QAT
// quantizer, overflow other than saturate. `doc` becomes the model's doc_string.
OnnxModel BuildOnnx(const nn::Mlp& net, const std::string& doc);

// True when this build has the ONNX writer (Debian's libonnx-dev and libprotobuf-dev were
// found at configure time); BuildOnnx throws naming the packages otherwise.
bool OnnxAvailable();

}  // namespace fixar::exporting
