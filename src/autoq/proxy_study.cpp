#include "autoq/proxy_study.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <numeric>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "numerics/random.h"

namespace fixar::autoq {

std::string ProxySetting::Name() const {
  return fmt::format("ft{}_sub{}_b{}_val{}", steps, subset == 0 ? std::string("all") : std::to_string(subset), batch,
                     validation_images == 0 ? std::string("all") : std::to_string(validation_images));
}

void ProxyStudyOptions::Validate() const {
  if (assignments < 3)
    throw std::invalid_argument(fmt::format("proxy study: assignments = {}; valid: >= 3", assignments));
  if (!(cost_min >= 0 && cost_min < cost_max && cost_max <= 1))
    throw std::invalid_argument(
        fmt::format("proxy study: cost band [{}, {}] is invalid; valid: 0 <= min < max <= 1", cost_min, cost_max));
  if (candidates.empty()) throw std::invalid_argument("proxy study: the candidate list is empty");
  if (proxies.empty()) throw std::invalid_argument("proxy study: no proxy settings given");
  std::set<std::string> names;
  for (const ProxySetting& p : proxies) {
    if (p.steps < 0 || p.subset < 0 || p.batch < 1 || p.validation_images < 0)
      throw std::invalid_argument(fmt::format(
          "proxy study: setting {} is invalid; valid: steps >= 0, subset >= 0, batch >= 1, validation images >= 0",
          p.Name()));
    if (!names.insert(p.Name()).second)
      throw std::invalid_argument(fmt::format("proxy study: setting {} is given twice", p.Name()));
  }
  if (!(threshold > -1 && threshold <= 1))
    throw std::invalid_argument(fmt::format("proxy study: threshold {} is invalid; valid: (-1, 1]", threshold));
}

namespace {

std::vector<double> Ranks(std::span<const double> v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> rank(v.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j) + 1.0;  // ranks i+1 .. j+1
    for (std::size_t k = i; k <= j; ++k) rank[order[k]] = average;
    i = j + 1;
  }
  return rank;
}

}  // namespace

double SpearmanRho(std::span<const double> x, std::span<const double> y) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  if (x.size() != y.size() || x.size() < 2) return nan;
  const std::vector<double> rx = Ranks(x), ry = Ranks(y);
  const double n = static_cast<double>(x.size());
  const double mean = (n + 1) / 2;  // the mean rank, ties or not
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < rx.size(); ++i) {
    sxy += (rx[i] - mean) * (ry[i] - mean);
    sxx += (rx[i] - mean) * (rx[i] - mean);
    syy += (ry[i] - mean) * (ry[i] - mean);
  }
  if (sxx == 0 || syy == 0) return nan;
  return sxy / std::sqrt(sxx * syy);
}

std::vector<Bits> DrawAssignmentsInBand(const Evaluator& pricing, std::span<const int> candidates, int count,
                                        std::uint64_t seed, double cost_min, double cost_max) {
  if (candidates.empty()) throw std::invalid_argument("proxy study: the candidate list is empty");
  const int layers = pricing.num_layers();
  // More bits never cost less, so every assignment costs between all-fewest and all-most
  // bits: a band outside that range is an error at once, not after 10^6 draws.
  const auto [fewest, most] = std::minmax_element(candidates.begin(), candidates.end());
  const double cheapest = pricing.Cost(Bits(static_cast<std::size_t>(layers), {*fewest, *fewest}));
  const double dearest = pricing.Cost(Bits(static_cast<std::size_t>(layers), {*most, *most}));
  if (cost_max < cheapest || cost_min > dearest)
    throw std::runtime_error(fmt::format(
        "proxy study: no assignment has a cost in [{}, {}] ({}): they cost {} to {}; valid: a band that overlaps it",
        cost_min, cost_max, to_string(pricing.metric()), cheapest, dearest));
  num::Random rng(seed);
  std::vector<Bits> out;
  std::set<std::string> seen;
  for (int draw = 0; draw < 1000000 && static_cast<int>(out.size()) < count; ++draw) {
    Bits bits(static_cast<std::size_t>(layers));
    for (auto& b : bits) {
      b.weight_bits = candidates[static_cast<std::size_t>(rng.below(static_cast<int>(candidates.size())))];
      b.activation_bits = candidates[static_cast<std::size_t>(rng.below(static_cast<int>(candidates.size())))];
    }
    const double c = pricing.Cost(bits);
    if (c < cost_min || c > cost_max) continue;
    if (!seen.insert(FormatBits(bits)).second) continue;
    out.push_back(std::move(bits));
  }
  if (static_cast<int>(out.size()) < count)
    throw std::runtime_error(fmt::format(
        "proxy study: only {} distinct assignments of cost in [{}, {}] ({}) in 10^6 draws, {} asked for; valid: a wider "
        "cost band or fewer assignments",
        out.size(), cost_min, cost_max, to_string(pricing.metric()), count));
  return out;
}

