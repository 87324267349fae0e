// The sweep backends without training anything: the local pool runs a stand-in for
// `fixar train` (a shell script), the Slurm backend a stand-in for sbatch.
#include "sweep/runner.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "sweep/process.h"
#include "test_util.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;
using testing::PendulumGrid;
using testing::ReadFile;
using testing::ScratchDir;
using testing::WriteFile;

// Stands in for `fixar`: `train ... --run-dir D` or `train --resume D ...` finishes the run
// at once (summary.json with --steps); runs named *Failing* fail, *Sleeping* wait.
constexpr const char* kFakeFixar = R"(#!/bin/sh
echo "fake train: $*"
dir=""; steps=""; mode=new
while [ $# -gt 0 ]; do
  case "$1" in
    --run-dir) dir=$2; shift 2 ;;
    --resume) dir=$2; mode=resume; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    *) shift ;;
  esac
done
mkdir -p "$dir"
echo "$mode" >> "$dir/modes"
case "$dir" in
  *Failing*) echo "fake failure" >&2; exit 3 ;;
  *Sleeping*) echo x > "$dir/checkpoint.bin"; exec sleep 60 ;;
esac
printf 'step,episode,episode_return,episode_length,eval_mean,eval_std\n%s,1,0,1,-100.5,1\n' "$steps" > "$dir/progress.csv"
echo x > "$dir/checkpoint.bin"
printf '{"steps": %s, "final_eval_mean": -100.5}\n' "$steps" > "$dir/summary.json"
)";

std::string WriteExecutable(const fs::path& path, const std::string& text) {
  WriteFile(path, text);
  fs::permissions(path, fs::perms::owner_all);
  return path.string();
}

struct PoolRun {
  int rc;
  std::string out;
};

class Pool : public ::testing::Test {
 protected:
  PoolRun Run(const Grid& g, int jobs, std::vector<int> only = {}) {
    std::ostringstream out;
    const int rc = RunPool(g, dir, {jobs, fake, std::move(only)}, out);
    return {rc, out.str()};
  }
  ScratchDir tmp;
  SweepDir dir{tmp.path() / "sweep"};
  std::string fake = WriteExecutable(tmp.path() / "fake_fixar", kFakeFixar);
};

