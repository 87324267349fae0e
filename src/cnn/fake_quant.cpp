#include "cnn/fake_quant.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::cnn {
namespace {

// Largest code of the symmetric signed grid, 2^(b−1) − 1.
float SignedMax(int bits) { return static_cast<float>((1LL << (bits - 1)) - 1); }
float UnsignedMax(int bits) { return static_cast<float>((1LL << bits) - 1); }

// Round half to even for |t| <= 2^22: adding 1.5·2^23 leaves no fraction bits, so the
// addition itself rounds (default rounding mode: to nearest, ties to even), and the
// subtraction is exact. The same integers as std::nearbyint (except that a negative value
// rounding to zero gives +0, not −0, which no sum or product here tells apart), but
// inline and vectorisable: nearbyint is a library call per value, and the MSE clip
// search rounds every weight 15 times per forward pass (perf, vgg_small 4/4 fine-tune:
// ChooseClip + FakeQuantActivations + nearbyintf were 22 % of a step, the GEMM 38 %).
inline float RoundHalfEven(float t) {
  constexpr float kShift = 12582912.0f;  // 1.5 · 2^23
  return (t + kShift) - kShift;
}

// Clamping to the (integer) code range before rounding gives what rounding first and
// clamping after gives, and keeps |t| small enough for RoundHalfEven.
inline float Round(float v, float scale, float qmin, float qmax) {
  return RoundHalfEven(std::clamp(v / scale, qmin, qmax)) * scale;
}

// Eight partial sums added in a fixed order: one running sum is a chain of dependent
// adds that keeps the loop scalar (the clip search calls this 15 times per channel).
double SquaredError(std::span<const float> x, float scale, float qmin, float qmax) {
  constexpr std::size_t kParts = 8;
  double part[kParts] = {};
  std::size_t i = 0;
  for (; i + kParts <= x.size(); i += kParts)
    for (std::size_t j = 0; j < kParts; ++j) {
      const double d = Round(x[i + j], scale, qmin, qmax) - x[i + j];
      part[j] += d * d;
    }
  for (; i < x.size(); ++i) {
    const double d = Round(x[i], scale, qmin, qmax) - x[i];
    part[i % kParts] += d * d;
  }
  double e = 0;
  for (double p : part) e += p;
  return e;
}

// The clip in {0.30, 0.35, ..., 1.00}·max_abs with the least squared error (kMse), or max_abs.
float ChooseClip(std::span<const float> x, float max_abs, float qmin, float qmax, ClipMethod clip) {
  if (clip == ClipMethod::kMax || max_abs <= 0) return max_abs;
  float best = max_abs;
  double best_err = SquaredError(x, max_abs / qmax, qmin, qmax);
  for (int step = 0; step < 14; ++step) {
    const float c = max_abs * (0.30f + 0.05f * static_cast<float>(step));
    const double err = SquaredError(x, c / qmax, qmin, qmax);
    if (err < best_err) best = c, best_err = err;
  }
  return best;
}

}  // namespace

const char* to_string(WeightScaling s) { return s == WeightScaling::kPerChannel ? "per-channel" : "per-tensor"; }
const char* to_string(ClipMethod c) { return c == ClipMethod::kMax ? "max" : "mse"; }

void CheckBits(int bits, const std::string& what) {
  if ((bits >= 2 && bits <= 8) || bits == 16 || bits == 32) return;
  throw std::invalid_argument(fmt::format("{}: {} bits is not supported; valid: 2..8, 16 or 32 (32 = float)", what, bits));
}

std::vector<float> FakeQuantWeights(std::span<const float> w, int channels, int bits, WeightScaling scaling,
                                    ClipMethod clip, std::span<float> wq) {
  const std::size_t per = w.size() / static_cast<std::size_t>(channels);
  std::vector<float> scales(channels, 1.0f);
  if (IsFloatBits(bits)) {
    std::copy(w.begin(), w.end(), wq.begin());
    return scales;
  }
  const float qmax = SignedMax(bits);
  auto quantize = [&](std::size_t begin, std::size_t count) {
    const auto part = w.subspan(begin, count);
    float max_abs = 0;
    for (float v : part) max_abs = std::max(max_abs, std::abs(v));
    const float c = ChooseClip(part, max_abs, -qmax, qmax, clip);
    const float scale = c > 0 ? c / qmax : 1.0f;  // an all-zero row stays zero
    for (std::size_t i = 0; i < count; ++i) wq[begin + i] = Round(w[begin + i], scale, -qmax, qmax);
    return scale;
  };
  if (scaling == WeightScaling::kPerTensor) {
    std::fill(scales.begin(), scales.end(), quantize(0, w.size()));
  } else {
    for (int c = 0; c < channels; ++c) scales[c] = quantize(c * per, per);
  }
  return scales;
}

ActRange CalibrateActivationRange(std::span<const float> samples, int bits, ClipMethod clip) {
  float lo = 0, hi = 0;
  for (float v : samples) lo = std::min(lo, v), hi = std::max(hi, v);
  if (IsFloatBits(bits)) return {lo, hi};
  if (lo >= 0) {
    const float qmax = UnsignedMax(bits);
    return {0.0f, ChooseClip(samples, hi, 0.0f, qmax, clip)};
  }
  const float qmax = SignedMax(bits);
  const float c = ChooseClip(samples, std::max(-lo, hi), -qmax, qmax, clip);
  return {-c, c};
}

ActRange EffectiveRange(ActRange r) {
  if (r.is_unsigned()) return {0.0f, r.hi};
  const float c = std::max(-r.lo, r.hi);
  return {-c, c};
}

void FakeQuantActivations(std::span<const float> x, ActRange r, int bits, std::span<float> xq) {
  if (IsFloatBits(bits)) {
    std::copy(x.begin(), x.end(), xq.begin());
    return;
  }
  const ActRange e = EffectiveRange(r);
  const float qmax = r.is_unsigned() ? UnsignedMax(bits) : SignedMax(bits);
  const float qmin = r.is_unsigned() ? 0.0f : -qmax;
  const float scale = e.hi > 0 ? e.hi / qmax : 1.0f;
  for (std::size_t i = 0; i < x.size(); ++i) xq[i] = Round(x[i], scale, qmin, qmax);
}

void SteMask(std::span<const float> x, ActRange r, std::span<float> grad) {
  const ActRange e = EffectiveRange(r);
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i] < e.lo || x[i] > e.hi) grad[i] = 0;
}

}  // namespace fixar::cnn
