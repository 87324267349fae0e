// What the live progress line of a training run shows (util::ProgressLine draws it):
// step, evaluation, return, time left, IPS and elapsed time, never wider than the
// terminal (fields dropped from the right).
#pragma once

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

// The values of a run at `step` of `total`, started (or resumed) at `start_step`
// `elapsed_s` seconds ago; the time left is estimated from the steps since then (not
// from under a second: that says little).
ProgressValues TrainingProgress(std::int64_t start_step, std::int64_t step, std::int64_t total, double last_return,
                                double eval, double ips, double elapsed_s);

}  // namespace fixar::rl