TEST_F(Pool, RunsEveryRunOnceThenSkipsThemAll) {
  const Grid g = ParseGrid(PendulumGrid(), "g.toml");
  const PoolRun first = Run(g, 2);
  EXPECT_EQ(first.rc, 0) << first.out;
  EXPECT_NE(first.out.find("4 runs: 0 done, 4 to run, 2 at a time"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("start  [1/4] Pendulum_float32_s0 (new)"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("done   [4/4] Pendulum_fixar_s1 exit 0"), std::string::npos) << first.out;
  for (const auto& r : g.runs) {
    EXPECT_TRUE(fs::exists(dir.run(r.name) / "summary.json")) << r.name;
    EXPECT_EQ(ReadFile(dir.run(r.name) / "modes"), "new\n");
    const std::string log = ReadFile(dir.log(r.name));
    EXPECT_NE(log.find("fake train: train --config " + dir.base_config().string() + " --task Pendulum"),
              std::string::npos)
        << log;
    EXPECT_NE(log.find("--run-dir " + dir.run(r.name).string()), std::string::npos) << log;
    EXPECT_NE(log.find("exit 0 after"), std::string::npos) << log;
    ASSERT_TRUE(ReadAttempt(dir, r.name).has_value());
    EXPECT_EQ(InspectRun(dir, r.name, g.steps).state, RunState::kDone);
  }
  const PoolRun again = Run(g, 2);
  EXPECT_EQ(again.rc, 0);
  EXPECT_NE(again.out.find("4 runs: 4 done, 0 to run"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("start"), std::string::npos) << again.out;
  EXPECT_EQ(ReadFile(dir.run("Pendulum_fixar_s1") / "modes"), "new\n");
}

TEST_F(Pool, ResumesRunsWithACheckpointAndRestartsOnesWithout) {
  const Grid g = ParseGrid(PendulumGrid(), "g.toml");
  WriteFile(dir.run("Pendulum_float32_s0") / "checkpoint.bin", "x");
  WriteFile(dir.run("Pendulum_float32_s0") / "progress.csv", "step,episode\n1000,4\n");
  WriteFile(dir.run("Pendulum_fixar_s0") / "config.toml", "# stopped before its first checkpoint\n");
  const PoolRun r = Run(g, 1);
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("Pendulum_float32_s0 (resuming from its checkpoint; progress.csv at step 1000)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(ReadFile(dir.run("Pendulum_float32_s0") / "modes"), "resume\n");
  EXPECT_NE(ReadFile(dir.log("Pendulum_float32_s0")).find("train --resume " + dir.run("Pendulum_float32_s0").string()),
            std::string::npos);
  EXPECT_EQ(ReadFile(dir.run("Pendulum_fixar_s0") / "modes"), "new\n");
  EXPECT_NE(ReadFile(dir.log("Pendulum_fixar_s0")).find("starting it afresh"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.run("Pendulum_fixar_s0") / "config.toml"));  // the fake writes none
}

TEST_F(Pool, FailedRunsAreNamedWithTheirLogsAndTheOthersGoOn) {
  const Grid g = ParseGrid(
      PendulumGrid("").replace(PendulumGrid("").find("[\"Pendulum\"]"), 12, "[\"Failing\", \"Pendulum\"]"), "g.toml");
  ASSERT_EQ(g.runs.size(), 8u);
  const PoolRun r = Run(g, 2);
  EXPECT_EQ(r.rc, 1) << r.out;
  EXPECT_NE(r.out.find("4 finished, 4 failed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("failed: Failing_float32_s0 (exit 3); log: " + dir.log("Failing_float32_s0").string()),
            std::string::npos)
      << r.out;
  EXPECT_NE(ReadFile(dir.log("Failing_float32_s0")).find("fake failure"), std::string::npos);
  EXPECT_EQ(InspectRun(dir, "Failing_float32_s0", g.steps).state, RunState::kFailed);
  EXPECT_EQ(InspectRun(dir, "Pendulum_fixar_s1", g.steps).state, RunState::kDone);
}

TEST_F(Pool, ARunWhoseLogIsLockedIsLeftToItsOwner) {
  const Grid g = ParseGrid(PendulumGrid(), "g.toml");
  WriteFile(dir.log("Pendulum_float32_s1"), "");
  const int fd = ::open(dir.log("Pendulum_float32_s1").c_str(), O_WRONLY | O_APPEND);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);
  const PoolRun r = Run(g, 2);
  ::close(fd);
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_NE(r.out.find("skip   Pendulum_float32_s1: running elsewhere"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir.run("Pendulum_float32_s1")));
  EXPECT_TRUE(fs::exists(dir.run("Pendulum_fixar_s1") / "summary.json"));
}

TEST_F(Pool, OnlyTheGivenIndices) {
  const Grid g = ParseGrid(PendulumGrid(), "g.toml");
  const PoolRun r = Run(g, 1, {2});
  EXPECT_EQ(r.rc, 0) << r.out;
  EXPECT_TRUE(fs::exists(dir.run("Pendulum_fixar_s0") / "summary.json"));
  EXPECT_FALSE(fs::exists(dir.run("Pendulum_float32_s0")));
  EXPECT_FALSE(fs::exists(dir.run("Pendulum_fixar_s1")));
}

TEST_F(Pool, SigtermIsForwardedToTheRunsWhichAreWaitedFor) {
  const Grid g = ParseGrid(R"([sweep]
name = "s"
config = "c.toml"
tasks = ["Sleeping"]
precisions = ["a", "b", "c"]
seeds = [0]
steps = 10
)",
                           "g.toml");
  std::thread sender([this] {
    // The pool's thread takes these with sigwaitinfo. A SIGCHLD this thread did not block
    // could be handed to it (while it exits, under load) and discarded: the pool would hang.
    sigset_t pool_signals;
    sigemptyset(&pool_signals);
    for (int s : {SIGINT, SIGTERM, SIGCHLD}) sigaddset(&pool_signals, s);
    pthread_sigmask(SIG_BLOCK, &pool_signals, nullptr);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!(fs::exists(dir.run("Sleeping_a_s0") / "checkpoint.bin") &&
             fs::exists(dir.run("Sleeping_b_s0") / "checkpoint.bin")) &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ::kill(::getpid(), SIGTERM);
  });
  const auto t0 = std::chrono::steady_clock::now();
  const PoolRun r = Run(g, 2);
  sender.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  EXPECT_EQ(r.rc, 128 + SIGTERM) << r.out;
  EXPECT_NE(r.out.find("stopping 2 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("0 finished, 0 failed, 0 already done, 2 stopped, 1 not started"), std::string::npos) << r.out;
  for (const char* name : {"Sleeping_a_s0", "Sleeping_b_s0"}) {
    const auto a = ReadAttempt(dir, name);
    ASSERT_TRUE(a.has_value()) << name;
    EXPECT_TRUE(a->interrupted);
    EXPECT_EQ(a->signal, SIGTERM);
    EXPECT_EQ(InspectRun(dir, name, g.steps).state, RunState::kPartial) << name;
  }
  EXPECT_FALSE(fs::exists(dir.run("Sleeping_c_s0")));
}

class Prepare : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFile(base, ReadFile(fs::path(FIXAR_SOURCE_DIR) / "configs/train/pendulum_fixar.toml"));
    WriteFile(grid_path, Grid(""));
  }
  std::string Grid(const std::string& more, const std::string& steps = "2000") const {
    return "[sweep]\nname = \"p\"\nconfig = \"" + base.string() +
           "\"\ntasks = [\"Pendulum\"]\nprecisions = [\"fixar\"]\nseeds = [0]\nsteps = " + steps + "\n" + more;
  }
  ScratchDir tmp;
  fs::path base = tmp.path() / "base.toml", grid_path = tmp.path() / "grid.toml";
  SweepDir dir{tmp.path() / "sweep"};
};

TEST_F(Prepare, CopiesTheGridAndBaseConfigAndRefusesADifferentGrid) {
  PrepareSweep(grid_path.string(), dir);
  EXPECT_EQ(ReadFile(dir.grid()), ReadFile(grid_path));
  EXPECT_EQ(ReadFile(dir.base_config()), ReadFile(base));
  EXPECT_TRUE(fs::is_directory(dir.runs()) && fs::is_directory(dir.logs()));
  WriteFile(grid_path, "# only a comment is new\n" + Grid(""));
  EXPECT_NO_THROW(PrepareSweep(grid_path.string(), dir));
  WriteFile(grid_path, Grid("", "4000"));
  try {
    PrepareSweep(grid_path.string(), dir);
    FAIL() << "a different grid was accepted";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(dir.grid().string() + " holds a different grid than " + grid_path.string()), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("sweep.steps: 2000 before, 4000 now"), std::string::npos) << msg;
  }
  OpenSweep(dir);  // still the first grid
  EXPECT_EQ(OpenSweep(dir).steps, 2000);
}

TEST_F(Prepare, RefusesAChangedBaseConfigNamingTheKey) {
  PrepareSweep(grid_path.string(), dir);
  WriteFile(base, ReadFile(base) + "\n# a comment changes nothing\n");
  EXPECT_NO_THROW(PrepareSweep(grid_path.string(), dir));
  std::string text = ReadFile(base);
  text.replace(text.find("batch_size = 64"), 15, "batch_size = 32");
  WriteFile(base, text);
  try {
    PrepareSweep(grid_path.string(), dir);
    FAIL() << "a changed base config was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ddpg.'batch_size = 64' before, 'batch_size = 32' now"), std::string::npos)
        << e.what();
  }
}

