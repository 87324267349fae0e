// Every hyperparameter of a training run, with its default and where it comes from.
//
// FIXAR (fixar.md) fixes: DDPG, actor and critic 400-300, Adam 1e-4 for both, batch 64
// (also 128, 256, 512), 1 M steps, evaluation every 5 000 steps over 10 episodes, one
// update per environment step. It does not state γ, τ, replay size, noise or warm-up;
// we take γ = 0.99 and replay 1e6 from Lillicrap et al. (DDPG), τ = 0.005, Gaussian
// noise σ = 0.1 from the TD3 paper's "OurDDPG", and 10 000 random warm-up steps.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "nn/optim.h"
#include "nn/precision.h"

namespace fixar::rl {

enum class NoiseKind : std::uint8_t { kGaussian, kOrnsteinUhlenbeck, kNone };

// The largest replay buffer a configuration may ask for (ddpg.buffer_size): 1000 times the
// paper's 10^6 transitions; its address space is reserved up front (replay_buffer.h).
inline constexpr std::int64_t kMaxBufferSize = 1'000'000'000;

struct TrainConfig {
  // [run]
  std::string task = "HalfCheetah";
  std::string algorithm = "ddpg";  // ddpg, or td3 (twin critics, smoothing, delay)
  std::uint64_t seed = 0;
  std::int64_t total_steps = 1'000'000;
  std::string out_dir = "runs";
  std::int64_t eval_every = 5'000;  // FIXAR: every 5 000 steps
  int eval_episodes = 10;           // FIXAR: mean of 10 episodes
  std::int64_t log_every = 1'000;   // progress.csv row interval (divides eval_every)
  std::int64_t checkpoint_every = 50'000;
  int threads = 0;                  // 0: all cores (or FIXAR_THREADS)

  // [ddpg]
  std::vector<int> hidden = {400, 300};  // FIXAR
  int batch_size = 64;                   // FIXAR: 64 (also 128, 256, 512)
  double gamma = 0.99;                   // Lillicrap et al.
  double tau = 0.005;                    // TD3 paper's DDPG
  std::int64_t buffer_size = 1'000'000;  // Lillicrap et al.; at most kMaxBufferSize
  std::int64_t warmup_steps = 10'000;    // uniform random actions before the policy acts
  double actor_lr = 1e-4;                // FIXAR
  double critic_lr = 1e-4;               // FIXAR
  NoiseKind noise = NoiseKind::kGaussian;
  double noise_sigma = 0.1;              // TD3 paper: N(0, 0.1) scaled by the action bound
  double ou_theta = 0.15;                // Lillicrap et al. OU parameters
  double ou_sigma = 0.2;
  double td3_target_noise = 0.2;         // TD3 paper: σ = 0.2, clip 0.5, policy delay 2
  double td3_noise_clip = 0.5;
  int td3_policy_delay = 2;

  // [precision]
  std::string actor_precision = "fixar";
  std::string critic_precision = "fixar";
  std::int64_t qat_delay = 350'000;      // FIXAR's curves switch at about 350 k steps
  int qat_activation_bits = 16;          // FIXAR: n = 16
  std::string qat_quantizer = "power_of_two";
  int qat_range_headroom_bits = 1;       // ours (the paper is silent): see docs/training.md
  int gradient_int_bits = 0;             // integer bits (sign included) of the fixed-point gradient
                                         // format (the initial one when dynamic); 0: the named policy's
                                         // own (fixed<32,8> for fixed32 and fixar). docs/training.md
  std::string gradient_format = "dynamic";  // "dynamic": per tensor from observed ranges; "fixed"
  int gradient_interval = 1000;          // dynamic: updates between format choices
  int gradient_headroom_bits = 2;        // dynamic: range kept above the observed max
  int gradient_min_int_bits = 0;         // dynamic: narrowest range; 0 = the start format's
  std::string rounding = "half_even";

  // Throws std::invalid_argument naming the key, the value and what is valid.
  void validate() const;
  nn::PrecisionPolicy ActorPolicy() const;
  nn::PrecisionPolicy CriticPolicy() const;
  nn::AdamConfig ActorAdam() const;
  nn::AdamConfig CriticAdam() const;
  // "HalfCheetah_ddpg_fixar_s0" (critic precision named when it differs from the actor's).
  std::string RunName() const;
  std::string ToToml() const;  // the resolved configuration, loadable again
};

// Loads a TOML file (keys under [run], [ddpg], [precision]); keys left out keep their
// defaults; unknown keys, wrong types and bad values throw std::invalid_argument naming
// the file and the key. An empty path gives the defaults.
TrainConfig LoadTrainConfig(const std::string& path);
// The same from TOML text; `source` names it in messages (a file name).
TrainConfig ParseTrainConfig(std::string_view text, const std::string& source);
// The keys whose values differ, as "section.key: <a's value> -> <b's value>", in key order.
std::vector<std::string> DifferingKeys(const TrainConfig& a, const TrainConfig& b);
// Applies "section.key=value" overrides (e.g. "ddpg.batch_size=128"), same checks.
void ApplyOverride(TrainConfig& c, const std::string& assignment);

const char* to_string(NoiseKind k);

}  // namespace fixar::rl
