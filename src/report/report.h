// `fixar report` without the command line: groups of runs, their statistics and the
// ratio to the reference precision, rendered as Markdown, CSV and reward-curve plots.
// docs/training.md describes every number.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "plot/svg_plot.h"
#include "report/groups.h"
#include "report/stats.h"

namespace fixar::report {

enum class Band { kMinMax, kStd };  // the band around a group's mean curve

struct ReportOptions {
  std::string reference = "float32";  // precision the ratios divide by
  bool allow_duplicate_seeds = false;
  Band band = Band::kMinMax;
  int bootstrap_resamples = kBootstrapResamples;
};

// A group's mean curve over seeds, cut at the shortest run's last evaluation.
struct Curve {
  std::vector<double> steps, mean, lo, hi;  // lo/hi: the band
  std::int64_t cut_at = 0;                  // last step of the curve
  bool truncated = false;                   // some run has evaluations beyond cut_at
};
Curve GroupCurve(const Group& g, Band band);

struct GroupStats {
  std::vector<RunStats> runs;  // in the order of Group::runs
  MeanStd final_eval, mean_last10_eval, best_eval;
  std::int64_t steps_min = 0, steps_max = 0;
  std::int64_t total_steps_max = 0;   // the most run.total_steps any run was configured for
  std::vector<std::string> partial;   // "partial: seed 2 at 420k of 1M", one per short run
  std::optional<RatioEstimate> ratio; // against the reference group of the task
  bool is_reference = false;
  std::string ratio_note;             // why there is no ratio, or what else differs
  MeanStd ips, peak_rss_mb, eval_before_switch, eval_after_switch;  // from summary.json
};
GroupStats ComputeGroupStats(const Group& g);

struct Report {
  ReportOptions options;
  std::vector<Group> groups;
  std::vector<GroupStats> stats;  // one per group
  std::vector<Curve> curves;      // one per group
  std::vector<std::string> notes; // duplicates, truncations, missing references
};

// Groups the runs, computes every statistic and the ratios. Throws as GroupRuns does.
Report BuildReport(std::vector<RunData> runs, const ReportOptions& options);

std::string RenderMarkdown(const Report& r);  // the table, then "Notes"
std::string RenderGroupCsv(const Report& r);  // one row per group
// One row per run: task,precision,seed,steps,final_eval,mean_last10_eval,best_eval,commit
// (precision is the group label).
std::string RenderRunCsv(const Report& r);
std::map<std::string, plot::PlotSpec> RenderCurves(const Report& r);  // one per task

// 1000000 -> "1M", 420000 -> "420k", 1250000 -> "1.25M", 800 -> "800".
std::string ShortSteps(std::int64_t steps);
// A CSV cell: quoted when it holds a comma, a quote or a line break.
std::string CsvCell(const std::string& s);

}  // namespace fixar::report
