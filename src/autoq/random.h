// The random stream the search agents own. std::mt19937_64's sequence is fixed by the
// standard but the standard distributions are not, so the conversions are written here:
// the same seed gives the same run with every compiler.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>

namespace fixar::autoq {

class Random {
 public:
  explicit Random(std::uint64_t seed = 0) : engine_(seed) {}
  std::uint64_t bits() { return engine_(); }
  // Uniform in [0, 1): the top 53 bits of one draw times 2^-53.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  // Uniform integer in [0, n): multiply-shift (Lemire), bias below 2^-32 for small n.
  int below(int n) { return static_cast<int>((engine_() >> 32) * static_cast<std::uint64_t>(n) >> 32); }
  // Standard normal (Box-Muller, one value of the pair used).
  double normal() {
    const double u1 = 1.0 - uniform01();  // (0, 1]: log finite
    const double u2 = uniform01();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }
  // Index drawn with probabilities p (sums to 1 up to rounding; the last index takes the rest).
  int categorical(std::span<const double> p) {
    double u = uniform01();
    for (std::size_t i = 0; i + 1 < p.size(); ++i) {
      if (u < p[i]) return static_cast<int>(i);
      u -= p[i];
    }
    return static_cast<int>(p.size()) - 1;
  }

 private:
  std::mt19937_64 engine_;
};

}  // namespace fixar::autoq
