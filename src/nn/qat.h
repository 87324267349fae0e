// The quantization-aware-training part of a network (FIXAR's Algorithm 1) and what its
// fixed-point datapath reports: the training step drives the switch to narrow activation
// formats from the recorded ranges; per-layer formats, ranges and saturations.
// Float networks have no switch and report names only.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "numerics/format.h"

namespace fixar::nn {

// What a layer reports about its fixed-point datapath (zeros and NaN for float).
struct LayerStats {
  std::string name;               // e.g. "critic.fc2"
  num::Format activation_format;  // of the layer's output
  num::Format gradient_format;    // of its weight gradients, as last computed
  double range_min = 0, range_max = 0;  // recorded output range (before the QAT switch: running)
  std::uint64_t saturations = 0;        // clamped values in this layer's datapath since ResetStats
  std::uint64_t values = 0;             // values produced (the denominator of the rate)
  double saturation_rate() const { return values ? static_cast<double>(saturations) / values : 0.0; }
};

class QatControl {
 public:
  virtual ~QatControl() = default;
  // The training step counter drives the QAT switch (Algorithm 1): at step == delay
  // the recorded ranges freeze into the narrow formats. Returns true on the switch.
  virtual bool SetTrainingStep(std::int64_t step) { (void)step; return false; }
  virtual bool quantized() const { return false; }
  virtual std::vector<LayerStats> Stats() const = 0;
  virtual void ResetStats() {}
};

}  // namespace fixar::nn