TEST_F(Prepare, ProvenanceKeepsEveryInvocation) {
  PrepareSweep(grid_path.string(), dir);
  RecordInvocation(dir, "local", "jobs", "2");
  RecordInvocation(dir, "slurm", "slurm_job", "42");
  std::ifstream in(dir.provenance());
  const auto j = nlohmann::json::parse(in);
  ASSERT_EQ(j["invocations"].size(), 2u);
  const auto& first = j["invocations"][0];
  EXPECT_EQ(first["backend"], "local");
  EXPECT_EQ(first["jobs"], "2");
  const std::string commit = first["commit"], command = first["command"], started = first["started"];
  EXPECT_TRUE(commit.size() == 40 || commit == "unknown") << commit;
  EXPECT_FALSE(command.empty());
  EXPECT_FALSE(started.empty());
  EXPECT_EQ(j["invocations"][1]["slurm_job"], "42");
}

TEST_F(Prepare, SbatchScriptIsOneArrayJobOverTheRuns) {
  const sweep::Grid g = PrepareSweep(grid_path.string(), dir);
  SlurmOptions o;
  o.exe = "/opt/fixar/bin/fixar";
  o.array_throttle = 2;
  const std::string s = SbatchScript(g, dir, o);
  EXPECT_EQ(s.rfind("#!/bin/bash\n", 0), 0u);
  for (const std::string& line : std::vector<std::string>{
           "#SBATCH --array=0-0%2\n", "#SBATCH --requeue\n", "#SBATCH --cpus-per-task=1\n",
           "#SBATCH --job-name=fixar-p\n", "#SBATCH --output=" + (dir.logs() / "slurm-%A_%a.log").string() + "\n",
           "#SBATCH --open-mode=append\n",
           "exec /opt/fixar/bin/fixar sweep task " + dir.root.string() + " \"$SLURM_ARRAY_TASK_ID\"\n",
           "cd " + fs::current_path().string() + "\n"})
    EXPECT_NE(s.find(line), std::string::npos) << line << " not in\n" << s;
  o.array_throttle = 0;
  EXPECT_NE(SbatchScript(g, dir, o).find("#SBATCH --array=0-0\n"), std::string::npos);
}

