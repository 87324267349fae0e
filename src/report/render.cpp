// Markdown, CSV and plots of a Report.
#include <cmath>

#include <fmt/format.h>

#include "report/report.h"

namespace fixar::report {
namespace {

std::string SeedList(const Group& g) {
  std::string s;
  for (const RunData& r : g.runs) s += fmt::format("{}{}", s.empty() ? "" : ", ", r.config.seed);
  return s;
}

std::string Value(double x, const char* spec = "{:.1f}") {
  return std::isfinite(x) ? fmt::format(fmt::runtime(spec), x) : std::string("–");
}

// "mean ± std" with two or more seeds, "value (1 seed)" with one, "–" with none.
std::string MeanStdCell(const MeanStd& m) { return util::FormatMeanStd(m); }

std::string RatioCell(const GroupStats& s) {
  if (s.is_reference) return "1 (reference)";
  if (!s.ratio) return "–";
  const RatioEstimate& r = *s.ratio;
  if (!r.has_interval) return Value(r.ratio, "{:.3f}") + " (no interval: < 2 seeds)";
  return fmt::format("{} [{}, {}]", Value(r.ratio, "{:.3f}"), Value(r.lo, "{:.3f}"), Value(r.hi, "{:.3f}"));
}

std::string StepsCell(const GroupStats& s) {
  if (s.steps_min == s.steps_max) return ShortSteps(s.steps_max);
  return ShortSteps(s.steps_min) + "–" + ShortSteps(s.steps_max);
}

std::string NotesCell(const GroupStats& s) {
  std::vector<std::string> notes = s.partial;
  if (s.steps_max < s.total_steps_max)
    notes.push_back(fmt::format("unfinished: {} of {} configured", ShortSteps(s.steps_max), ShortSteps(s.total_steps_max)));
  for (const RunStats& r : s.runs)
    if (r.last10_count > 0 && r.last10_count < kLastEvals) {
      notes.push_back(fmt::format("last-10 mean over {} evaluations", r.last10_count));
      break;
    }
  if (!s.ratio_note.empty()) notes.push_back(s.ratio_note);
  std::string out;
  for (const std::string& n : notes) out += (out.empty() ? "" : "; ") + n;
  return out;
}

// A CSV cell: the shortest text that reads back as x; empty for NaN and ±inf.
std::string CsvNumber(double x) { return std::isfinite(x) ? fmt::format("{}", x) : std::string(); }

std::string Joined(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const std::string& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

std::string RenderMarkdown(const Report& r) {
  const std::string& ref = r.options.reference;
  std::string md = fmt::format(
      "| task | group | seeds | steps | final eval | mean of last 10 evals | best eval | ratio to {} (95 % CI) | "
      "QAT switch: eval before → after | IPS | peak memory | runs | notes |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n", ref);
  for (std::size_t i = 0; i < r.groups.size(); ++i) {
    const Group& g = r.groups[i];
    const GroupStats& s = r.stats[i];
    md += fmt::format("| {} | {} | {} ({}) | {} | {} | {} | {} | {} | {} → {} | {} | {} | {} | {} |\n", g.task, g.label,
                      g.runs.size(), SeedList(g), StepsCell(s), MeanStdCell(s.final_eval), MeanStdCell(s.mean_last10_eval),
                      MeanStdCell(s.best_eval), RatioCell(s), Value(s.eval_before_switch.mean, "{:.0f}"),
                      Value(s.eval_after_switch.mean, "{:.0f}"), Value(s.ips.mean, "{:.0f}"),
                      s.peak_rss_mb.n ? Value(s.peak_rss_mb.mean, "{:.0f}") + " MB" : "–", Joined(g.dir_groups, ", "),
                      NotesCell(s));
  }
  md += fmt::format(
      "\nStatistics. Per run, from progress.csv's eval_mean column: final = the last evaluation, last 10 = the mean "
      "of the last 10 evaluations (fewer when the run has fewer), best = the highest; steps = the last step logged. "
      "Per group: mean ± sample standard deviation (n − 1) over seeds, ± only with two or more seeds. A seed is "
      "run.seed in the run's config.toml; a group is a task and every configuration key except run.seed, "
      "run.out_dir, run.threads and run.total_steps. Ratio = the mean over seeds of the group's last-10 means / the "
      "same for the {} group of the task, both over only the seeds the two groups have in common; 95 % interval: "
      "paired percentile bootstrap, {} resamples of the common seeds drawn with replacement, each drawn seed "
      "taking its value on both sides (mt19937_64 seed {}), only with two or more common seeds.\n",
      ref, r.options.bootstrap_resamples, kBootstrapSeed);
  if (!r.notes.empty()) md += "\nNotes:\n";
  for (const std::string& n : r.notes) md += "- " + n + "\n";
  return md;
}

std::string RenderGroupCsv(const Report& r) {
  // The first ten columns are those of earlier reports.
  std::string csv =
      "task,runs,precision,seeds,steps,final_eval_mean,final_eval_std,best_eval_mean,ips_mean,peak_rss_mb,group,"
      "seed_list,steps_min,mean_last10_eval_mean,mean_last10_eval_std,best_eval_std,reference,ratio,ratio_lo,"
      "ratio_hi,notes\n";
  for (std::size_t i = 0; i < r.groups.size(); ++i) {
    const Group& g = r.groups[i];
    const GroupStats& s = r.stats[i];
    const bool interval = s.ratio && s.ratio->has_interval;
    csv += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", CsvCell(g.task),
                       CsvCell(Joined(g.dir_groups, " ")), CsvCell(g.precision), g.runs.size(), s.steps_max,
                       CsvNumber(s.final_eval.mean), CsvNumber(s.final_eval.std), CsvNumber(s.best_eval.mean), CsvNumber(s.ips.mean),
                       CsvNumber(s.peak_rss_mb.mean), CsvCell(g.label), CsvCell(SeedList(g)), s.steps_min,
                       CsvNumber(s.mean_last10_eval.mean), CsvNumber(s.mean_last10_eval.std), CsvNumber(s.best_eval.std),
                       CsvCell(r.options.reference), s.ratio ? CsvNumber(s.ratio->ratio) : "", interval ? CsvNumber(s.ratio->lo) : "",
                       interval ? CsvNumber(s.ratio->hi) : "", CsvCell(NotesCell(s)));
  }
  return csv;
}

std::string RenderRunCsv(const Report& r) {
  std::string csv = "task,precision,seed,steps,final_eval,mean_last10_eval,best_eval,commit\n";
  for (std::size_t i = 0; i < r.groups.size(); ++i)
    for (std::size_t k = 0; k < r.groups[i].runs.size(); ++k) {
      const RunData& run = r.groups[i].runs[k];
      const RunStats& s = r.stats[i].runs[k];
      csv += fmt::format("{},{},{},{},{},{},{},{}\n", CsvCell(r.groups[i].task), CsvCell(r.groups[i].label),
                         run.config.seed, s.steps, CsvNumber(s.final_eval), CsvNumber(s.mean_last10_eval), CsvNumber(s.best_eval),
                         CsvCell(run.commit));
    }
  return csv;
}

std::map<std::string, plot::PlotSpec> RenderCurves(const Report& r) {
  std::map<std::string, plot::PlotSpec> plots;
  const char* band = r.options.band == Band::kMinMax ? "min–max over seeds" : "±1 sample std over seeds";
  for (std::size_t i = 0; i < r.groups.size(); ++i) {
    const Group& g = r.groups[i];
    const Curve& c = r.curves[i];
    if (c.steps.empty()) continue;
    plot::PlotSpec& spec = plots[g.task];
    spec.title = g.task + ": evaluation return (mean of the evaluation episodes)";
    spec.xlabel = "environment steps";
    spec.ylabel = "return";
    spec.caption = fmt::format("line: mean over seeds; band: {}; each group cut at its shortest run's last evaluation",
                               band);
    plot::Series s;
    s.name = fmt::format("{} ({} seed{})", g.label, g.runs.size(), g.runs.size() == 1 ? "" : "s");
    if (c.truncated) s.name += fmt::format(", cut at {}", ShortSteps(c.cut_at));
    s.xs = c.steps, s.ys = c.mean, s.band_lo = c.lo, s.band_hi = c.hi;
    spec.series.push_back(std::move(s));
  }
  return plots;
}

}  // namespace fixar::report