namespace {

constexpr const char* kHeader =
    "assignment,weight_bits,activation_bits,cost,measure,steps,subset,batch,validation_images,accuracy,seconds";

std::string Widths(const Bits& bits, bool weights) {
  std::vector<int> v;
  for (const auto& b : bits) v.push_back(weights ? b.weight_bits : b.activation_bits);
  return fmt::format("{}", fmt::join(v, "-"));
}

struct Stored {
  std::string weight_bits, activation_bits;
  double accuracy = 0, seconds = 0;
};

// Rows of an earlier run of the same study, keyed by (assignment, measure). A torn row (the
// run was killed while writing it) is dropped, and the file rewritten without it (write +
// rename), so the rows appended next start on a line of their own.
std::map<std::pair<int, std::string>, Stored> ReadStored(const std::filesystem::path& csv) {
  std::map<std::pair<int, std::string>, Stored> rows;
  std::ifstream in(csv);
  if (!in) return rows;
  std::string line;
  if (!std::getline(in, line)) return rows;
  if (line != kHeader)
    throw std::runtime_error(fmt::format("{}: the header is not a proxy study's ({}); valid: a new --out directory",
                                         csv.string(), line.substr(0, 80)));
  std::string kept = line + "\n";
  bool torn = false;
  int number = 1;
  while (std::getline(in, line)) {
    ++number;
    std::vector<std::string> f;
    std::stringstream ss(line);
    for (std::string item; std::getline(ss, item, ',');) f.push_back(item);
    if (f.size() != 11 || in.eof()) {  // short, or the last line without its newline
      torn = true;
      continue;
    }
    try {
      Stored s{f[1], f[2], std::stod(f[9]), std::stod(f[10])};
      rows[{std::stoi(f[0]), f[4]}] = s;
    } catch (const std::exception&) {
      throw std::runtime_error(fmt::format("{}:{}: unreadable row '{}'", csv.string(), number, line));
    }
    kept += line + "\n";
  }
  in.close();
  if (torn) {
    const std::filesystem::path tmp = csv.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << kept;
      if (!out.flush()) throw std::runtime_error(fmt::format("{}: cannot write", tmp.string()));
    }
    std::filesystem::rename(tmp, csv);
  }
  return rows;
}

