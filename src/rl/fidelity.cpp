#include "rl/fidelity.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "rl/ddpg.h"
#include "rl/trainer.h"

namespace fixar::rl {
namespace {

// Sums over batches for one layer (its W and b together).
struct LayerSums {
  std::string name;
  double lsb = 0, min = 0, max = 0;  // of the run's gradient format; 0 in float
  double diff2 = 0, run2 = 0, ref2 = 0, dot = 0;
  std::uint64_t nonzero = 0, zeroed = 0, beyond = 0, values = 0;
};

// Adds one network's gradients (run and twin) to its layers' sums.
void Accumulate(const nn::Mlp& run, const nn::Mlp& twin, std::vector<LayerSums>& layers, std::size_t first) {
  const std::vector<double> g = run.GradientsAsDouble(), f = twin.GradientsAsDouble();
  const auto& sizes = run.spec().sizes;
  std::size_t i = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    LayerSums& s = layers[first + l];
    const std::size_t n = static_cast<std::size_t>(sizes[l] + 1) * sizes[l + 1];
    for (std::size_t e = 0; e < n; ++e, ++i) {
      const double d = g[i] - f[i];
      s.diff2 += d * d, s.run2 += g[i] * g[i], s.ref2 += f[i] * f[i], s.dot += g[i] * f[i];
      if (s.max > 0 && (f[i] > s.max || f[i] < s.min)) ++s.beyond;
      if (f[i] != 0) {
        ++s.nonzero;
        if (g[i] == 0) ++s.zeroed;
      }
    }
    s.values += n;
  }
}

void AddLayers(const nn::Mlp& net, std::vector<LayerSums>& layers) {
  const auto& sizes = net.spec().sizes;
  const nn::PrecisionPolicy& p = net.policy();
  const auto stats = net.Stats();
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const num::Format& g = stats[l].gradient_format;  // the layer's own (dynamic formats move)
    layers.push_back({fmt::format("{}.fc{}", net.spec().name, l + 1), p.is_float ? 0.0 : g.lsb(),
                      p.is_float ? 0.0 : g.min_value(), p.is_float ? 0.0 : g.max_value()});
  }
}

}  // namespace

nlohmann::json GradientFidelity(const FidelityOptions& o) {
  if (o.batches < 1)
    throw std::invalid_argument(fmt::format("fidelity: batches = {}; valid: 1 or more", o.batches));
  LoadedRun run = LoadRun(o.run_dir, /*with_buffer=*/true);
  const int B = run.config.batch_size;
  if (run.buffer->size() < 1)
    throw std::invalid_argument(fmt::format("{}: the checkpoint's replay buffer is empty", o.run_dir));

  // The twin's policies come from the run's configuration with the precision replaced, so
  // settings such as precision.gradient_int_bits carry over to a fixed-point twin.
  TrainConfig twin_config = run.config;
  twin_config.actor_precision = twin_config.critic_precision = o.reference;
  for (const std::string& kv : o.twin_overrides) ApplyOverride(twin_config, kv);
  twin_config.validate();
  DdpgSpec twin_spec = run.agent->spec();
  twin_spec.actor_policy = twin_config.ActorPolicy();
  twin_spec.critic_policy = twin_config.CriticPolicy();
  const std::unique_ptr<Ddpg> twin = run.agent->MakeTwin(twin_spec);  // TD3 stays TD3
  twin->CopyParametersFrom(*run.agent);

  std::vector<LayerSums> layers;
  AddLayers(run.agent->actor(), layers);
  const std::size_t critic_first = layers.size();
  AddLayers(run.agent->critic(), layers);
  double loss_run = 0, loss_ref = 0, q_run = 0, q_ref = 0;
  Batch batch;
  for (int k = 0; k < o.batches; ++k) {
    run.buffer->Sample(B, o.seed, static_cast<std::uint64_t>(k), batch);
    const UpdateStats a = run.agent->Gradients(batch), b = twin->Gradients(batch);
    loss_run += a.critic_loss, loss_ref += b.critic_loss, q_run += a.q_mean, q_ref += b.q_mean;
    Accumulate(run.agent->actor(), twin->actor(), layers, 0);
    Accumulate(run.agent->critic(), twin->critic(), layers, critic_first);
  }

  nlohmann::json out_layers = nlohmann::json::array();
  for (const LayerSums& s : layers) {
    const double rel = s.ref2 > 0 ? std::sqrt(s.diff2 / s.ref2) : 0.0;
    const double cosine = s.run2 > 0 && s.ref2 > 0 ? s.dot / std::sqrt(s.run2 * s.ref2) : 1.0;
    out_layers.push_back({{"name", s.name},
                          {"rel_error", rel},
                          {"cosine", cosine},
                          {"zeroed", s.nonzero ? static_cast<double>(s.zeroed) / s.nonzero : 0.0},
                          {"beyond_range", static_cast<double>(s.beyond) / static_cast<double>(s.values)},
                          {"ref_rms", std::sqrt(s.ref2 / static_cast<double>(s.values))},
                          {"lsb", s.lsb}});
  }
  const double n = o.batches;
  return {{"run_dir", o.run_dir},
          {"step", run.step},
          {"precision", {{"actor", run.config.actor_precision}, {"critic", run.config.critic_precision}}},
          {"quantized", run.agent->actor().quantized()},
          {"batches", o.batches},
          {"batch_size", B},
          {"reference", o.reference},
          {"twin_overrides", o.twin_overrides},
          {"critic_loss", {{"run", loss_run / n}, {"reference", loss_ref / n}}},
          {"q_mean", {{"run", q_run / n}, {"reference", q_ref / n}}},
          {"layers", out_layers}};
}

}  // namespace fixar::rl
