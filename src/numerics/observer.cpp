#include "numerics/observer.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::num {

const char* to_string(RangeKind k) {
  switch (k) {
    case RangeKind::kLastBatch: return "last_batch";
    case RangeKind::kRunning: return "running";
    case RangeKind::kMovingAverage: return "moving_average";
  }
  return "?";
}

RangeKind parse_range_kind(const std::string& name) {
  for (RangeKind k : {RangeKind::kLastBatch, RangeKind::kRunning, RangeKind::kMovingAverage})
    if (name == to_string(k)) return k;
  throw std::invalid_argument(
      fmt::format("unknown range observer '{}'; valid: last_batch, running, moving_average", name));
}

RangeObserver::RangeObserver(RangeKind kind, int channels, double momentum)
    : kind_(kind), momentum_(momentum) {
  if (channels < 1)
    throw std::invalid_argument(fmt::format("RangeObserver: channels = {}; valid: >= 1", channels));
  if (!(momentum > 0 && momentum <= 1))
    throw std::invalid_argument(fmt::format("RangeObserver: momentum = {}; valid: (0, 1]", momentum));
  min_.assign(channels, 0.0);
  max_.assign(channels, 0.0);
}

void RangeObserver::Merge(const std::vector<double>& batch_min, const std::vector<double>& batch_max) {
  for (std::size_t j = 0; j < min_.size(); ++j) {
    if (observations_ == 0 || kind_ == RangeKind::kLastBatch) {
      min_[j] = batch_min[j];
      max_[j] = batch_max[j];
    } else if (kind_ == RangeKind::kRunning) {
      min_[j] = std::min(min_[j], batch_min[j]);
      max_[j] = std::max(max_[j], batch_max[j]);
    } else {
      min_[j] += momentum_ * (batch_min[j] - min_[j]);
      max_[j] += momentum_ * (batch_max[j] - max_[j]);
    }
  }
  ++observations_;
}

double RangeObserver::overall_min() const { return *std::min_element(min_.begin(), min_.end()); }
double RangeObserver::overall_max() const { return *std::max_element(max_.begin(), max_.end()); }
double RangeObserver::max_abs() const { return std::max(std::fabs(overall_min()), std::fabs(overall_max())); }

void RangeObserver::Reset() {
  std::fill(min_.begin(), min_.end(), 0.0);
  std::fill(max_.begin(), max_.end(), 0.0);
  observations_ = 0;
}

}  // namespace fixar::num
