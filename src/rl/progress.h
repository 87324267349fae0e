// The live progress of a training run on stderr. On a terminal: one line, redrawn in place
// at most twice a second, never wider than the terminal (fields dropped from the right),
// with log lines printed above it (util::ShowLiveLine). Elsewhere (CI, log files): a
// plain line every 30 s.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>

namespace fixar::rl {

// What the line shows; NaN where a value does not exist yet (no episode ended, no
// evaluation, no update in the window, no step done).
struct ProgressValues {
  std::int64_t step = 0, total = 0;
  double eval = NAN, last_return = NAN, left_s = NAN, ips = NAN, elapsed_s = NAN;
};

// "step 12000/20000 60.0% | eval -150.2 | return -145.3 | left 0:00:13 | IPS 45123 |
// elapsed 0:00:21": ASCII, at most `width` characters; fields that do not fit are dropped
// from the right (the step field is cut when even it does not fit); a NaN value leaves
// its field out.
std::string FormatProgress(const ProgressValues& v, int width);

// "1:02:03"; "--:--" for a negative or non-finite number of seconds.
std::string FormatDuration(double seconds);

// The width of the terminal on stderr (ioctl TIOCGWINSZ), else $COLUMNS, else 80.
int TerminalColumns();

class ProgressLine {
 public:
  explicit ProgressLine(bool enabled);
  ~ProgressLine();  // a live line still shown stays on the screen, ended by a newline
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  void set_start(std::int64_t step) { start_step_ = step; }  // for the time left
  // Shows the values unless the last update was under 0.5 s (terminal) or 30 s ago.
  void Update(std::int64_t step, std::int64_t total, double last_return, double eval, double ips,
              double elapsed_s, bool force = false);
  void Finish();  // ends the live line (the summary comes below it)

 private:
  bool enabled_, tty_, shown_ = false;
  std::int64_t start_step_ = 0;
  std::chrono::steady_clock::time_point last_ =
      std::chrono::steady_clock::now() - std::chrono::hours(1);
};

}  // namespace fixar::rl
