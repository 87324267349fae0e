#include "rl/run_records.h"

#include <charconv>
#include <cmath>
#include <ctime>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "kernels/gemm.h"
#include "kernels/parallel.h"
#include "util/build_info.h"
#include "util/file_lock.h"
#include "util/log.h"

namespace fixar::rl {
namespace fs = std::filesystem;

namespace {

// Fields of one CSV row (commas inside double quotes do not split).
std::size_t CsvFields(const std::string& line) {
  std::size_t n = 1;
  bool quoted = false;
  for (char ch : line) {
    if (ch == '"') quoted = !quoted;
    else if (ch == ',' && !quoted) ++n;
  }
  return n;
}

// A number in a CSV cell: 6 significant digits; empty when it does not exist (NaN, ±inf).
std::string CsvNumber(double x) { return std::isfinite(x) ? fmt::format("{:.6g}", x) : ""; }

bool IsFloatLayer(const nn::LayerStats& l, const nn::PrecisionPolicy& actor, const nn::PrecisionPolicy& critic) {
  return (l.name.rfind("actor", 0) == 0 ? actor : critic).is_float;
}

}  // namespace

std::string ProgressCsvHeader(const std::vector<nn::LayerStats>& layers) {
  std::string h = "step,episode,episode_return,episode_length,eval_mean,eval_std,critic_loss,q_mean,ips,env_ms,update_ms,act_ms,quantized";
  for (const auto& l : layers)
    h += fmt::format(",{0}.sat_rate,{0}.range_min,{0}.range_max,{0}.format,{0}.grad_format", l.name);
  return h;
}

void TruncateProgressCsv(const fs::path& path, std::int64_t step) {
  std::ifstream in(path);
  std::string line, kept;
  std::size_t fields = 0;
  while (std::getline(in, line)) {
    if (fields == 0) {
      fields = CsvFields(line);
      kept += line + "\n";
      continue;
    }
    std::int64_t row_step = 0;
    const auto [end, err] = std::from_chars(line.data(), line.data() + line.size(), row_step);
    if (err != std::errc() || *end != ',' || CsvFields(line) != fields || in.eof()) {
      util::LogWarn("{}: dropped a torn row after step {} ('{}')", path.string(), step, line.substr(0, 40));
      break;
    }
    if (row_step > step) break;
    kept += line + "\n";
  }
  in.close();
  util::WriteTextAtomically(path.string(), kept);
}

std::string FormatProgressRow(const ProgressRow& r, const Ddpg& agent, const nn::PrecisionPolicy& actor,
                              const nn::PrecisionPolicy& critic) {
  std::string row = fmt::format(
      "{},{},{},{},{},{},{},{},{},{},{},{},{}", r.step, r.episode, CsvNumber(r.last_return), r.last_length,
      r.evaluated ? CsvNumber(r.eval_mean) : "", r.evaluated ? CsvNumber(r.eval_std) : "", CsvNumber(r.critic_loss),
      CsvNumber(r.q_mean), CsvNumber(r.ips), CsvNumber(r.env_ms), CsvNumber(r.update_ms), CsvNumber(r.act_ms),
      r.quantized ? 1 : 0);
  for (const auto& l : agent.Stats()) {
    if (IsFloatLayer(l, actor, critic))  // no fixed-point datapath: nothing saturates, no recorded ranges
      row += ",,,,float32,float32";
    else  // formats quoted: "fixed<32,16>" holds a comma
      row += fmt::format(",{},{},{},\"{}\",\"{}\"", CsvNumber(l.saturation_rate()), CsvNumber(l.range_min),
                         CsvNumber(l.range_max), l.activation_format.to_string(), l.gradient_format.to_string());
  }
  return row + "\n";
}

std::vector<std::pair<std::string, double>> ProgressScalars(const ProgressRow& r, double steps_per_second,
                                                            std::int64_t updates, const Ddpg& agent,
                                                            const nn::PrecisionPolicy& actor,
                                                            const nn::PrecisionPolicy& critic) {
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("qat/quantized", r.quantized ? 1.0 : 0.0);
  for (const auto& l : agent.Stats()) {
    if (IsFloatLayer(l, actor, critic)) continue;
    const std::string prefix = "layers/" + l.name + "/";
    out.emplace_back(prefix + "saturation_rate", l.saturation_rate());
    out.emplace_back(prefix + "range_min", l.range_min);
    out.emplace_back(prefix + "range_max", l.range_max);
    out.emplace_back(prefix + "activation_int_bits", l.activation_format.int_bits());
    out.emplace_back(prefix + "gradient_int_bits", l.gradient_format.int_bits());
  }
  out.insert(out.end(), {{"charts/SPS", steps_per_second},
                         {"charts/IPS", r.ips},
                         {"losses/qf_loss", updates ? r.critic_loss : NAN},
                         {"losses/actor_loss", updates ? -r.q_mean : NAN},
                         {"eval/mean_return", r.evaluated ? r.eval_mean : NAN},
                         {"eval/std_return", r.evaluated ? r.eval_std : NAN},
                         {"time/env_ms", updates ? r.env_ms : NAN},
                         {"time/update_ms", updates ? r.update_ms : NAN},
                         {"time/act_ms", updates ? r.act_ms : NAN}});
  return out;
}

void RecordProvenance(const fs::path& dir, const std::string& command_line, bool resuming) {
  const util::BuildInfo& b = util::GetBuildInfo();
  const std::time_t now = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  const nlohmann::json entry = {{"commit", b.commit},
                                {"dirty", b.dirty},
                                {"build", b.describe()},
                                {"kernel_path", kern::to_string(kern::ActivePath())},
                                {"threads", kern::NumThreads()},
                                {"command_line", command_line},
                                {"time", when}};
  const fs::path path = dir / "provenance.json";
  nlohmann::json p = {{"commit", b.commit}, {"start", entry}, {"resumes", nlohmann::json::array()}};
  if (resuming && fs::exists(path)) {
    try {
      std::ifstream(path) >> p;
    } catch (const std::exception&) {
      util::LogWarn("{}: unreadable; starting a new provenance record", path.string());
    }
    if (!p.contains("resumes") || !p["resumes"].is_array()) p["resumes"] = nlohmann::json::array();
    p["resumes"].push_back(entry);
  }
  util::WriteTextAtomically(path.string(), p.dump(2) + "\n");
}

nlohmann::json SummaryJson(const TrainSummary& s) {
  nlohmann::json j;
  j["run_dir"] = s.run_dir;
  j["task"] = s.task;
  j["algorithm"] = s.algorithm;
  j["actor_precision"] = s.actor_precision;
  j["critic_precision"] = s.critic_precision;
  j["seed"] = s.seed;
  j["steps"] = s.steps;
  j["total_steps"] = s.total_steps;
  j["interrupted"] = s.interrupted;
  j["commit"] = s.commit;
  j["episodes"] = s.episodes;
  j["wall_seconds"] = s.wall_seconds;
  j["final_eval_mean"] = s.final_eval_mean;
  j["final_eval_std"] = s.final_eval_std;
  j["best_eval_mean"] = s.best_eval_mean;
  j["qat"] = {{"delay", s.qat.delay},
              {"switched_at_step", s.qat.switched_at_step},
              {"eval_before_switch", s.qat.eval_before_switch},
              {"eval_after_switch", s.qat.eval_after_switch}};
  j["ips_mean"] = s.ips_mean;
  j["peak_rss_mb"] = s.peak_rss_mb;
  j["replay_buffer_mb"] = s.replay_buffer_mb;
  j["evals"] = nlohmann::json::array();
  for (const EvalPoint& e : s.evals) j["evals"].push_back({{"step", e.step}, {"mean", e.mean}});
  return j;
}

void WriteSummaryJson(const fs::path& path, const TrainSummary& s) {
  util::WriteTextAtomically(path.string(), SummaryJson(s).dump(2) + "\n");
}

nlohmann::json EvaluationJson(const EvalSummary& e) {
  return {{"run_dir", e.run_dir}, {"task", e.task},       {"step", e.step},        {"episodes", e.episodes},
          {"mean", e.mean},       {"std", e.std},         {"returns", e.returns},  {"lengths", e.lengths}};
}

}  // namespace fixar::rl
