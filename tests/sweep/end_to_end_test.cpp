// `fixar sweep` through the built program: the smoke grid (4 short Pendulum runs, 2 at a
// time) trains to the end, a second `sweep run` skips everything, status and task answer,
// and scripts/campaign-collect turns the sweep into the committed layout; list and --version
// answer.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "sweep/process.h"
#include "test_util.h"

namespace fixar::sweep {
namespace {

namespace fs = std::filesystem;

#ifdef FIXAR_BINARY
struct Result {
  int rc;
  std::string out;
};

// Runs a shell command line from the repository root, stdout and stderr together.
Result Shell(const std::string& line) {
  const std::string cmd = "cd " + proc::ShellQuote(FIXAR_SOURCE_DIR) + " && " + line + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return {-1, "popen failed"};
  Result r{-1, ""};
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) r.out.append(buf, n);
  const int status = ::pclose(p);
  r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// Runs `fixar args` from the repository root.
Result Fixar(const std::string& args) { return Shell(proc::ShellQuote(FIXAR_BINARY) + " " + args); }

TEST(SweepEndToEnd, SmokeGridRunsToTheEndThenEverythingIsSkipped) {
  testing::ScratchDir tmp;
  const fs::path dir = tmp.path() / "smoke";
  const std::string d = proc::ShellQuote(dir.string());
  const Result first = Fixar("sweep run configs/sweeps/smoke.toml --dir " + d + " --local 2");
  ASSERT_EQ(first.rc, 0) << first.out;
  const std::vector<std::string> names = {"Pendulum_float32_s0", "Pendulum_float32_s1", "Pendulum_fixar_s0",
                                          "Pendulum_fixar_s1"};
  for (const auto& name : names) {
    const fs::path summary = dir / "runs" / name / "summary.json";
    ASSERT_TRUE(fs::exists(summary)) << name << "\n" << first.out;
    std::ifstream in(summary);
    const auto j = nlohmann::json::parse(in);
    EXPECT_EQ(j["steps"].get<std::int64_t>(), 2000) << name;
    EXPECT_EQ(fs::path(j["run_dir"].get<std::string>()).filename(), name);
    EXPECT_TRUE(fs::exists(dir / "logs" / (name + ".log")));
  }
  const Result status = Fixar("sweep status " + d);
  EXPECT_EQ(status.rc, 0) << status.out;
  EXPECT_NE(status.out.find("total: 4 done, 0 running, 0 partial, 0 not started, 0 failed"), std::string::npos)
      << status.out;

  const Result again = Fixar("sweep run configs/sweeps/smoke.toml --dir " + d + " --local 2");
  EXPECT_EQ(again.rc, 0) << again.out;
  EXPECT_NE(again.out.find("4 runs: 4 done, 0 to run"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("start"), std::string::npos) << again.out;
  const Result task = Fixar("sweep task " + d + " 3");
  EXPECT_EQ(task.rc, 0) << task.out;
  EXPECT_NE(task.out.find("sweep smoke: 1 run: 1 done, 0 to run"), std::string::npos) << task.out;

  std::ifstream in(dir / "provenance.json");
  const auto prov = nlohmann::json::parse(in);
  ASSERT_EQ(prov["invocations"].size(), 2u);
  EXPECT_NE(prov["invocations"][0]["command"].get<std::string>().find("sweep run configs/sweeps/smoke.toml"),
            std::string::npos);

  // scripts/campaign-collect (the QAT campaign's collector) copies every run out in the layout
  // docs/results/qat_campaign commits and writes one summary row per run, with its commit.
  const fs::path out = tmp.path() / "collected";
  const Result collect = Shell("FIXAR_BUILD_DIR=" + proc::ShellQuote(fs::path(FIXAR_BINARY).parent_path().string()) +
                               " scripts/campaign-collect --sweep " + d + " --out " + proc::ShellQuote(out.string()));
  ASSERT_EQ(collect.rc, 0) << collect.out;
  const std::string commit = prov["invocations"][0].value("commit", std::string());
  for (const auto& name : names) {
    const std::size_t task_end = name.find('_') + 1, seed_at = name.rfind("_s");
    const std::string precision = name.substr(task_end, seed_at - task_end), seed = name.substr(seed_at + 2);
    const fs::path run = out / "Pendulum" / precision / ("seed" + seed);
    for (const char* f : {"config.toml", "progress.csv.gz", "provenance.json", "summary.json"})
      EXPECT_TRUE(fs::exists(run / f)) << run / f << "\n" << collect.out;
  }
  std::ifstream rows_in(out / "summary.csv");
  std::string line;
  std::vector<std::string> rows;
  while (std::getline(rows_in, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 5u) << collect.out;
  EXPECT_EQ(rows[0], "task,precision,seed,steps,final_eval,mean_last10_eval,best_eval,commit");
  for (const std::string row : {"Pendulum,float32,0,2000,", "Pendulum,float32,1,2000,", "Pendulum,fixar,0,2000,",
                                "Pendulum,fixar,1,2000,"}) {
    const auto it = std::find_if(rows.begin(), rows.end(), [&](const std::string& r) { return r.starts_with(row); });
    ASSERT_NE(it, rows.end()) << row << " not in summary.csv:\n" << collect.out;
    if (!commit.empty()) {
      EXPECT_TRUE(it->ends_with("," + commit)) << *it << " does not end with " << commit;
    }
  }
  EXPECT_TRUE(fs::exists(out / "report.md")) << collect.out;

  // scripts/campaign-restore rebuilds a sweep directory from the collected results (a machine
  // that kept nothing): the finished runs come back as done, a run whose summary says it
  // stopped early does not, and a second restore changes nothing.
  {
    std::ifstream sin(out / "Pendulum" / "fixar" / "seed1" / "summary.json");
    auto stopped = nlohmann::json::parse(sin);
    stopped["steps"] = 1000;
    testing::WriteFile(out / "Pendulum" / "fixar" / "seed1" / "summary.json", stopped.dump(2));
  }
  const fs::path restored = tmp.path() / "restored";
  const std::string r = proc::ShellQuote(restored.string());
  const Result restore =
      Shell("scripts/campaign-restore --sweep " + r + " --from " + proc::ShellQuote(out.string()));
  ASSERT_EQ(restore.rc, 0) << restore.out;
  EXPECT_NE(restore.out.find("3 finished runs restored"), std::string::npos) << restore.out;
  EXPECT_NE(restore.out.find("1 stopped before 2000 steps (not restored)"), std::string::npos) << restore.out;
  EXPECT_FALSE(fs::exists(restored / "runs" / "Pendulum_fixar_s1"));
  EXPECT_TRUE(fs::exists(restored / "runs" / "Pendulum_fixar_s0" / "progress.csv"));
  const Result restored_status = Fixar("sweep status " + r);
  EXPECT_EQ(restored_status.rc, 0) << restored_status.out;
  EXPECT_NE(restored_status.out.find("total: 3 done, 0 running, 0 partial, 1 not started, 0 failed"), std::string::npos)
      << restored_status.out;
  const Result twice = Shell("scripts/campaign-restore --sweep " + r + " --from " + proc::ShellQuote(out.string()));
  ASSERT_EQ(twice.rc, 0) << twice.out;
  EXPECT_NE(twice.out.find("0 finished runs restored into " + restored.string() + "/runs, 3 already there"),
            std::string::npos)
      << twice.out;
}

TEST(SweepEndToEnd, ListVersionAndErrors) {
  const Result list = Fixar("sweep list configs/sweeps/qat_campaign.toml");
  EXPECT_EQ(list.rc, 0) << list.out;
  EXPECT_NE(list.out.find("sweep qat_campaign: 22 runs of 1000000 steps"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("  15  HalfCheetah_fixed16_sr_s1  (sweep.extra[4])"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("--set precision.rounding=stochastic --no-progress --run-dir "
                          "SWEEP_DIR/runs/HalfCheetah_fixed16_sr_s1"),
            std::string::npos)
      << list.out;

  const Result version = Fixar("--version");
  EXPECT_EQ(version.rc, 0) << version.out;
  EXPECT_NE(version.out.find("kernel path: "), std::string::npos) << version.out;

  testing::ScratchDir tmp;
  const Result nowhere = Fixar("sweep run configs/sweeps/smoke.toml --dir " + proc::ShellQuote(tmp.path().string()));
  EXPECT_NE(nowhere.rc, 0);
  EXPECT_NE(nowhere.out.find("--local N"), std::string::npos) << nowhere.out;
  testing::WriteFile(tmp.path() / "bad.toml", "[sweep]\nname = \"b\"\nsteps = 0\n");
  const Result bad = Fixar("sweep list " + proc::ShellQuote((tmp.path() / "bad.toml").string()));
  EXPECT_NE(bad.rc, 0);
  EXPECT_NE(bad.out.find("bad.toml: sweep.config: missing (the base training config)"), std::string::npos) << bad.out;
  const Result not_a_sweep = Fixar("sweep status " + proc::ShellQuote(tmp.path().string()));
  EXPECT_NE(not_a_sweep.rc, 0);
  EXPECT_NE(not_a_sweep.out.find("is not a sweep directory"), std::string::npos) << not_a_sweep.out;
}
#else
TEST(SweepEndToEnd, NeedsTheFixarProgram) { GTEST_SKIP() << "fixar is not part of this build (FIXAR_CONCEPTS)"; }
#endif

}  // namespace
}  // namespace fixar::sweep
