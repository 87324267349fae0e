#include "rl/progress.h"

#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace fixar::rl {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "--:--";
  const auto t = static_cast<long>(seconds);
  return fmt::format("{}:{:02}:{:02}", t / 3600, (t / 60) % 60, t % 60);
}

std::string FormatProgress(const ProgressValues& v, int width) {
  if (width <= 0) return "";
  const double pct =
      v.total > 0 ? 100.0 * static_cast<double>(v.step) / static_cast<double>(v.total) : NAN;
  // The step right-aligned to the total's digits and the percentage to 5 places, so that
  // the fields after them keep their columns as the run advances.
  const std::size_t digits = fmt::formatted_size("{}", v.total);
  std::string line = fmt::format("step {:>{}}/{}", v.step, digits, v.total);
  if (std::isfinite(pct)) line += fmt::format(" {:5.1f}%", pct);
  if (line.size() > static_cast<std::size_t>(width)) line.resize(static_cast<std::size_t>(width));
  // The other fields in the order they are given up, last first; NaN ones never appear.
  std::vector<std::string> fields;
  if (std::isfinite(v.eval)) fields.push_back(fmt::format("eval {:.1f}", v.eval));
  if (std::isfinite(v.last_return)) fields.push_back(fmt::format("return {:.1f}", v.last_return));
  if (std::isfinite(v.left_s) && v.left_s >= 0)
    fields.push_back("left " + FormatDuration(v.left_s));
  if (std::isfinite(v.ips)) fields.push_back(fmt::format("IPS {:.0f}", v.ips));
  if (std::isfinite(v.elapsed_s) && v.elapsed_s >= 0)
    fields.push_back("elapsed " + FormatDuration(v.elapsed_s));
  constexpr std::string_view kSeparator = " | ";
  for (const std::string& f : fields) {
    if (line.size() + kSeparator.size() + f.size() > static_cast<std::size_t>(width)) break;
    line.append(kSeparator).append(f);
  }
  return line;
}

ProgressValues TrainingProgress(std::int64_t start_step, std::int64_t step, std::int64_t total, double last_return,
                                double eval, double ips, double elapsed_s) {
  ProgressValues v;
  v.step = step, v.total = total, v.eval = eval, v.last_return = last_return, v.ips = ips, v.elapsed_s = elapsed_s;
  if (step > start_step && elapsed_s >= 1.0)
    v.left_s = elapsed_s / static_cast<double>(step - start_step) * static_cast<double>(total - step);
  return v;
}

}  // namespace fixar::rl
