// Mean ± sample standard deviation over seeds, computed and printed one way for every
// report: `fixar report`'s tables (src/report) and the search's report.md (src/autoq).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fixar::util {

// Mean and sample standard deviation (n − 1 in the denominator) of the finite values;
// non-finite values are left out. std is NaN for fewer than two values, mean NaN for none.
struct MeanStd {
  double mean = 0;
  double std = 0;
  std::size_t n = 0;
};
MeanStd Summarize(const std::vector<double>& values);

// "12.34 ± 0.56" with two or more values, "12.34 (1 seed)" with one, "–" with none; each
// number multiplied by `scale` and written by the fmt `spec` ("{:.2f}").
std::string FormatMeanStd(const MeanStd& m, std::string_view spec = "{:.1f}", double scale = 1);

}  // namespace fixar::util
