// Small fake training runs on disk for the report tests: config.toml from
// rl::TrainConfig::ToToml(), progress.csv (or .gz) with chosen eval_mean values.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "rl/config.h"

namespace fixar::report::fake {
namespace fs = std::filesystem;

// A fresh, empty directory under the temporary directory.
inline fs::path FreshDir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("fixar_report_test_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline rl::TrainConfig Config(const std::string& task, const std::string& precision, std::uint64_t seed) {
  rl::TrainConfig c;
  c.task = task;
  c.actor_precision = c.critic_precision = precision;
  c.seed = seed;
  c.total_steps = 10'000;
  c.eval_every = 1'000;
  c.log_every = 500;
  return c;
}

// progress.csv text: a row every 500 steps up to `last_step`, eval_mean at every 1000
// steps from `evals` (evals[k] at step 1000·(k+1)); the per-layer format cell is quoted
// with a comma inside, as fixar train writes it.
inline std::string ProgressText(const std::vector<double>& evals, std::int64_t last_step) {
  std::string csv = "step,episode,episode_return,episode_length,eval_mean,eval_std,critic_loss,actor.fc1.format\n";
  for (std::int64_t step = 500; step <= last_step; step += 500) {
    const std::size_t k = static_cast<std::size_t>(step / 1000);
    const bool eval = step % 1000 == 0 && k >= 1 && k <= evals.size();
    csv += fmt::format("{},{},-1.5,200,{},{},0.25,\"fixed<32,16>\"\n", step, step / 200,
                       eval ? fmt::format("{}", evals[k - 1]) : "", eval ? "3.5" : "");
  }
  return csv;
}

struct FakeRun {
  rl::TrainConfig config{};
  std::vector<double> evals{};
  std::int64_t last_step = 0;  // 0: 1000 × evals.size()
  bool gzip = false;
  std::string summary_json{};     // written when non-empty
  std::string provenance_json{};  // written when non-empty
};

inline fs::path WriteRun(const fs::path& dir, const FakeRun& run) {
  fs::create_directories(dir);
  std::ofstream(dir / "config.toml") << run.config.ToToml();
  const std::int64_t last = run.last_step ? run.last_step : 1000 * static_cast<std::int64_t>(run.evals.size());
  const std::string text = ProgressText(run.evals, last);
  if (run.gzip) {
    gzFile f = gzopen((dir / "progress.csv.gz").string().c_str(), "wb");
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
  } else {
    std::ofstream(dir / "progress.csv") << text;
  }
  if (!run.summary_json.empty()) std::ofstream(dir / "summary.json") << run.summary_json;
  if (!run.provenance_json.empty()) std::ofstream(dir / "provenance.json") << run.provenance_json;
  return dir;
}

// Evaluations base, base + step, base + 2·step, ….
inline std::vector<double> Ramp(double base, double step, std::size_t n) {
  std::vector<double> v;
  for (std::size_t i = 0; i < n; ++i) v.push_back(base + step * static_cast<double>(i));
  return v;
}

}  // namespace fixar::report::fake
