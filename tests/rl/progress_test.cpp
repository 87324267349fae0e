// The live progress line: never wider than asked (fields dropped from the right), no "nan"
// for values that do not exist yet, and log lines printed above it, not into it.
#include "rl/progress.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/log.h"
#include "util/progress_line.h"

namespace fixar::rl {
namespace {

ProgressValues Full() {
  ProgressValues v;
  v.step = 123'456, v.total = 1'000'000, v.eval = -1234.5, v.last_return = 6789.1,
  v.left_s = 3 * 3600 + 62, v.ips = 31527, v.elapsed_s = 4000;
  return v;
}

TEST(ProgressLine, NeverWiderThanAskedAndDropsFieldsFromTheRight) {
  const std::string full = FormatProgress(Full(), 10'000);
  EXPECT_EQ(full,
            "step  123456/1000000  12.3% | eval -1234.5 | return 6789.1 | left 3:01:02 | IPS 31527 "
            "| elapsed "
            "1:06:40");
  const std::size_t first_field = full.find(" | ");
  std::string previous;
  for (int width = 0; width <= 200; ++width) {
    const std::string line = FormatProgress(Full(), width);
    ASSERT_LE(line.size(), static_cast<std::size_t>(width)) << line;
    // What is shown is the full line cut at a field boundary (or the first field cut).
    ASSERT_EQ(full.rfind(line, 0), 0u) << "width " << width << ": " << line;
    if (static_cast<std::size_t>(width) >= first_field) {
      ASSERT_TRUE(line.size() == full.size() || full.compare(line.size(), 3, " | ") == 0) << line;
    }
    ASSERT_GE(line.size(), previous.size());
    previous = line;
  }
  EXPECT_EQ(FormatProgress(Full(), 79),
            "step  123456/1000000  12.3% | eval -1234.5 | return 6789.1 | left 3:01:02");
}

TEST(ProgressLine, ValuesThatDoNotExistYetAreLeftOut) {
  ProgressValues v;
  v.step = 500, v.total = 20'000;  // warm-up: no episode ended, no evaluation, no update
  const std::string line = FormatProgress(v, 80);
  EXPECT_EQ(line, "step   500/20000   2.5%");
  for (const double bad : {NAN, INFINITY, -INFINITY}) {
    ProgressValues w = Full();
    w.eval = w.last_return = w.ips = w.left_s = w.elapsed_s = bad;
    const std::string s = FormatProgress(w, 200);
    EXPECT_EQ(s.find("nan"), std::string::npos) << s;
    EXPECT_EQ(s.find("inf"), std::string::npos) << s;
    EXPECT_EQ(s, "step  123456/1000000  12.3%");
  }
  ProgressValues none;  // a total of 0 (nothing to do): no percentage, no division by zero
  EXPECT_EQ(FormatProgress(none, 80), "step 0/0");
}

TEST(ProgressLine, Durations) {
  EXPECT_EQ(FormatDuration(0), "0:00:00");
  EXPECT_EQ(FormatDuration(3 * 3600 + 62.9), "3:01:02");
  EXPECT_EQ(FormatDuration(-1), "--:--");
  EXPECT_EQ(FormatDuration(NAN), "--:--");
}

TEST(ProgressLine, TerminalWidthFromColumnsWhenNotATerminal) {
  if (::isatty(STDERR_FILENO)) GTEST_SKIP() << "stderr is a terminal: its width wins";
  ::setenv("COLUMNS", "132", 1);
  EXPECT_EQ(util::TerminalColumns(), 132);
  ::setenv("COLUMNS", "wide", 1);
  EXPECT_EQ(util::TerminalColumns(), 80);
  ::unsetenv("COLUMNS");
  EXPECT_EQ(util::TerminalColumns(), 80);
}

// stderr into a file while `fn` runs; returns what was written.
template <typename Fn>
std::string CaptureStderr(const Fn& fn) {
  const auto path = std::filesystem::temp_directory_path() / "fixar_progress_stderr.txt";
  std::fflush(stderr);
  const int saved = ::dup(STDERR_FILENO);
  std::FILE* f = std::fopen(path.c_str(), "w");
  ::dup2(::fileno(f), STDERR_FILENO);
  fn();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::fclose(f);
  std::stringstream s;
  s << std::ifstream(path).rdbuf();
  return s.str();
}

TEST(ProgressLine, LogLinesArePrintedAboveTheLiveLine) {
  const std::string out = CaptureStderr([] {
    util::ShowLiveLine("step 1/10");
    util::ShowLiveLine("step 2/10");
    util::LogLine(util::LogLevel::kInfo, "QAT switch");
    util::EndLiveLine(/*keep=*/true);
    util::LogLine(util::LogLevel::kInfo, "after");
    util::EndLiveLine(/*keep=*/true);  // nothing shown: nothing happens
  });
  // Each drawing goes back to the line's start and erases it; the log line replaces the
  // live line, which is drawn again below it.
  EXPECT_EQ(out,
            "\r\033[Kstep 1/10\r\033[Kstep 2/10\r\033[K[fixar info] QAT switch\nstep 2/10\n"
            "[fixar info] after\n");
}

}  // namespace
}  // namespace fixar::rl