void WriteSummaries(const ProxyStudyResult& r, const ProxyStudyOptions& o, int done,
                    const std::filesystem::path& out_dir) {
  nlohmann::json j;
  j["assignments_measured"] = done;
  j["assignments"] = o.assignments;
  j["seed"] = o.seed;
  j["metric"] = to_string(o.metric);
  j["cost_band"] = {o.cost_min, o.cost_max};
  j["threshold"] = o.threshold;
  j["final_mean_seconds"] =
      done ? std::accumulate(r.final_seconds.begin(), r.final_seconds.begin() + done, 0.0) / done : 0.0;
  j["chosen"] = r.chosen >= 0 ? nlohmann::json(o.proxies[static_cast<std::size_t>(r.chosen)].Name()) : nlohmann::json();
  for (std::size_t p = 0; p < o.proxies.size(); ++p) {
    const ProxySetting& s = o.proxies[p];
    j["proxies"].push_back({{"name", s.Name()},
                            {"steps", s.steps},
                            {"subset", s.subset},
                            {"batch", s.batch},
                            {"validation_images", s.validation_images},
                            {"mean_seconds", r.mean_seconds[p]},
                            {"spearman", std::isnan(r.spearman[p]) ? nlohmann::json() : nlohmann::json(r.spearman[p])}});
  }
  std::ofstream(out_dir / "proxy_study.json") << j.dump(2) << "\n";

  std::ofstream md(out_dir / "proxy_study.md");
  md << fmt::format("# Proxy study: {} of {} assignments measured (cost {} in [{}, {}] of 8/8, seed {})\n\n", done,
                    o.assignments, to_string(o.metric), o.cost_min, o.cost_max, o.seed);
  md << fmt::format("Final measurement: mean {:.1f} s per assignment. Chosen (cheapest with ρ ≥ {}): {}.\n\n",
                    j["final_mean_seconds"].get<double>(), o.threshold,
                    r.chosen >= 0 ? o.proxies[static_cast<std::size_t>(r.chosen)].Name() : std::string("none"));
  md << "| proxy | fine-tune steps | subset | batch | validation images | s per measurement | Spearman ρ |\n";
  md << "|---|---|---|---|---|---|---|\n";
  for (std::size_t p = 0; p < o.proxies.size(); ++p) {
    const ProxySetting& s = o.proxies[p];
    md << fmt::format("| {}{} | {} | {} | {} | {} | {:.2f} | {} |\n", s.Name(),
                      static_cast<int>(p) == r.chosen ? " (chosen)" : "", s.steps,
                      s.subset == 0 ? std::string("all") : std::to_string(s.subset), s.batch,
                      s.validation_images == 0 ? std::string("all") : std::to_string(s.validation_images),
                      r.mean_seconds[p], std::isnan(r.spearman[p]) ? std::string("–")
                                                                   : fmt::format("{:.3f}", r.spearman[p]));
  }
}

// Fills mean_seconds, spearman and chosen from the first `done` assignments.
void Score(ProxyStudyResult& r, const ProxyStudyOptions& o, int done) {
  const std::span<const double> final_acc(r.final_accuracy.data(), static_cast<std::size_t>(done));
  r.chosen = -1;
  for (std::size_t p = 0; p < o.proxies.size(); ++p) {
    r.mean_seconds[p] =
        done ? std::accumulate(r.seconds[p].begin(), r.seconds[p].begin() + done, 0.0) / done : 0.0;
    r.spearman[p] = SpearmanRho(std::span<const double>(r.accuracy[p].data(), static_cast<std::size_t>(done)),
                                final_acc);
    if (done == o.assignments && r.spearman[p] >= o.threshold &&
        (r.chosen < 0 || r.mean_seconds[p] < r.mean_seconds[static_cast<std::size_t>(r.chosen)]))
      r.chosen = static_cast<int>(p);
  }
}

}  // namespace

