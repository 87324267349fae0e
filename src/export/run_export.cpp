#include "export/run_export.h"

#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/c_header.h"
#include "export/onnx_writer.h"
#include "nn/export.h"
#include "numerics/rounding.h"
#include "rl/trainer.h"
#include "util/build_info.h"
#include "util/file_lock.h"

namespace fixar::exporting {
namespace {

// A uniform double in [lo, hi) from 53 counter-based random bits.
double Uniform(std::uint64_t seed, std::uint64_t counter, double lo, double hi) {
  const double u = std::ldexp(static_cast<double>(num::CounterRandomBits(seed, counter) >> 11), -53);
  return lo + (hi - lo) * u;
}

std::vector<std::string> Provenance(const ExportOptions& o, const rl::LoadedRun& run) {
  return {fmt::format("run {} (task {}, actor precision {}), checkpoint at step {}", o.run_dir, run.config.task,
                      run.config.actor_precision, run.step),
          fmt::format("fixar {}", util::GetBuildInfo().describe())};
}

void CheckOptions(const ExportOptions& o) {
  if (o.c_header.empty() && o.onnx.empty() && o.check_data.empty())
    throw std::invalid_argument(fmt::format(
        "fixar export {}: nothing to write; give --c FILE, --onnx FILE and/or --check-data FILE", o.run_dir));
  if (o.check_samples < 1 || o.check_samples > 10'000'000)
    throw std::invalid_argument(
        fmt::format("--check-samples = {} is invalid; valid: 1..10000000", o.check_samples));
}

}  // namespace

std::vector<double> CheckObservations(const envs::Box& space, int count, std::uint64_t seed) {
  const int dims = space.size();
  std::vector<double> obs(static_cast<std::size_t>(count) * dims);
  for (int i = 0; i < count; ++i) {
    const bool beyond = num::CounterRandomBits(seed ^ 0xB170ull, static_cast<std::uint64_t>(i)) % 4 == 0;
    for (int d = 0; d < dims; ++d) {
      const bool bounded = std::isfinite(space.low[d]) && std::isfinite(space.high[d]);
      double lo = bounded ? space.low[d] : -10.0, hi = bounded ? space.high[d] : 10.0;
      if (beyond) {
        const double span = bounded ? hi - lo : 90.0;
        lo -= span;
        hi += span;
      }
      const std::size_t k = static_cast<std::size_t>(i) * dims + d;
      obs[k] = static_cast<double>(static_cast<float>(Uniform(seed, k, lo, hi)));
    }
  }
  return obs;
}

std::string CheckDataCsv(nn::Network& actor, const std::vector<double>& observations) {
  const int S = actor.inputs(), A = actor.outputs();
  if (observations.size() % static_cast<std::size_t>(S) != 0)
    throw std::invalid_argument(fmt::format("check data: {} values are not rows of {} observations",
                                            observations.size(), S));
  std::string csv;
  for (int d = 0; d < S; ++d) csv += fmt::format("{}obs{}", d ? "," : "", d);
  for (int j = 0; j < A; ++j) csv += fmt::format(",act{}", j);
  csv += "\n";
  std::vector<double> action(A);
  for (std::size_t r = 0; r * S < observations.size(); ++r) {
    const std::span<const double> x(observations.data() + r * S, S);
    actor.Forward(x, 1, action);
    for (int d = 0; d < S; ++d) csv += fmt::format("{}{:.17g}", d ? "," : "", x[d]);
    for (double a : action) csv += fmt::format(",{:.17g}", a);
    csv += "\n";
  }
  return csv;
}

nlohmann::json ExportRun(const ExportOptions& o) {
  CheckOptions(o);
  rl::LoadedRun run = rl::LoadRun(o.run_dir, /*with_buffer=*/false);
  nn::Mlp& actor = run.agent->actor();
  const nn::PrecisionPolicy& p = actor.policy();
  if (!o.c_header.empty() && p.is_float)
    throw std::invalid_argument(fmt::format(
        "fixar export {}: --c writes fixed-point networks only, and this run's actor is float32 "
        "(precision.actor = \"{}\"): it has no integer weights or formats; export it with --onnx, or train with a "
        "fixed-point precision (fixed32, fixar, wXaY)",
        o.run_dir, run.config.actor_precision));
  nlohmann::json summary = {{"run_dir", o.run_dir},      {"task", run.config.task}, {"step", run.step},
                            {"precision", p.name},        {"quantized", actor.quantized()},
                            {"obs_dim", actor.inputs()}, {"action_dim", actor.outputs()}};
  // Build everything first, so that a refusal writes nothing.
  std::string header;
  if (!o.c_header.empty()) {
    CHeaderOptions c;
    c.symbol = o.c_symbol;
    c.provenance = Provenance(o, run);
    header = CHeader(nn::ExportFixed(actor), c);
  }
  OnnxModel model;
  if (!o.onnx.empty()) {
    std::string doc;
    for (const auto& line : Provenance(o, run)) doc += line + "\n";
    model = BuildOnnx(actor, doc + "Semantics: docs/export.md of the fixar repository.");
  }
  std::string csv;
  if (!o.check_data.empty()) {
    auto env = envs::make(run.config.task);
    csv = CheckDataCsv(actor, CheckObservations(env->observation_space(), o.check_samples, o.check_seed));
  }
  if (!header.empty()) {
    util::WriteTextAtomically(o.c_header, header);
    summary["c_header"] = o.c_header;
  }
  if (!model.bytes.empty()) {
    util::WriteTextAtomically(o.onnx, model.bytes);
    summary["onnx"] = {{"path", o.onnx}, {"exact", model.exact}, {"layers", model.layers}};
  }
  if (!csv.empty()) {
    util::WriteTextAtomically(o.check_data, csv);
    summary["check_data"] = {{"path", o.check_data}, {"samples", o.check_samples}, {"seed", o.check_seed}};
  }
  return summary;
}

}  // namespace fixar::exporting
