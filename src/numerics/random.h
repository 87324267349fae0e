// Seeded random numbers that are the same with every compiler and library. The output
// sequence of std::mt19937_64 is fixed by the C++ standard, but the standard library's
// distributions are not (libstdc++ and libc++ differ), so the conversions are written
// here once: environments, search agents, exploration noise and weight initialisation
// all draw their normals through BoxMuller. Counter-based bits (a pure function of a key
// and an index, for resumable runs) are num::CounterRandomBits in rounding.h.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <span>

namespace fixar::num {

// Box–Muller: for u1 in (0, 1] and u2 in [0, 1), Radius(u1)·cos(Angle(u2)) and
// Radius(u1)·sin(Angle(u2)) are two independent standard normals.
inline double BoxMullerRadius(double u1) { return std::sqrt(-2.0 * std::log(u1)); }
inline double BoxMullerAngle(double u2) { return 2.0 * std::numbers::pi * u2; }
// The cosine branch alone: the one value of a pair that callers drawing one normal use.
inline double BoxMuller(double u1, double u2) { return BoxMullerRadius(u1) * std::cos(BoxMullerAngle(u2)); }

// A seeded stream (std::mt19937_64) with portable conversions.
class Random {
 public:
  explicit Random(std::uint64_t seed = 0) : engine_(seed) {}
  void seed(std::uint64_t seed) { engine_.seed(seed); }
  std::uint64_t bits() { return engine_(); }
  // Uniform in [0, 1): the top 53 bits of one draw times 2^-53.
  double uniform01() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double low, double high) { return low + (high - low) * uniform01(); }
  // Uniform integer in [0, n): multiply-shift (Lemire), bias below 2^-32 for small n.
  int below(int n) { return static_cast<int>((engine_() >> 32) * static_cast<std::uint64_t>(n) >> 32); }
  // Standard normal from two draws (one value of the Box–Muller pair is used, so the
  // stream position depends only on how many numbers were asked for).
  double normal() {
    const double u1 = 1.0 - uniform01();  // (0, 1]: the logarithm is finite
    const double u2 = uniform01();
    return BoxMuller(u1, u2);
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

}  // namespace fixar::num