ProxyStudyResult RunProxyStudy(const ProxyTargetFactory& make_target, const reram::CostModel& cost_model,
                               const ProxyStudyOptions& o, const std::filesystem::path& out_dir,
                               const std::function<void(const std::string&)>& progress) {
  o.Validate();
  auto say = [&](const std::string& s) {
    if (progress) progress(s);
  };
  std::vector<std::unique_ptr<QuantTarget>> targets;
  for (const ProxySetting& p : o.proxies) targets.push_back(make_target(p));
  Evaluator pricing(*targets.front(), cost_model, o.metric, 1.0);

  ProxyStudyResult r;
  r.assignments = DrawAssignmentsInBand(pricing, o.candidates, o.assignments, o.seed, o.cost_min, o.cost_max);
  const std::size_t n = r.assignments.size(), np = o.proxies.size();
  r.cost.resize(n);
  r.final_accuracy.assign(n, std::numeric_limits<double>::quiet_NaN());
  r.final_seconds.assign(n, 0);
  r.accuracy.assign(np, std::vector<double>(n, std::numeric_limits<double>::quiet_NaN()));
  r.seconds.assign(np, std::vector<double>(n, 0));
  r.mean_seconds.assign(np, 0);
  r.spearman.assign(np, std::numeric_limits<double>::quiet_NaN());

  std::filesystem::create_directories(out_dir);
  const std::filesystem::path csv = out_dir / "proxy_study.csv";
  const auto stored = ReadStored(csv);
  const bool fresh = !std::filesystem::exists(csv) || std::filesystem::file_size(csv) == 0;
  std::ofstream out(csv, std::ios::app);
  if (!out) throw std::runtime_error(fmt::format("{}: cannot open for writing", csv.string()));
  if (fresh) out << kHeader << "\n" << std::flush;
  say(fmt::format("[proxy] {} assignments of {} cost in [{}, {}] (seed {}), {} proxies + the final measurement{}", n,
                  to_string(o.metric), o.cost_min, o.cost_max, o.seed, np,
                  stored.empty() ? std::string() : fmt::format("; {} measurements from {}", stored.size(),
                                                               csv.string())));

  // Measures (or reads back) one (assignment, measure) pair.
  auto measure = [&](std::size_t i, const std::string& name, const ProxySetting* s,
                     const std::function<double()>& run) -> std::pair<double, double> {
    const Bits& bits = r.assignments[i];
    if (auto it = stored.find({static_cast<int>(i), name}); it != stored.end()) {
      if (it->second.weight_bits != Widths(bits, true) || it->second.activation_bits != Widths(bits, false))
        throw std::runtime_error(fmt::format(
            "{}: assignment {} is w {} a {} there but w {} a {} in this draw (another seed, band, metric or "
            "candidates); valid: the same options, or a new --out directory",
            csv.string(), i, it->second.weight_bits, it->second.activation_bits, Widths(bits, true),
            Widths(bits, false)));
      ++r.reused;
      return {it->second.accuracy, it->second.seconds};
    }
    const auto t0 = std::chrono::steady_clock::now();
    const double acc = run();
    const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    out << fmt::format("{},{},{},{:.6f},{},{},{},{},{},{:.6f},{:.3f}\n", i, Widths(bits, true), Widths(bits, false),
                       r.cost[i], name, s ? s->steps : -1, s ? s->subset : -1, s ? s->batch : -1,
                       s ? s->validation_images : -1, acc, sec)
        << std::flush;
    return {acc, sec};
  };

  for (std::size_t i = 0; i < n; ++i) {
    const Bits& bits = r.assignments[i];
    r.cost[i] = pricing.Cost(bits);
    for (std::size_t p = 0; p < np; ++p)
      std::tie(r.accuracy[p][i], r.seconds[p][i]) =
          measure(i, o.proxies[p].Name(), &o.proxies[p], [&] { return targets[p]->Accuracy(bits); });
    std::tie(r.final_accuracy[i], r.final_seconds[i]) =
        measure(i, "final", nullptr, [&] { return targets.front()->FinalAccuracy(bits); });
    const int done = static_cast<int>(i + 1);
    Score(r, o, done);
    WriteSummaries(r, o, done, out_dir);
    std::string rhos;
    for (std::size_t p = 0; p < np; ++p)
      rhos += fmt::format(" {}", std::isnan(r.spearman[p]) ? std::string("–") : fmt::format("{:.2f}", r.spearman[p]));
    say(fmt::format("[proxy] {}/{} {} cost {:.3f}: final {:.2f} % ({:.0f} s); ρ so far:{}", done, n, FormatBits(bits),
                    r.cost[i], 100 * r.final_accuracy[i], r.final_seconds[i], rhos));
  }
  return r;
}

}  // namespace fixar::autoq
