// Range observers: record the minimum and maximum of tensors as training runs, per
// tensor or per channel. FIXAR's QAT records activation ranges before the
// quantization delay and quantizes with them after it (Algorithm 1).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

namespace fixar::num {

enum class RangeKind : std::uint8_t {
  kLastBatch,      // min/max of the most recent Observe() call
  kRunning,        // min/max over everything observed since Reset() (FIXAR's A_min, A_max)
  kMovingAverage,  // exponential moving average of each call's min/max
};
const char* to_string(RangeKind k);
RangeKind parse_range_kind(const std::string& name);  // last_batch, running, moving_average

class RangeObserver {
 public:
  // channels = 1 observes per tensor; channels = C treats data as rows of C values and
  // keeps one range per column. momentum is the EMA weight of a new batch (kMovingAverage).
  explicit RangeObserver(RangeKind kind = RangeKind::kRunning, int channels = 1, double momentum = 0.01);

  // Observe `rows` rows of `channels` values (row stride `stride`, default channels);
  // each raw value is multiplied by `scale` (a fixed-point format's lsb; 1 for float).
  template <typename T>
  void Observe(const T* data, int rows, double scale = 1.0, int stride = 0);

  bool empty() const { return observations_ == 0; }
  int channels() const { return static_cast<int>(min_.size()); }
  double min(int channel = 0) const { return min_.at(channel); }
  double max(int channel = 0) const { return max_.at(channel); }
  // Over all channels: the per-tensor range of a per-channel observer.
  double overall_min() const;
  double overall_max() const;
  double max_abs() const;
  std::int64_t observations() const { return observations_; }
  RangeKind kind() const { return kind_; }
  void Reset();

 private:
  void Merge(const std::vector<double>& batch_min, const std::vector<double>& batch_max);
  RangeKind kind_;
  double momentum_;
  std::vector<double> min_, max_;
  std::vector<double> batch_min_, batch_max_;  // scratch reused across calls
  std::int64_t observations_ = 0;
};

template <typename T>
void RangeObserver::Observe(const T* data, int rows, double scale, int stride) {
  const int c = channels();
  if (stride == 0) stride = c;
  if (rows <= 0) return;
  batch_min_.assign(c, std::numeric_limits<double>::infinity());
  batch_max_.assign(c, -std::numeric_limits<double>::infinity());
  if constexpr (std::is_integral_v<T>) {
    if (c == 1 && stride == 1) {  // one contiguous tensor: a min/max reduction the compiler vectorises
      T lo = data[0], hi = data[0];
      for (int i = 1; i < rows; ++i) {
        lo = std::min(lo, data[i]);
        hi = std::max(hi, data[i]);
      }
      batch_min_[0] = static_cast<double>(lo) * scale;
      batch_max_[0] = static_cast<double>(hi) * scale;
      Merge(batch_min_, batch_max_);
      return;
    }
  }
  for (int r = 0; r < rows; ++r) {
    const T* row = data + static_cast<std::int64_t>(r) * stride;
    for (int j = 0; j < c; ++j) {
      const double v = static_cast<double>(row[j]);
      if (v < batch_min_[j]) batch_min_[j] = v;
      if (v > batch_max_[j]) batch_max_[j] = v;
    }
  }
  for (int j = 0; j < c; ++j) {
    batch_min_[j] *= scale;
    batch_max_[j] *= scale;
  }
  Merge(batch_min_, batch_max_);
}

}  // namespace fixar::num
