// One live progress line on stderr, for every long-running command (training, fine-tuning).
// On a terminal: one line redrawn in place (util::ShowLiveLine, so log lines scroll above
// it), at most every `terminal_s` seconds, never wider than the terminal. Elsewhere (CI,
// log files): a plain line every `plain_s` seconds, or none when plain_s <= 0.
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace fixar::util {

// The width of the terminal on stderr (ioctl TIOCGWINSZ), else $COLUMNS, else 80.
int TerminalColumns();

struct ProgressPacing {
  double terminal_s = 0.5;  // least time between two drawings on a terminal
  double plain_s = 30;      // least time between two plain lines; <= 0: none off a terminal
  bool keep = true;         // Finish leaves the last line on the screen (false: erases it)
};

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled, ProgressPacing pacing = {});
  ~ProgressLine();  // Finish()
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  // Shows line(width) unless the last one was shown less than the pacing's interval ago
  // (`force` shows it anyway). width: the terminal's columns less one (a line as wide as
  // the terminal wraps on some), or unlimited for a plain line.
  void Update(const std::function<std::string(int width)>& line, bool force = false);
  void Finish();  // ends the live line (what follows comes below it, or in its place)

 private:
  bool enabled_, tty_, shown_ = false;
  ProgressPacing pacing_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now() - std::chrono::hours(1);
};

}  // namespace fixar::util
