// A run's state from its files: done, partial, running, failed, not started.
#include "sweep/sweep_dir.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cmath>

#include "test_util.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;
using testing::ScratchDir;
using testing::WriteFile;

const std::string kName = "Pendulum_fixar_s0";

// progress.csv as `fixar train` writes it: evaluations every other row here.
void WriteProgress(const SweepDir& d, bool recent) {
  const fs::path csv = d.run(kName) / "progress.csv";
  WriteFile(csv,
            "step,episode,episode_return,episode_length,eval_mean,eval_std,critic_loss\n"
            "500,2,-1200.5,200,,,0.1\n"
            "1000,5,-900.25,200,-850.5,12.5,0.2\n"
            "1500,7,-700,200,,,0.3\n");
  if (!recent) fs::last_write_time(csv, fs::file_time_type::clock::now() - std::chrono::hours(1));
}

TEST(InspectRun, NotStartedWithoutFiles) {
  ScratchDir tmp;
  const RunStatus s = InspectRun(SweepDir(tmp.path()), kName, 2000);
  EXPECT_EQ(s.state, RunState::kNotStarted);
  EXPECT_EQ(s.steps_done, 0);
  EXPECT_TRUE(std::isnan(s.last_eval));
}

TEST(InspectRun, PartialWithACheckpointAndOldProgress) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  WriteProgress(d, /*recent=*/false);
  WriteFile(d.run(kName) / "checkpoint.bin", "x");
  const RunStatus s = InspectRun(d, kName, 2000);
  EXPECT_EQ(s.state, RunState::kPartial);
  EXPECT_EQ(s.steps_done, 1500);
  EXPECT_DOUBLE_EQ(s.last_eval, -850.5);
  EXPECT_TRUE(s.has_checkpoint);
}

TEST(InspectRun, DoneOnlyWhenTheSummaryHasTheGridsSteps) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  WriteProgress(d, false);
  WriteFile(d.run(kName) / "checkpoint.bin", "x");
  WriteFile(d.run(kName) / "summary.json", R"({"steps": 1500, "final_eval_mean": -800.0})");
  EXPECT_EQ(InspectRun(d, kName, 2000).state, RunState::kPartial);  // the grid asks for more steps now
  WriteFile(d.run(kName) / "summary.json", R"({"steps": 2000, "final_eval_mean": -160.5})");
  const RunStatus s = InspectRun(d, kName, 2000);
  EXPECT_EQ(s.state, RunState::kDone);
  EXPECT_EQ(s.steps_done, 2000);
  EXPECT_DOUBLE_EQ(s.last_eval, -160.5);
}

TEST(InspectRun, AnAutoqSearchIsDoneWhenItsSummaryListsItsSearches) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  const std::string name = "ppo-random_energy_b0.34_s1";
  WriteFile(d.run(name) / "evaluations.csv", "agent,seed\nppo,1\n");  // written as the search goes
  EXPECT_EQ(InspectRun(d, name, 600).state, RunState::kNotStarted);   // no checkpoint: starts afresh
  WriteFile(d.run(name) / "summary.json", R"({"searches": []})");
  EXPECT_NE(InspectRun(d, name, 600).state, RunState::kDone);
  WriteFile(d.run(name) / "summary.json",
            R"({"metric": "energy", "searches": [{"agent": "ppo", "best": {"accuracy": 0.9172}}]})");
  const RunStatus s = InspectRun(d, name, 600);
  EXPECT_EQ(s.state, RunState::kDone);
  EXPECT_EQ(s.steps_done, 600);
  EXPECT_DOUBLE_EQ(s.last_eval, 91.72);
}

TEST(InspectRun, RunningWhileItsLogIsLocked) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  WriteProgress(d, false);
  WriteFile(d.run(kName) / "checkpoint.bin", "x");
  WriteFile(d.log(kName), "");
  const int fd = ::open(d.log(kName).c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  EXPECT_TRUE(IsLocked(d.log(kName)));
  EXPECT_EQ(InspectRun(d, kName, 2000).state, RunState::kRunning);
  ::close(fd);
  EXPECT_FALSE(IsLocked(d.log(kName)));
  EXPECT_EQ(InspectRun(d, kName, 2000).state, RunState::kPartial);
}

TEST(InspectRun, RunningWhenProgressIsRecentAndNewerThanTheLastAttempt) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  WriteProgress(d, /*recent=*/true);  // e.g. a run on another machine, where the lock is not seen
  EXPECT_EQ(InspectRun(d, kName, 2000).state, RunState::kRunning);
  Attempt a;
  a.exit_code = 1;
  WriteAttempt(d, kName, a);  // ended after the last progress row
  const RunStatus s = InspectRun(d, kName, 2000);
  EXPECT_EQ(s.state, RunState::kFailed);
  EXPECT_EQ(s.detail, "exit 1");
}

TEST(InspectRun, FailedUnlessTheSweepInterruptedIt) {
  ScratchDir tmp;
  const SweepDir d(tmp.path());
  WriteProgress(d, false);
  WriteFile(d.run(kName) / "checkpoint.bin", "x");
  fs::create_directories(d.logs());
  Attempt a;
  a.exit_code = -1;
  a.signal = 9;
  a.started = a.finished = NowIso();
  WriteAttempt(d, kName, a);
  RunStatus s = InspectRun(d, kName, 2000);
  EXPECT_EQ(s.state, RunState::kFailed);
  EXPECT_EQ(s.detail, "signal 9");
  a.signal = 2;
  a.interrupted = true;
  WriteAttempt(d, kName, a);
  EXPECT_EQ(InspectRun(d, kName, 2000).state, RunState::kPartial);
  const auto back = ReadAttempt(d, kName);
  ASSERT_TRUE(back.has_value());
  EXPECT_TRUE(back->interrupted);
  EXPECT_EQ(back->describe(), "interrupted (signal 2)");
  EXPECT_EQ(back->started, a.started);
}

TEST(SweepDir, PathsAreAbsoluteAndFixed) {
  const SweepDir d("some/dir/");
  EXPECT_TRUE(d.root.is_absolute());
  EXPECT_EQ(d.root.filename(), "dir");
  EXPECT_EQ(d.run("A_b_s0"), d.root / "runs" / "A_b_s0");
  EXPECT_EQ(d.log("A_b_s0"), d.root / "logs" / "A_b_s0.log");
  EXPECT_EQ(d.status("A_b_s0"), d.root / "logs" / "A_b_s0.status.json");
  EXPECT_EQ(d.grid(), d.root / "grid.toml");
}

}  // namespace
}  // namespace fixar::sweep
