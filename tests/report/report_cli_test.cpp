// `fixar report` end to end: the program on fake runs, its files and its exit codes.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fake_runs.h"

namespace fixar::report {
namespace {
using namespace fake;

std::string Slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `fixar report ARGS`, stdout and stderr to `log`; returns the exit status.
int FixarReport(const std::string& args, const fs::path& log) {
  const std::string cmd = std::string("'") + FIXAR_BIN + "' report " + args + " > '" + log.string() + "' 2>&1";
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

TEST(ReportCli, WritesTableCurvesAndSummaryFromAFolderOfRuns) {
  const fs::path root = FreshDir("cli");
  const fs::path runs = root / "runs";
  for (std::uint64_t s = 0; s < 2; ++s) {
    WriteRun(runs / fmt::format("HalfCheetah_ddpg_float32_s{}", s), {Config("HalfCheetah", "float32", s), Ramp(100, 10, 10)});
    FakeRun f{Config("HalfCheetah", "fixar", s), Ramp(90, 10, 10)};
    f.provenance_json = R"({"commit": "0123abcd"})";
    WriteRun(runs / fmt::format("HalfCheetah_ddpg_fixar_s{}", s), f);
  }
  const fs::path out = root / "out";
  ASSERT_EQ(FixarReport(fmt::format("'{}' -o '{}' --summary-csv '{}'", runs.string(), out.string(),
                                    (root / "runs.csv").string()), root / "log.txt"), 0)
      << Slurp(root / "log.txt");
  const std::string md = Slurp(root / "out.md");
  EXPECT_NE(md.find("| HalfCheetah | fixar | 2 (0, 1) | 10k |"), std::string::npos) << md;
  EXPECT_NE(md.find("1 (reference)"), std::string::npos) << md;
  EXPECT_TRUE(fs::exists(root / "out.csv"));
  EXPECT_NE(Slurp(root / "out_HalfCheetah.svg").find("<polygon"), std::string::npos);
  const std::string csv = Slurp(root / "runs.csv");
  EXPECT_NE(csv.find("HalfCheetah,fixar,1,10000,180,135,180,0123abcd\n"), std::string::npos) << csv;
  EXPECT_NE(csv.find("HalfCheetah,float32,0,10000,190,145,190,unknown\n"), std::string::npos) << csv;
}

TEST(ReportCli, DuplicateSeedsFailNamingBothRuns) {
  const fs::path root = FreshDir("cli_dup");
  const fs::path a = WriteRun(root / "first", {Config("Hopper", "fixar", 3), Ramp(1, 1, 10)});
  const fs::path b = WriteRun(root / "second", {Config("Hopper", "fixar", 3), Ramp(1, 1, 5)});
  const fs::path out = root / "out";
  EXPECT_EQ(FixarReport(fmt::format("'{}' '{}' -o '{}'", a.string(), b.string(), out.string()), root / "log.txt"), 1);
  const std::string log = Slurp(root / "log.txt");
  EXPECT_NE(log.find("first'"), std::string::npos) << log;
  EXPECT_NE(log.find("second'"), std::string::npos) << log;
  EXPECT_NE(log.find("seed 3"), std::string::npos) << log;
  EXPECT_EQ(FixarReport(fmt::format("'{}' -o '{}' --allow-duplicate-seeds", root.string(), out.string()),
                        root / "log2.txt"), 0) << Slurp(root / "log2.txt");
  EXPECT_NE(Slurp(root / "out.md").find("seed 3 twice; kept"), std::string::npos);
}

}  // namespace
}  // namespace fixar::report
