// The bits of one weight layer: what the bit-width search chooses and the ReRAM cost
// model prices. Activation bits are the bits of the layer's INPUT (layer 0's activation
// bits quantize the image); the cost model accepts 1..16 of each.
#pragma once

namespace fixar::layers {

struct LayerBits {
  int weight_bits = 8;
  int activation_bits = 8;
  friend bool operator==(const LayerBits&, const LayerBits&) = default;
};

}  // namespace fixar::layers
