// The random stream each environment owns (internal header).
//
// std::mt19937_64's output sequence is fixed by the C++ standard, but the standard
// library's distributions are not (libstdc++ and libc++ differ), so the conversions to
// uniform and normal numbers are written here: the same seed gives the same initial
// states with every compiler.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>

namespace fixar::envs::detail {

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) : engine_(seed) {}
  void seed(std::uint64_t seed) { engine_.seed(seed); }

  // Uniform in [0, 1): the top 53 bits of one 64-bit draw, scaled by 2^-53.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  // Uniform in [low, high).
  double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  // Standard normal by the Box-Muller transform (one draw of the pair is used, so the
  // stream position depends only on how many numbers were asked for).
  double normal() {
    const double u1 = 1.0 - uniform01();  // in (0, 1], so log(u1) is finite
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace fixar::envs::detail
