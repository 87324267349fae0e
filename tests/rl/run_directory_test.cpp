// The run-directory contract (docs/training.md, "Run directories"): one process per
// directory, a resume never rewrites config.toml and changes only what is safe, a torn
// progress row is dropped, and kill -9 at any moment leaves a loadable checkpoint.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <nlohmann/json.hpp>

#include "rl/run_records.h"
#include "rl/trainer.h"
#include "small_run.h"
#include "util/file_lock.h"

extern char** environ;

namespace fixar::rl {
namespace {

namespace fs = std::filesystem;

using testing::Fresh;

// A small run (small_run.h) in exactly `run_dir`.
TrainOptions Small(const fs::path& run_dir, std::int64_t steps) {
  TrainOptions o = testing::Small("", steps);
  o.run_dir = run_dir.string();
  return o;
}

TrainOptions Resume(const fs::path& run_dir, std::int64_t steps) {
  TrainOptions o = testing::Small("", steps);
  o.resume_dir = run_dir.string();
  return o;
}

std::string Read(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

template <typename Fn>
std::string ErrorOf(const Fn& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(RunDirectory, ASecondProcessIsRefusedWithTheHoldersPid) {
  const fs::path dir = Fresh("fixar_rundir_lock") / "run";
  Train(Small(dir, 400));
  const util::DirectoryLock held(dir.string());  // as another process would hold it
  const std::string e = ErrorOf([&] { Train(Resume(dir, 800)); });
  EXPECT_NE(e.find("in use by process " + std::to_string(getpid())), std::string::npos) << e;
}

TEST(RunDirectory, AResumeKeepsConfigTomlAndRefusesUnsafeChanges) {
  const fs::path dir = Fresh("fixar_rundir_resume") / "run";
  Train(Small(dir, 400));
  const std::string config = Read(dir / "config.toml"), progress = Read(dir / "progress.csv");
  TrainOptions changed = Resume(dir, 800);
  changed.config.batch_size = 32;
  changed.config.qat_delay = 100;
  const std::string e = ErrorOf([&] { Train(changed); });
  EXPECT_NE(e.find("ddpg.batch_size: 16 -> 32"), std::string::npos) << e;
  EXPECT_NE(e.find("precision.qat_delay: 500 -> 100"), std::string::npos) << e;
  EXPECT_EQ(Read(dir / "config.toml"), config);
  EXPECT_EQ(Read(dir / "progress.csv"), progress);  // nothing written
  TrainOptions more = Resume(dir, 800);
  more.config.threads = 2;  // safe: how far and how fast
  EXPECT_EQ(Train(more).steps, 800);
  EXPECT_EQ(Read(dir / "config.toml"), config);
}

TEST(RunDirectory, ATornLastProgressRowIsDroppedOnResume) {
  const fs::path dir = Fresh("fixar_rundir_torn") / "run";
  Train(Small(dir, 400));
  { std::ofstream(dir / "progress.csv", std::ios::app) << "600,3,-1200.5,200,,,0.1"; }  // cut short, no newline
  Train(Resume(dir, 800));
  std::ifstream csv(dir / "progress.csv");
  std::string line;
  std::vector<std::string> steps;
  std::getline(csv, line);
  while (std::getline(csv, line)) steps.push_back(line.substr(0, line.find(',')));
  EXPECT_EQ(steps, (std::vector<std::string>{"200", "400", "600", "800"}));
}

#ifdef FIXAR_BINARY
// kill -9 of `fixar train` at several moments: each time the last checkpoint loads and the
// resumed run ends exactly where an uninterrupted one does.
TEST(RunDirectory, KillNineAtAnyMomentLeavesALoadableCheckpoint) {
  const fs::path root = Fresh("fixar_rundir_kill9");
  const auto straight = Train(Small(root / "straight", 3200));
  const fs::path dir = root / "killed";
  auto spawn = [&](std::vector<std::string> args) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, FIXAR_BINARY, nullptr, nullptr, argv.data(), environ), 0);
    return pid;
  };
  // The same configuration as `straight`, from a file (`--task Pendulum` alone would start
  // from Pendulum's per-task defaults, not from Small's).
  const fs::path config = root / "small.toml";
  std::ofstream(config) << Small(root / "unused", 3200).config.ToToml();
  const std::vector<std::string> first = {FIXAR_BINARY, "train",        "--config",     config.string(),
                                          "--run-dir",  dir.string(), "--no-progress"};
  int kills = 0;
  for (int attempt = 0; attempt < 12; ++attempt) {
    std::vector<std::string> args = first;
    if (fs::exists(dir / "checkpoint.bin")) args = {FIXAR_BINARY, "train", "--resume", dir.string(), "--no-progress"};
    else if (fs::exists(dir)) fs::remove_all(dir);  // killed before its first checkpoint: start again
    const pid_t pid = spawn(args);
    std::this_thread::sleep_for(std::chrono::milliseconds(150 + 97 * attempt));
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == 0) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ++kills;
      continue;
    }
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "exit status " << status;
    break;
  }
  ASSERT_GT(kills, 0);
  ASSERT_TRUE(fs::exists(dir / "summary.json")) << "the run did not finish in 12 attempts";
  const auto resumed = nlohmann::json::parse(std::ifstream(dir / "summary.json"));
  const nlohmann::json straight_json = SummaryJson(straight);  // as its summary.json says
  EXPECT_EQ(resumed["steps"], straight_json["steps"]);
  EXPECT_EQ(resumed["evals"], straight_json["evals"]);
  EXPECT_EQ(resumed["final_eval_mean"], straight_json["final_eval_mean"]);
}
#endif

}  // namespace
}  // namespace fixar::rl
