#include "util/stats.h"

#include <cmath>

#include <fmt/format.h>

namespace fixar::util {

MeanStd Summarize(const std::vector<double>& values) {
  MeanStd m;
  double sum = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++m.n;
  m.mean = m.n ? sum / static_cast<double>(m.n) : NAN;
  if (m.n < 2) {
    m.std = NAN;
    return m;
  }
  double ss = 0;
  for (double v : values)
    if (std::isfinite(v)) ss += (v - m.mean) * (v - m.mean);
  m.std = std::sqrt(ss / static_cast<double>(m.n - 1));
  return m;
}

std::string FormatMeanStd(const MeanStd& m, std::string_view spec, double scale) {
  const auto value = [&](double x) { return fmt::format(fmt::runtime(spec), x * scale); };
  if (m.n == 0 || !std::isfinite(m.mean)) return "–";
  if (m.n == 1) return value(m.mean) + " (1 seed)";
  return value(m.mean) + " ± " + value(m.std);
}

}  // namespace fixar::util
