// Exploration noise for continuous actions, reproducible from (seed, step).
//
//   Gaussian            ε_t ~ N(0, σ²) per dimension, independent over time (TD3 paper).
//   Ornstein–Uhlenbeck  x_{t+1} = x_t + θ(0 − x_t) + σ·N(0, 1)  (Lillicrap et al., dt = 1),
//                       reset to 0 at each episode start.
//   Truncated normal    N(μ, σ²) on [low, high] by rejection (HAQ's exploration), from a
//                       seeded num::Random stream.
// The first two draw their normals from the counter-based generator through Box–Muller,
// so a resumed run continues with the same numbers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "numerics/random.h"
#include "numerics/rounding.h"
#include "rl/config.h"

namespace fixar::rl {

// A standard normal number, a pure function of (seed, counter).
inline double CounterNormal(std::uint64_t seed, std::uint64_t counter) {
  const double u1 = (static_cast<double>(num::CounterRandomBits(seed, 2 * counter) >> 11) + 0.5) * 0x1p-53;
  const double u2 = static_cast<double>(num::CounterRandomBits(seed, 2 * counter + 1) >> 11) * 0x1p-53;
  return num::BoxMuller(u1, u2);
}

// N(mean, σ²) redrawn from `rng` until it lies in [low, high], at most `max_tries` draws;
// the last draw is then clamped into the interval.
inline double TruncatedNormal(double mean, double sigma, double low, double high, num::Random& rng,
                              int max_tries = 100) {
  double x = 0;
  int tries = 0;
  do {
    x = mean + sigma * rng.normal();
  } while (++tries < max_tries && (x < low || x > high));
  return std::clamp(x, low, high);
}

class ExplorationNoise {
 public:
  ExplorationNoise(NoiseKind kind, int dims, double sigma, double theta, std::uint64_t seed)
      : kind_(kind), sigma_(sigma), theta_(theta), seed_(seed), state_(dims, 0.0) {}
  void ResetEpisode() { std::fill(state_.begin(), state_.end(), 0.0); }
  // Noise for timestep `step`, scaled per dimension by `scale` (half the action range).
  void Sample(std::uint64_t step, std::span<const double> scale, std::span<double> out) {
    for (std::size_t j = 0; j < state_.size(); ++j) {
      const double n = CounterNormal(seed_, step * state_.size() + j);
      if (kind_ == NoiseKind::kGaussian) {
        out[j] = sigma_ * n * scale[j];
      } else if (kind_ == NoiseKind::kOrnsteinUhlenbeck) {
        state_[j] += -theta_ * state_[j] + sigma_ * n;
        out[j] = state_[j] * scale[j];
      } else {
        out[j] = 0;
      }
    }
  }

 private:
  NoiseKind kind_;
  double sigma_, theta_;
  std::uint64_t seed_;
  std::vector<double> state_;
};

}  // namespace fixar::rl
