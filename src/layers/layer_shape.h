// One weight layer of a network (a plain conv or a fully connected layer) as every floor
// sees it: cnn describes its models with it, the ReRAM cost model prices it, and the
// bit-width search reads HAQ's per-layer features from it (shared/reference/autoq.md).
//
// A fully connected layer is a 1 x 1 conv on a 1 x 1 map with stride 0 (HAQ's
// convention). What follows from the shape:
//   rows              n = c_in · k²      inputs of the layer's matrix
//   cols              m = c_out          outputs of the matrix
//   output_positions  P = out_h · out_w  positions the matrix is applied at (fc: 1)
//   weights           n · m              (biases not counted)
//   macs              n · m · P          multiply-accumulates per inference
// Grouped (depthwise) convs have no shape here: cnn has none.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

namespace fixar::layers {

enum class LayerKind { kConv, kFullyConnected };
inline const char* to_string(LayerKind k) { return k == LayerKind::kConv ? "conv" : "fc"; }

struct LayerShape {
  std::string name;                   // conv1, fc2, ...
  LayerKind kind = LayerKind::kFullyConnected;
  std::int64_t c_in = 1, c_out = 1;   // fc: in and out features
  std::int64_t kernel = 1;            // fc: 1
  std::int64_t stride = 0;            // fc: 0
  std::int64_t in_h = 1, in_w = 1;    // input feature map (fc: 1 x 1)
  std::int64_t out_h = 1, out_w = 1;  // output feature map (fc: 1 x 1)

  static LayerShape Conv(std::string name, std::int64_t c_in, std::int64_t c_out, std::int64_t kernel,
                         std::int64_t stride, std::int64_t in_h, std::int64_t in_w, std::int64_t out_h,
                         std::int64_t out_w) {
    return {std::move(name), LayerKind::kConv, c_in, c_out, kernel, stride, in_h, in_w, out_h, out_w};
  }
  static LayerShape FullyConnected(std::string name, std::int64_t in, std::int64_t out) {
    return {std::move(name), LayerKind::kFullyConnected, in, out, 1, 0, 1, 1, 1, 1};
  }

  std::int64_t input_hw() const { return in_h * in_w; }
  std::int64_t rows() const { return c_in * kernel * kernel; }
  std::int64_t cols() const { return c_out; }
  std::int64_t output_positions() const { return out_h * out_w; }
  std::int64_t weights() const { return rows() * cols(); }
  std::int64_t macs() const { return weights() * output_positions(); }
};

}  // namespace fixar::layers