// Sets PATH for one scope.
class PathIs {
 public:
  explicit PathIs(const std::string& path) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", path.c_str(), 1);
  }
  ~PathIs() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

TEST_F(Prepare, SlurmDryRunMissingSbatchAndSubmission) {
  const sweep::Grid g = PrepareSweep(grid_path.string(), dir);
  SlurmOptions o;
  o.sbatch_args = "--partition=cpu --comment 'two words'";
  o.dry_run = true;
  std::ostringstream out;
  {
    const PathIs empty((tmp.path() / "nothing").string());
    EXPECT_EQ(SubmitSlurm(g, dir, o, out), "");
    EXPECT_NE(out.str().find("not submitted (--dry-run)"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("sbatch --partition=cpu --comment 'two words' " + dir.sbatch().string()),
              std::string::npos)
        << out.str();
    EXPECT_TRUE((fs::status(dir.sbatch()).permissions() & fs::perms::owner_exec) != fs::perms::none);
    o.dry_run = false;
    try {
      SubmitSlurm(g, dir, o, out);
      FAIL() << "submitted without sbatch";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("sbatch is not on PATH"), std::string::npos) << e.what();
    }
  }
  const fs::path bin = tmp.path() / "bin";
  WriteExecutable(bin / "sbatch", "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > \"" +
                                      (tmp.path() / "sbatch_args").string() + "\"\necho 'Submitted batch job 4242'\n");
  const PathIs fake(bin.string() + ":/usr/bin:/bin");
  EXPECT_EQ(SubmitSlurm(g, dir, o, out), "4242");
  EXPECT_EQ(ReadFile(tmp.path() / "sbatch_args"),
            "--partition=cpu\n--comment\ntwo words\n" + dir.sbatch().string() + "\n");
  WriteExecutable(bin / "sbatch", "#!/bin/sh\necho 'sbatch: error: invalid partition' >&2\nexit 1\n");
  try {
    SubmitSlurm(g, dir, o, out);
    FAIL() << "a failed submission was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("failed (exit 1): sbatch: error: invalid partition"), std::string::npos)
        << e.what();
  }
}

TEST(Process, ShellWordsAndQuoting) {
  EXPECT_EQ(proc::SplitShellWords("  --a=1 --b \"c d\" 'e''f'  "),
            (std::vector<std::string>{"--a=1", "--b", "c d", "ef"}));
  EXPECT_TRUE(proc::SplitShellWords("").empty());
  EXPECT_THROW(proc::SplitShellWords("--comment 'open"), std::invalid_argument);
  EXPECT_EQ(proc::ShellQuote("ddpg.batch_size=64"), "ddpg.batch_size=64");
  EXPECT_EQ(proc::ShellQuote("a b"), "'a b'");
  EXPECT_EQ(proc::ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(proc::ShellQuote(""), "''");
  EXPECT_EQ(proc::CommandLine("/x/fixar", {"train", "--set", "a=b c"}), "/x/fixar train --set 'a=b c'");
}

}  // namespace
}  // namespace fixar::sweep
