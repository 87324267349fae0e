#include "util/progress_line.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "util/log.h"

namespace fixar::util {

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

ProgressLine::ProgressLine(bool enabled, ProgressPacing pacing)
    : enabled_(enabled), tty_(::isatty(STDERR_FILENO) != 0), pacing_(pacing) {}

ProgressLine::~ProgressLine() { Finish(); }

void ProgressLine::Update(const std::function<std::string(int width)>& line, bool force) {
  if (!enabled_ || (!tty_ && pacing_.plain_s <= 0)) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_).count();
  if (!force && since < (tty_ ? pacing_.terminal_s : pacing_.plain_s)) return;
  last_ = now;
  if (tty_) {
    ShowLiveLine(line(TerminalColumns() - 1));
    shown_ = true;
  } else {  // a plain line, as wide as it needs to be
    std::fprintf(stderr, "%s\n", line(1 << 16).c_str());
    std::fflush(stderr);
  }
}

void ProgressLine::Finish() {
  if (!shown_) return;
  EndLiveLine(pacing_.keep);
  shown_ = false;
}

}  // namespace fixar::util
