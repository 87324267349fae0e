// CNNs from ONNX files (e.g. exported from PyTorch): the graph read with Debian's
// libonnx-dev, mapped onto fixar's layer sequence, weights and BatchNorm statistics copied.
//
//   cnn::Model m = cnn::ImportOnnx("net.onnx");      // or LoadModelFile: .onnx or a fixar checkpoint
//
// Supported (opset 7+): Conv (square kernel, equal strides and symmetric pads, no groups
// or dilation), BatchNormalization (inference form), Relu, MaxPool / AveragePool (square,
// no padding, floor mode), Flatten (axis 1), Gemm (alpha = beta = 1, either transB),
// MatMul followed by Add of a constant (a linear layer), Add of the chain and an earlier
// tensor of it (a residual identity shortcut: ResNet's basic block), Identity and Dropout
// (skipped). The graph must be a chain from one image input N x C x H x W, each node
// feeding the next, shortcuts aside. Anything else — another operator, a shortcut with
// layers of its own (ResNet's projection), another branch — throws std::invalid_argument
// naming the file, the node (name and operator) and why.
#pragma once

#include <filesystem>

#include "cnn/model.h"

namespace fixar::cnn {

// Whether this build reads ONNX (libonnx-dev + libprotobuf-dev found at build time).
bool OnnxImportAvailable();

// The model of an ONNX file; its config names it after the file and generates the TOML
// text of its layer sequence (config().toml_text), so Save/Load work as for any model.
Model ImportOnnx(const std::filesystem::path& path);

// A trained model from a file: ImportOnnx for *.onnx, Model::Load (fixar's checkpoint) otherwise.
Model LoadModelFile(const std::filesystem::path& path);

}  // namespace fixar::cnn
