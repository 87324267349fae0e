// A batch of feature maps, N x C x H x W, float32, row-major (W fastest): the one
// activation container of the CNN layers. A fully connected layer sees a sample as
// C*H*W features (Flatten only relabels the shape to N x (C*H*W) x 1 x 1).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace fixar::cnn {

// Shape of ONE sample (channels, height, width).
struct MapShape {
  int c = 1, h = 1, w = 1;
  std::size_t size() const { return static_cast<std::size_t>(c) * h * w; }
  friend bool operator==(const MapShape&, const MapShape&) = default;
};

struct Tensor {
  int n = 0;
  MapShape shape;
  std::vector<float> data;

  void Resize(int batch, MapShape s) {
    n = batch;
    shape = s;
    data.resize(static_cast<std::size_t>(batch) * s.size());
  }
  std::size_t sample_size() const { return shape.size(); }
  float* sample(int i) { return data.data() + static_cast<std::size_t>(i) * shape.size(); }
  const float* sample(int i) const { return data.data() + static_cast<std::size_t>(i) * shape.size(); }
  std::span<float> span() { return data; }
  std::span<const float> span() const { return data; }
};

}  // namespace fixar::cnn
