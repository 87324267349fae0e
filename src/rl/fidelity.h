// Gradient fidelity of a training run: how closely its gradients follow another
// arithmetic (float32 by default) at the same weights, on the same replay batches.
//
// The run's checkpoint is loaded (agent and replay buffer) and a twin in the reference
// precision receives the same parameters (all four networks; a fixed-point twin starts
// before any QAT switch, so `fixed32` isolates what the switch to 16-bit activations
// does). On each of `batches` batches drawn uniformly from the run's replay buffer (the
// run's batch size), both compute the gradients of one DDPG update without applying them
// (Ddpg::Gradients). Per layer of actor and critic, summed over the batches:
//   rel_error  ‖g − g_r‖₂ / ‖g_r‖₂        (g: the run's gradient, g_r: the twin's)
//   cosine     ⟨g, g_r⟩ / (‖g‖₂ ‖g_r‖₂)
//   zeroed     share of elements with g_r ≠ 0 but g = 0 (fixed point's underflow)
//   beyond_range  share of elements with g_r outside the run's gradient format's range
//              (where the run's gradient saturates); 0 for float runs
//   ref_rms    RMS of g_r (to set against the gradient format's LSB)
// and the mean critic loss and Q of both. A float32 twin holds the weights with 24-bit
// significands: weights beyond ±1 lose their lowest bits (relative error < 6e-8).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace fixar::rl {

struct FidelityOptions {
  std::string run_dir;
  int batches = 16;
  std::uint64_t seed = 7;              // of the batch draws
  std::string reference = "float32";  // the twin's precision (nn::MakePrecision names)
  // "section.key=value" overrides of the twin's configuration (rl::ApplyOverride), e.g.
  // precision.gradient_int_bits=8 to see what another gradient format does at these weights.
  std::vector<std::string> twin_overrides;
};

// {"run_dir", "step", "precision": {"actor", "critic"}, "quantized", "reference",
//  "batches", "batch_size", "critic_loss": {"run", "reference"}, "q_mean": {...},
//  "layers": [{"name", "rel_error", "cosine", "zeroed", "beyond_range", "ref_rms", "lsb"}, ...]}
// (actor layers, then critic layers; lsb: of the run's gradient format, 0 in float).
nlohmann::json GradientFidelity(const FidelityOptions& options);

}  // namespace fixar::rl
