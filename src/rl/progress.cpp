#include "rl/progress.h"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "util/log.h"

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

int TerminalColumns() {
  winsize ws{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS")) {
    char* end = nullptr;
    const long n = std::strtol(c, &end, 10);
    if (end != c && *end == '\0' && n > 0 && n < 10000) return static_cast<int>(n);
  }
  return 80;
}

ProgressLine::ProgressLine(bool enabled) : enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0) {}

ProgressLine::~ProgressLine() { Finish(); }

void ProgressLine::Update(std::int64_t step, std::int64_t total, double last_return, double eval,
                          double ips, double elapsed_s, bool force) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (tty_ ? 0.5 : 30.0)) return;
  last_ = now;
  ProgressValues v;
  v.step = step, v.total = total, v.eval = eval, v.last_return = last_return, v.ips = ips,
  v.elapsed_s = elapsed_s;
  if (step > start_step_ && elapsed_s >= 1.0)  // an estimate from under a second says little
    v.left_s =
        elapsed_s / static_cast<double>(step - start_step_) * static_cast<double>(total - step);
  if (tty_) {
    // One column spare: a line as wide as the terminal wraps on some terminals.
    util::ShowLiveLine(FormatProgress(v, TerminalColumns() - 1));
    shown_ = true;
  } else {  // a plain line, as wide as it needs to be
    std::fprintf(stderr, "%s\n", FormatProgress(v, 1 << 16).c_str());
    std::fflush(stderr);
  }
}

void ProgressLine::Finish() {
  if (!shown_) return;
  util::EndLiveLine(/*keep=*/true);
  shown_ = false;
}

}  // namespace fixar::rl
