// Fake quantization: values are rounded to an integer grid and mapped straight back to
// float, so that float training sees the error of the integer datapath (weights and
// activations as b-bit integers times one scale per tensor or per output channel).
//
// Grids (round half to even, std::nearbyint in the default rounding mode; saturate):
//  * weights — symmetric signed, restricted range: q ∈ [−(2^(b−1)−1), 2^(b−1)−1],
//    w ≈ q·s, s = clip / (2^(b−1)−1). Zero is exact and the grid is symmetric, which a
//    ReRAM offset-column or differential mapping stores without a zero point.
//    b = 2 gives the ternary grid {−s, 0, s}.
//  * activations — unsigned q ∈ [0, 2^b − 1], a ≈ q·s, s = hi / (2^b − 1), when the
//    calibrated range has lo >= 0 (ReLU outputs); otherwise symmetric signed like the
//    weights with clip = max(|lo|, |hi|) (the normalised input image).
//  * bits >= 32 means "not quantized" (float32 passes through); 16 is a 16-bit grid.
// Clipping: kMax uses the largest magnitude; kMse picks, from 0.30·max to 1.00·max in
// steps of 0.05, the clip with the least squared quantization error on the values given
// (for activations: the calibration samples; for weights: the channel or tensor).
// At 2–4 bits this clips outliers and keeps resolution where the values are.
// Backward (straight-through estimator, Bengio et al. 2013): the gradient passes
// unchanged where the value lay inside the clipping range and is 0 where it was clipped.
#pragma once

#include <span>
#include <string>
#include <vector>

namespace fixar::cnn {

enum class WeightScaling { kPerChannel, kPerTensor };
enum class ClipMethod { kMax, kMse };
const char* to_string(WeightScaling s);  // "per-channel" / "per-tensor"
const char* to_string(ClipMethod c);     // "max" / "mse"

inline bool IsFloatBits(int bits) { return bits >= 32; }
// Valid bit widths: 2..8, 16, 32. Throws std::invalid_argument naming `what` and the value.
void CheckBits(int bits, const std::string& what);

// Fake-quantizes a weight matrix of `channels` rows (output channels) into wq and
// returns the scale of each row (one repeated value for kPerTensor).
std::vector<float> FakeQuantWeights(std::span<const float> w, int channels, int bits, WeightScaling scaling,
                                    ClipMethod clip, std::span<float> wq);

struct ActRange {
  float lo = 0, hi = 0;  // values outside are clipped; lo >= 0 selects the unsigned grid
  bool is_unsigned() const { return lo >= 0; }
};
// Range of an activation tensor from calibration samples, for `bits` bits.
ActRange CalibrateActivationRange(std::span<const float> samples, int bits, ClipMethod clip);
// The clipping interval actually applied ([−clip, clip] for signed, [0, hi] unsigned).
ActRange EffectiveRange(ActRange r);
void FakeQuantActivations(std::span<const float> x, ActRange r, int bits, std::span<float> xq);
// grad[i] = 0 where x[i] was clipped by the range (STE); unchanged elsewhere.
void SteMask(std::span<const float> x, ActRange r, std::span<float> grad);

}  // namespace fixar::cnn
