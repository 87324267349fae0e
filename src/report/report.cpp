#include "report/report.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <set>
#include <stdexcept>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fixar::report {
namespace {

double JsonNumber(const nlohmann::json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

// Picks the reference group for `g` among `candidates` (groups of g's task in the
// reference precision): the one whose other keys differ least from g's; none on a tie.
const Group* PickReference(const Group& g, const std::vector<const Group*>& candidates, std::string& why) {
  const Group* best = nullptr;
  std::size_t best_diff = 0;
  bool tie = false;
  for (const Group* c : candidates) {
    const std::size_t d = DifferingKeys(g, *c).size();
    if (best == nullptr || d < best_diff) best = c, best_diff = d, tie = false;
    else if (d == best_diff) tie = true;
  }
  if (best == nullptr) why = "no reference group for this task";
  else if (tie) why = fmt::format("no ratio: {} reference groups differ from it equally", candidates.size()), best = nullptr;
  return best;
}

// The seeds of a group's runs that have a last-10 mean.
std::set<std::uint64_t> EvaluatedSeeds(const Group& g, const GroupStats& s) {
  std::set<std::uint64_t> seeds;
  for (std::size_t k = 0; k < g.runs.size(); ++k)
    if (std::isfinite(s.runs[k].mean_last10_eval)) seeds.insert(g.runs[k].config.seed);
  return seeds;
}

// The last-10 means of the runs whose seed is in `seeds`.
std::vector<double> Last10Of(const Group& g, const GroupStats& s, const std::set<std::uint64_t>& seeds) {
  std::vector<double> v;
  for (std::size_t k = 0; k < g.runs.size(); ++k)
    if (std::isfinite(s.runs[k].mean_last10_eval) && seeds.count(g.runs[k].config.seed))
      v.push_back(s.runs[k].mean_last10_eval);
  return v;
}

std::string SeedList(const std::set<std::uint64_t>& seeds) { return fmt::format("{}", fmt::join(seeds, ", ")); }

void ComputeRatios(Report& rep) {
  std::set<std::string> tasks_without;
  for (std::size_t i = 0; i < rep.groups.size(); ++i) {
    const Group& g = rep.groups[i];
    GroupStats& s = rep.stats[i];
    std::vector<const Group*> candidates;
    for (const Group& c : rep.groups)
      if (c.task == g.task && c.precision == rep.options.reference) candidates.push_back(&c);
    const Group* ref = PickReference(g, candidates, s.ratio_note);
    if (ref == nullptr) {
      if (candidates.empty()) tasks_without.insert(g.task);
      continue;
    }
    if (ref == &g) {  // the reference itself: exactly 1, no interval
      s.is_reference = true;
      s.ratio = RatioEstimate{1.0, NAN, NAN, false};
      continue;
    }
    // Paired by seed: only the seeds both groups have, so that an unfinished campaign (one
    // side has more seeds) does not compare different seeds' luck.
    const GroupStats& rs = rep.stats[static_cast<std::size_t>(ref - rep.groups.data())];
    const std::set<std::uint64_t> my_seeds = EvaluatedSeeds(g, s), their_seeds = EvaluatedSeeds(*ref, rs);
    if (my_seeds.empty() || their_seeds.empty()) {
      s.ratio_note = "no ratio: no evaluation yet";
      continue;
    }
    std::set<std::uint64_t> both;
    std::set_intersection(my_seeds.begin(), my_seeds.end(), their_seeds.begin(), their_seeds.end(),
                          std::inserter(both, both.end()));
    if (both.empty()) {
      s.ratio_note = fmt::format("no ratio: no seed in common with the reference (seeds {} against {})",
                                 SeedList(my_seeds), SeedList(their_seeds));
      continue;
    }
    const std::vector<double> mine = Last10Of(g, s, both), theirs = Last10Of(*ref, rs, both);
    s.ratio = BootstrapRatio(mine, theirs, rep.options.bootstrap_resamples);
    std::vector<std::string> notes;
    if (both != my_seeds || both != their_seeds)
      notes.push_back(fmt::format("ratio over the seeds both have: {} (this group: {}; reference: {})", SeedList(both),
                                  SeedList(my_seeds), SeedList(their_seeds)));
    const std::vector<std::string> diff = DifferingKeys(g, *ref);
    if (!diff.empty()) notes.push_back(fmt::format("reference also differs in {}", fmt::join(diff, ", ")));
    s.ratio_note = fmt::format("{}", fmt::join(notes, "; "));
    if (Summarize(theirs).mean < 0)
      s.ratio_note += std::string(s.ratio_note.empty() ? "" : "; ") + "negative reference return: a ratio above 1 is worse";
  }
  for (const std::string& t : tasks_without)
    rep.notes.push_back(fmt::format("{}: no {} run, so no ratios (choose another with --reference)", t, rep.options.reference));
}

void NoteTruncation(const Group& g, const Curve& c, std::vector<std::string>& notes) {
  if (!c.truncated) return;
  std::string longer;
  for (const RunData& r : g.runs)
    if (!r.progress.evals.empty() && r.progress.evals.back().step > c.cut_at)
      longer += fmt::format("{}seed {} to {}", longer.empty() ? "" : ", ", r.config.seed, ShortSteps(r.progress.evals.back().step));
  notes.push_back(fmt::format("{} {}: curve cut at step {} (its shortest run's last evaluation); evaluations beyond it "
                              "left out of the curve: {}", g.task, g.label, ShortSteps(c.cut_at), longer));
}

}  // namespace

std::string ShortSteps(std::int64_t steps) {
  const double s = static_cast<double>(steps);
  if (std::llabs(steps) >= 1'000'000) return fmt::format("{:.4g}M", s / 1e6);
  if (std::llabs(steps) >= 1'000) return fmt::format("{:.4g}k", s / 1e3);
  return fmt::format("{}", steps);
}

std::string CsvCell(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string q = "\"";
  for (char ch : s) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

GroupStats ComputeGroupStats(const Group& g) {
  GroupStats s;
  std::vector<double> finals, last10s, bests, ips, rss, before, after;
  for (const RunData& r : g.runs) {
    const RunStats rs = ComputeRunStats(r.progress);
    s.runs.push_back(rs);
    finals.push_back(rs.final_eval), last10s.push_back(rs.mean_last10_eval), bests.push_back(rs.best_eval);
    s.steps_min = s.runs.size() == 1 ? rs.steps : std::min(s.steps_min, rs.steps);
    s.steps_max = std::max(s.steps_max, rs.steps);
    s.total_steps_max = std::max(s.total_steps_max, r.config.total_steps);
    if (r.summary.is_object()) {
      ips.push_back(JsonNumber(r.summary, "ips_mean")), rss.push_back(JsonNumber(r.summary, "peak_rss_mb"));
      const nlohmann::json qat = r.summary.value("qat", nlohmann::json());
      before.push_back(JsonNumber(qat, "eval_before_switch")), after.push_back(JsonNumber(qat, "eval_after_switch"));
    }
  }
  for (std::size_t i = 0; i < g.runs.size(); ++i)
    if (s.runs[i].steps < s.steps_max)
      s.partial.push_back(fmt::format("partial: seed {} at {} of {}", g.runs[i].config.seed, ShortSteps(s.runs[i].steps),
                                      ShortSteps(s.steps_max)));
  s.final_eval = Summarize(finals), s.mean_last10_eval = Summarize(last10s), s.best_eval = Summarize(bests);
  s.ips = Summarize(ips), s.peak_rss_mb = Summarize(rss);
  s.eval_before_switch = Summarize(before), s.eval_after_switch = Summarize(after);
  return s;
}

Curve GroupCurve(const Group& g, Band band) {
  Curve c;
  std::size_t with_evals = 0;
  std::int64_t longest = 0;
  for (const RunData& r : g.runs) {
    if (r.progress.evals.empty()) continue;
    const std::int64_t last = r.progress.evals.back().step;
    c.cut_at = with_evals++ == 0 ? last : std::min(c.cut_at, last);
    longest = std::max(longest, last);
  }
  c.truncated = longest > c.cut_at;
  std::map<std::int64_t, std::vector<double>> by_step;
  for (const RunData& r : g.runs)
    for (const EvalPoint& e : r.progress.evals)
      if (e.step <= c.cut_at) by_step[e.step].push_back(e.mean);
  for (const auto& [step, values] : by_step) {
    if (values.size() != with_evals) continue;  // a step not every run evaluated at
    const MeanStd m = Summarize(values);
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    const double sd = std::isfinite(m.std) ? m.std : 0.0;
    c.steps.push_back(static_cast<double>(step));
    c.mean.push_back(m.mean);
    c.lo.push_back(band == Band::kMinMax ? *lo : m.mean - sd);
    c.hi.push_back(band == Band::kMinMax ? *hi : m.mean + sd);
  }
  return c;
}

Report BuildReport(std::vector<RunData> runs, const ReportOptions& options) {
  Report rep;
  rep.options = options;
  rep.groups = GroupRuns(std::move(runs), {options.allow_duplicate_seeds}, rep.notes);
  for (const Group& g : rep.groups) {
    rep.stats.push_back(ComputeGroupStats(g));
    rep.curves.push_back(GroupCurve(g, options.band));
    NoteTruncation(g, rep.curves.back(), rep.notes);
  }
  ComputeRatios(rep);
  // Within a task, the reference precision's groups first.
  std::vector<std::size_t> order(rep.groups.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  const std::string& ref = options.reference;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    const Group &ga = rep.groups[a], &gb = rep.groups[b];
    return std::tuple(ga.task, ga.precision != ref) < std::tuple(gb.task, gb.precision != ref);
  });
  Report sorted;
  sorted.options = rep.options;
  sorted.notes = std::move(rep.notes);
  for (std::size_t i : order) {
    sorted.groups.push_back(std::move(rep.groups[i]));
    sorted.stats.push_back(std::move(rep.stats[i]));
    sorted.curves.push_back(std::move(rep.curves[i]));
  }
  return sorted;
}

}  // namespace fixar::report
