// fixar report's statistics, grouping and loading, on fake runs written to a temp dir.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "report/report.h"
#include "fake_runs.h"

namespace fixar::report {
namespace {
using namespace fake;

std::vector<RunData> LoadAll(const std::vector<fs::path>& dirs) {
  std::vector<RunData> runs;
  for (const auto& d : dirs) runs.push_back(LoadRunData(d));
  return runs;
}

// The Markdown table row of `label` (the row starts with "| task | label |").
std::string Row(const std::string& md, const std::string& task, const std::string& label) {
  std::istringstream in(md);
  const std::string prefix = "| " + task + " | " + label + " |";
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0) return line;
  ADD_FAILURE() << "no row '" << prefix << "' in\n" << md;
  return "";
}

const Group& Find(const Report& r, const std::string& label, std::size_t* index = nullptr) {
  for (std::size_t i = 0; i < r.groups.size(); ++i)
    if (r.groups[i].label == label) {
      if (index) *index = i;
      return r.groups[i];
    }
  throw std::runtime_error("no group " + label);
}

// HalfCheetah: float32 seeds 0, 1, 2 (evaluations 100, 110, 90); fixar seeds 0 and 1
// (95, 85) in directories named like one seed twice; fixar with stochastic rounding,
// seed 0 (80). Ten evaluations each, 10 000 steps.
std::vector<fs::path> WriteCampaign(const fs::path& root) {
  std::vector<fs::path> dirs;
  const double f32[] = {100, 110, 90};
  for (std::uint64_t s = 0; s < 3; ++s)
    dirs.push_back(WriteRun(root / fmt::format("HalfCheetah_ddpg_float32_s{}", s),
                            {Config("HalfCheetah", "float32", s), std::vector<double>(10, f32[s])}));
  dirs.push_back(WriteRun(root / "HalfCheetah_ddpg_fixar_s0", {Config("HalfCheetah", "fixar", 0), std::vector<double>(10, 95)}));
  dirs.push_back(WriteRun(root / "HalfCheetah_ddpg_fixar_s0-2", {Config("HalfCheetah", "fixar", 1), std::vector<double>(10, 85)}));
  rl::TrainConfig stochastic = Config("HalfCheetah", "fixar", 0);
  stochastic.rounding = "stochastic";
  dirs.push_back(WriteRun(root / "stochastic_HalfCheetah_ddpg_fixar_s0", {stochastic, std::vector<double>(10, 80)}));
  return dirs;
}

TEST(ReportStats, RunStatsFromTheEvaluations) {
  Progress p = ParseProgressCsv(ProgressText(Ramp(1, 1, 12), 12'500), "test.csv");
  ASSERT_EQ(p.evals.size(), 12u);
  const RunStats s = ComputeRunStats(p);
  EXPECT_EQ(s.final_eval, 12);
  EXPECT_EQ(s.best_eval, 12);
  EXPECT_DOUBLE_EQ(s.mean_last10_eval, 7.5);  // (3 + 4 + … + 12) / 10
  EXPECT_EQ(s.last10_count, 10u);
  EXPECT_EQ(s.steps, 12'500);
  // Fewer than ten evaluations: the mean of those there are.
  const RunStats few = ComputeRunStats(ParseProgressCsv(ProgressText({4, 9, 2}, 3'000), "few.csv"));
  EXPECT_DOUBLE_EQ(few.mean_last10_eval, 5);
  EXPECT_EQ(few.last10_count, 3u);
  EXPECT_EQ(few.best_eval, 9);
  EXPECT_EQ(few.final_eval, 2);
  const RunStats none = ComputeRunStats(ParseProgressCsv(ProgressText({}, 500), "none.csv"));
  EXPECT_TRUE(std::isnan(none.final_eval));
  EXPECT_EQ(none.steps, 500);
}

// Found by fuzz/progress_csv: a step of 1.9e40 was cast to int64 (undefined; UBSan).
// Steps beyond int64, fractional or not finite are errors naming the file and line.
TEST(ReportStats, StepsOutsideInt64AreErrors) {
  for (const char* step : {"1.9e40", "-1e19", "9223372036854775808", "nan", "inf", "12.5"}) {
    try {
      ParseProgressCsv(std::string("step,eval_mean\n100,1\n") + step + ",2\n", "bad.csv");
      ADD_FAILURE() << "accepted step " << step;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("bad.csv line 3"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(ParseProgressCsv("step,eval_mean\n-5,1\n1e3,2\n", "ok.csv").last_step, 1000);
}

TEST(ReportStats, MeanAndSampleStd) {
  const MeanStd m = Summarize({2, 4, 4, 4, 5, 5, 7, 9});
  EXPECT_DOUBLE_EQ(m.mean, 5);
  EXPECT_NEAR(m.std, std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_EQ(m.n, 8u);
  const MeanStd one = Summarize({3});
  EXPECT_EQ(one.mean, 3);
  EXPECT_TRUE(std::isnan(one.std));
  EXPECT_TRUE(std::isnan(Summarize({}).mean));
}

TEST(ReportStats, QuantileInterpolatesBetweenOrderStatistics) {
  EXPECT_DOUBLE_EQ(Quantile({1, 2, 3, 4, 5}, 0.5), 3);
  EXPECT_DOUBLE_EQ(Quantile({0, 10}, 0.25), 2.5);
  EXPECT_DOUBLE_EQ(Quantile({0, 10}, 1.0), 10);
}

TEST(ReportStats, BootstrapIntervalHoldsTheRatioAndIsReproducible) {
  const std::vector<double> group = {95, 85, 90, 92, 88, 97, 83, 91},
                            reference = {100, 110, 90, 100, 105, 98, 95, 102};
  const RatioEstimate a = BootstrapRatio(group, reference);
  EXPECT_DOUBLE_EQ(a.ratio, 721.0 / 800);
  ASSERT_TRUE(a.has_interval);
  EXPECT_LT(a.lo, a.ratio);
  EXPECT_GT(a.hi, a.ratio);
  // A resample's ratio of sums lies between its pairs' smallest and largest ratio.
  EXPECT_GT(a.lo, 85.0 / 110);
  EXPECT_LT(a.hi, 97.0 / 98);
  const RatioEstimate b = BootstrapRatio(group, reference);
  EXPECT_EQ(a.lo, b.lo);  // fixed seed: bit for bit the same
  EXPECT_EQ(a.hi, b.hi);
  const RatioEstimate other_seed = BootstrapRatio(group, reference, kBootstrapResamples, 7);
  EXPECT_NE(std::make_pair(a.lo, a.hi), std::make_pair(other_seed.lo, other_seed.hi));
  // One pair: the ratio without an interval. Unpaired or empty input is refused.
  const RatioEstimate single = BootstrapRatio({80}, {100});
  EXPECT_DOUBLE_EQ(single.ratio, 0.8);
  EXPECT_FALSE(single.has_interval);
  EXPECT_THROW(BootstrapRatio(group, {100}), std::invalid_argument);
  EXPECT_THROW(BootstrapRatio({}, {}), std::invalid_argument);
}

// The pairs are drawn together: when every seed's group value is 0.9 of its reference value,
// every resample's ratio is 0.9, however much the seeds differ from each other. Drawing the
// two sides independently would give a wide interval here (about 0.45 to 1.8).
TEST(ReportStats, BootstrapDrawsEachSeedOnBothSides) {
  const std::vector<double> reference = {1000, 3000, 2000}, group = {900, 2700, 1800};
  const RatioEstimate r = BootstrapRatio(group, reference);
  ASSERT_TRUE(r.has_interval);
  EXPECT_NEAR(r.ratio, 0.9, 1e-12);
  EXPECT_NEAR(r.lo, 0.9, 1e-12);
  EXPECT_NEAR(r.hi, 0.9, 1e-12);
}

TEST(ReportGroups, SeedsComeFromTheConfigNotTheDirectoryName) {
  const fs::path root = FreshDir("seeds");
  const Report r = BuildReport(LoadAll(WriteCampaign(root)), {});
  ASSERT_EQ(r.groups.size(), 3u);
  const Group& fixar = Find(r, "fixar [precision.rounding=half_even]");
  ASSERT_EQ(fixar.runs.size(), 2u);  // "_s0" and "_s0-2" are seeds 0 and 1
  EXPECT_EQ(fixar.runs[0].config.seed, 0u);
  EXPECT_EQ(fixar.runs[1].config.seed, 1u);
  EXPECT_EQ(fixar.dir_groups, std::vector<std::string>{"HalfCheetah_ddpg_fixar"});
  EXPECT_EQ(Find(r, "float32").runs.size(), 3u);
  EXPECT_EQ(Find(r, "fixar [precision.rounding=stochastic]").runs.size(), 1u);
}

TEST(ReportGroups, ADirectoryNamedTwiceCountsOnce) {
  const fs::path root = FreshDir("twice");
  const auto dirs = WriteCampaign(root);
  const auto found = FindRunDirs({root.string(), dirs[0].string(), (root / "." / dirs[0].filename()).string()});
  EXPECT_EQ(found.size(), dirs.size());
  EXPECT_EQ(BuildReport(LoadAll({dirs[0], dirs[0]}), {}).groups.at(0).runs.size(), 1u);
}

TEST(ReportGroups, OnlyConfigurationKeysSplitGroups) {
  const fs::path root = FreshDir("keys");
  rl::TrainConfig other = Config("Hopper", "float32", 1);
  other.threads = 2;
  other.out_dir = "elsewhere";
  other.total_steps = 20'000;  // still running towards 20 000
  const std::vector<fs::path> dirs = {WriteRun(root / "a", {Config("Hopper", "float32", 0), Ramp(1, 1, 10)}),
                                      WriteRun(root / "b", {other, Ramp(1, 1, 10)})};
  const Report r = BuildReport(LoadAll(dirs), {});
  ASSERT_EQ(r.groups.size(), 1u);
  EXPECT_EQ(r.groups[0].label, "float32");
  EXPECT_NE(RenderMarkdown(r).find("unfinished: 10k of 20k configured"), std::string::npos);
  // A key that makes a configuration: a group of its own, named in both labels.
  rl::TrainConfig batch = Config("Hopper", "float32", 0);
  batch.batch_size = 128;
  const Report r2 = BuildReport(LoadAll({dirs[0], WriteRun(root / "c", {batch, Ramp(1, 1, 10)})}), {});
  ASSERT_EQ(r2.groups.size(), 2u);
  EXPECT_EQ(r2.groups[0].label, "float32 [ddpg.batch_size=128]");
  EXPECT_EQ(r2.groups[1].label, "float32 [ddpg.batch_size=64]");
}

TEST(ReportGroups, TwoRunsWithOneSeedAreAnError) {
  const fs::path root = FreshDir("dup");
  const fs::path a = WriteRun(root / "HalfCheetah_ddpg_fixar_s0", {Config("HalfCheetah", "fixar", 0), Ramp(1, 1, 10)});
  const fs::path b = WriteRun(root / "HalfCheetah_ddpg_fixar_s0-2",
                              {Config("HalfCheetah", "fixar", 0), Ramp(1, 1, 4), 4'000});
  try {
    BuildReport(LoadAll({a, b}), {});
    FAIL() << "no error for two runs of seed 0";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("HalfCheetah_ddpg_fixar_s0'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("HalfCheetah_ddpg_fixar_s0-2'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("seed 0"), std::string::npos) << msg;
    EXPECT_NE(msg.find("--allow-duplicate-seeds"), std::string::npos) << msg;
  }
  ReportOptions allow;
  allow.allow_duplicate_seeds = true;
  const Report r = BuildReport(LoadAll({b, a}), allow);
  ASSERT_EQ(r.groups.at(0).runs.size(), 1u);
  EXPECT_EQ(r.groups[0].runs[0].dir, fs::canonical(a));  // the one with more steps
  const auto note = std::find_if(r.notes.begin(), r.notes.end(),
                                 [](const std::string& n) { return n.find("seed 0 twice") != std::string::npos; });
  ASSERT_NE(note, r.notes.end());
  EXPECT_NE(note->find("left out"), std::string::npos) << *note;
  EXPECT_NE(note->find("HalfCheetah_ddpg_fixar_s0-2"), std::string::npos) << *note;
}

TEST(ReportTable, PlusMinusOnlyWithTwoSeedsAndRatiosToTheReference) {
  const fs::path root = FreshDir("table");
  const Report r = BuildReport(LoadAll(WriteCampaign(root)), {});
  const std::string md = RenderMarkdown(r);
  const std::string f32 = Row(md, "HalfCheetah", "float32");
  EXPECT_NE(f32.find("| 3 (0, 1, 2) |"), std::string::npos) << f32;
  EXPECT_NE(f32.find("100.0 ± 10.0"), std::string::npos) << f32;
  EXPECT_NE(f32.find("1 (reference)"), std::string::npos) << f32;
  // fixar has seeds 0 and 1 (95, 85); float32 seeds 0, 1, 2 (100, 110, 90): the ratio pairs
  // seeds, 90 / 105, not 90 / 100, and says which seeds it used.
  const std::string fixar = Row(md, "HalfCheetah", "fixar [precision.rounding=half_even]");
  EXPECT_NE(fixar.find("90.0 ± 7.1"), std::string::npos) << fixar;
  EXPECT_NE(fixar.find("| 0.857 ["), std::string::npos) << fixar;
  EXPECT_NE(fixar.find("ratio over the seeds both have: 0, 1 (this group: 0, 1; reference: 0, 1, 2)"), std::string::npos)
      << fixar;
  const std::string one = Row(md, "HalfCheetah", "fixar [precision.rounding=stochastic]");
  EXPECT_EQ(one.find("±"), std::string::npos) << one;
  EXPECT_NE(one.find("80.0 (1 seed)"), std::string::npos) << one;
  EXPECT_NE(one.find("0.800 (no interval"), std::string::npos) << one;
  EXPECT_NE(one.find("reference also differs in precision.rounding (stochastic vs half_even)"), std::string::npos) << one;

  EXPECT_EQ(r.groups.front().label, "float32");  // the reference first
  EXPECT_EQ(r.stats.front().ratio->ratio, 1);
  EXPECT_FALSE(r.stats.front().ratio->has_interval);
  std::size_t i = 0;
  Find(r, "fixar [precision.rounding=half_even]", &i);
  ASSERT_TRUE(r.stats[i].ratio.has_value());
  EXPECT_DOUBLE_EQ(r.stats[i].ratio->ratio, 90.0 / 105.0);
  EXPECT_LT(r.stats[i].ratio->lo, 90.0 / 105.0);
  EXPECT_GT(r.stats[i].ratio->hi, 90.0 / 105.0);
  // The stochastic group's one seed (0, 80) against float32's seed 0 (100) alone.
  Find(r, "fixar [precision.rounding=stochastic]", &i);
  EXPECT_DOUBLE_EQ(r.stats[i].ratio->ratio, 0.8);
  // The group CSV: the old columns first, std empty for one seed.
  const std::string csv = RenderGroupCsv(r);
  EXPECT_EQ(csv.rfind("task,runs,precision,seeds,steps,final_eval_mean,final_eval_std,best_eval_mean,", 0), 0u);
  EXPECT_NE(csv.find("HalfCheetah,stochastic_HalfCheetah_ddpg_fixar,fixar,1,10000,80,,80,"), std::string::npos) << csv;
}

TEST(ReportTable, NoRatioWithoutASeedInCommon) {
  const fs::path root = FreshDir("unpaired");
  const std::vector<fs::path> dirs = {
      WriteRun(root / "a", {Config("Hopper", "float32", 0), std::vector<double>(10, 100)}),
      WriteRun(root / "b", {Config("Hopper", "float32", 1), std::vector<double>(10, 120)}),
      WriteRun(root / "c", {Config("Hopper", "fixar", 2), std::vector<double>(10, 90)})};
  const Report r = BuildReport(LoadAll(dirs), {});
  std::size_t i = 0;
  Find(r, "fixar", &i);
  EXPECT_FALSE(r.stats[i].ratio.has_value());
  EXPECT_EQ(r.stats[i].ratio_note, "no ratio: no seed in common with the reference (seeds 2 against 0, 1)");
  const std::string fixar = Row(RenderMarkdown(r), "Hopper", "fixar");
  EXPECT_NE(fixar.find("no seed in common"), std::string::npos) << fixar;
}

TEST(ReportTable, ReferenceByFlagAndMissingReference) {
  const fs::path root = FreshDir("reference");
  ReportOptions o;
  o.reference = "fixed32";
  const Report r = BuildReport(LoadAll(WriteCampaign(root)), o);
  const std::string md = RenderMarkdown(r);
  EXPECT_NE(md.find("ratio to fixed32"), std::string::npos);
  EXPECT_NE(md.find("HalfCheetah: no fixed32 run, so no ratios"), std::string::npos) << md;
  for (const GroupStats& s : r.stats) EXPECT_FALSE(s.ratio.has_value());
}

TEST(ReportCurves, CutAtTheShortestRunAndSaidSo) {
  const fs::path root = FreshDir("curves");
  const std::vector<fs::path> dirs = {
      WriteRun(root / "p0", {Config("Pendulum", "float32", 0), Ramp(-500, 10, 10)}),
      WriteRun(root / "p1", {Config("Pendulum", "float32", 1), Ramp(-400, 10, 6)})};
  const Report r = BuildReport(LoadAll(dirs), {});
  const Curve& c = r.curves.at(0);
  EXPECT_TRUE(c.truncated);
  EXPECT_EQ(c.cut_at, 6'000);
  ASSERT_EQ(c.steps.size(), 6u);
  EXPECT_EQ(c.steps.back(), 6'000);
  EXPECT_DOUBLE_EQ(c.mean[0], -450);
  EXPECT_DOUBLE_EQ(c.lo[0], -500);
  EXPECT_DOUBLE_EQ(c.hi[0], -400);
  const Curve sd = GroupCurve(r.groups[0], Band::kStd);
  EXPECT_NEAR(sd.hi[0] - sd.mean[0], std::sqrt(5000.0), 1e-9);  // sample std of {-500, -400}
  const std::string md = RenderMarkdown(r);
  EXPECT_NE(md.find("partial: seed 1 at 6k of 10k"), std::string::npos) << md;
  EXPECT_NE(md.find("curve cut at step 6k"), std::string::npos) << md;
  EXPECT_NE(md.find("seed 0 to 10k"), std::string::npos) << md;
  const auto plots = RenderCurves(r);
  ASSERT_EQ(plots.count("Pendulum"), 1u);
  const std::string svg = plot::RenderSvgPlot(plots.at("Pendulum"));
  EXPECT_NE(svg.find("<polygon"), std::string::npos);
  EXPECT_NE(svg.find("band: min–max over seeds"), std::string::npos);
  EXPECT_NE(svg.find("float32 (2 seeds), cut at 6k"), std::string::npos);
}

TEST(ReportLoad, CommittedResultsTreeWithGzipProgress) {
  const fs::path root = FreshDir("committed");
  FakeRun gz{Config("HalfCheetah", "fixar", 0), Ramp(10, 5, 10)};
  gz.gzip = true;
  gz.summary_json = R"({"steps": 10000, "commit": "def456"})";
  WriteRun(root / "HalfCheetah" / "fixar" / "seed0", gz);
  WriteRun(root / "HalfCheetah" / "fixar" / "seed1", {Config("HalfCheetah", "fixar", 1), Ramp(10, 5, 10)});
  const auto dirs = FindRunDirs({root.string()});
  ASSERT_EQ(dirs.size(), 2u);
  EXPECT_FALSE(fs::exists(dirs[0] / "progress.csv"));
  const RunData run = LoadRunData(dirs[0]);
  ASSERT_EQ(run.progress.evals.size(), 10u);
  EXPECT_EQ(run.progress.evals.back().step, 10'000);
  EXPECT_EQ(run.progress.evals.back().mean, 55);
  EXPECT_EQ(run.commit, "def456");
  const Report r = BuildReport(LoadAll(dirs), {});
  EXPECT_EQ(r.groups.at(0).dir_groups, std::vector<std::string>{"HalfCheetah/fixar"});
  EXPECT_THROW(FindRunDirs({(root / "HalfCheetah").string()}, 0), std::invalid_argument);
}

TEST(ReportLoad, CorruptInputsNameTheFile) {
  const fs::path root = FreshDir("corrupt");
  FakeRun gz{Config("HalfCheetah", "fixar", 0), Ramp(10, 5, 200)};
  gz.gzip = true;
  const fs::path dir = WriteRun(root / "run", gz);
  fs::resize_file(dir / "progress.csv.gz", fs::file_size(dir / "progress.csv.gz") / 2);
  try {
    LoadRunData(dir);
    FAIL() << "a truncated progress.csv.gz loaded";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("progress.csv.gz"), std::string::npos) << e.what();
  }
  try {
    ParseProgressCsv("step,episode\n1000,3\n", "p.csv");
    FAIL() << "no error for a missing eval_mean column";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("p.csv: no 'eval_mean' column"), std::string::npos) << e.what();
  }
  try {
    ParseProgressCsv("step,eval_mean\n1000,abc\n", "p.csv");
    FAIL() << "no error for a bad number";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("p.csv line 2: eval_mean = 'abc'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(SplitCsvLine("1,\"fixed<32,16>\",\"a\"\"b\","),
            (std::vector<std::string>{"1", "fixed<32,16>", "a\"b", ""}));
}

TEST(ReportSummaryCsv, OneRowPerRunWithItsCommit) {
  const fs::path root = FreshDir("summary");
  FakeRun p{Config("HalfCheetah", "float32", 0), Ramp(1, 1, 12)};
  p.provenance_json = R"({"commit": "abc123", "dirty": false})";
  p.summary_json = R"({"commit": "not-this-one"})";
  FakeRun s{Config("HalfCheetah", "float32", 1), std::vector<double>(10, 4)};
  s.summary_json = R"({"commit": "def456", "ips_mean": 1000})";
  FakeRun none{Config("HalfCheetah", "float32", 2), std::vector<double>(10, 5), 7'500};
  const std::vector<fs::path> dirs = {WriteRun(root / "a", p), WriteRun(root / "b", s), WriteRun(root / "c", none)};
  const std::string csv = RenderRunCsv(BuildReport(LoadAll(dirs), {}));
  EXPECT_EQ(csv,
            "task,precision,seed,steps,final_eval,mean_last10_eval,best_eval,commit\n"
            "HalfCheetah,float32,0,12000,12,7.5,12,abc123\n"
            "HalfCheetah,float32,1,10000,4,4,4,def456\n"
            "HalfCheetah,float32,2,7500,5,5,5,unknown\n");
}

}  // namespace
}  // namespace fixar::report
