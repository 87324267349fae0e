// Elementwise operations of training: the scalar references (the definitions) and the
// drivers that pick a SIMD path and split large buffers over the thread pool.
#include "kernels/elementwise.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels/detail/elementwise_kernels.h"
#include "kernels/detail/simd_kernels.h"
#include "kernels/parallel.h"
#include "numerics/rounding.h"

namespace fixar::kern {
namespace {

using num::int128;
using num::uint128;

// Below this many elements a call runs on the calling thread (a handoff costs more).
constexpr std::size_t kParallelMinElements = 16384;
constexpr int kBlockAlign = 64;  // task boundaries on whole cache lines of int32

// Splits [0, n) into fixed blocks (by element index, not by thread), runs
// fn(begin, end) on each and sums the returned counts in task order.
template <typename Fn>
std::uint64_t ForBlocks(std::size_t n, const Fn& fn) {
  // 4 blocks per thread, claimed dynamically: a preempted thread's blocks go to the other.
  const int tasks = n < kParallelMinElements || NumThreads() == 1 ? 1 : 4 * NumThreads();
  if (tasks <= 1) return fn(std::size_t{0}, n);
  std::vector<std::uint64_t> counts(tasks, 0);
  ParallelFor(tasks, [&](int t) {
    const Range r = BlockRange(static_cast<int>(n), tasks, t, kBlockAlign);
    counts[t] = fn(static_cast<std::size_t>(r.begin), static_cast<std::size_t>(r.end));
  });
  std::uint64_t total = 0;
  for (auto c : counts) total += c;
  return total;
}

void CheckSameLength(const char* where, std::size_t a, std::size_t b) {
  if (a != b) {
    throw std::invalid_argument(std::string(where) + ": buffers of " + std::to_string(a) + " and " +
                                std::to_string(b) + " elements; they must have the same length");
  }
}

}  // namespace

namespace detail {

std::uint64_t FixedAdamScalar(const FixedAdamConstants& c, std::int32_t* w, const std::int32_t* g,
                              std::int64_t* m, std::int64_t* rms, std::size_t n, std::size_t first) {
  constexpr int kQ = FixedAdamConstants::kQ;
  const std::int64_t one = std::int64_t{1} << kQ;
  const num::Quant rq = c.rounding;
  std::uint64_t sat = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t gi = g[i];
    // m ← β1·m + (1−β1)·g at Fm = Fg + m_shift fraction bits (128-bit products), rounded
    // toward zero whatever the datapath's mode, so that m decays to 0 once gradients stop
    // (nn/optim.h explains both choices).
    const int128 mix_m = static_cast<int128>(c.b1) * m[i] + static_cast<int128>(one - c.b1) * (int128{gi} << c.m_shift);
    m[i] = static_cast<std::int64_t>(num::HandleOverflow(num::RoundingShiftRight(mix_m, kQ, num::Quant::kTowardZero),
                                                         c.m_format, c.overflow, &sat));
    // r ← √(b2·r² + (1−b2)·g²): r² and g² at 2·Fr fraction bits (< 2^100 for r < 2^50),
    // the mix in 128 bits, back to 2·Fr bits (floor), then the exact floor square root.
    const std::uint64_t ar = static_cast<std::uint64_t>(std::min<std::int64_t>(std::max<std::int64_t>(rms[i], 0),
                                                                              std::int64_t{1} << 50));
    const uint128 r2 = static_cast<uint128>(ar) * ar;
    const uint128 g2 = static_cast<uint128>(static_cast<std::uint64_t>(gi * gi)) << c.g2_shift;
    const uint128 mix = (r2 * static_cast<std::uint64_t>(c.b2) + g2 * static_cast<std::uint64_t>(one - c.b2)) >> kQ;
    const std::uint64_t root = num::IntegerSqrt(mix);
    rms[i] = num::Saturate(static_cast<std::int64_t>(root), c.rms_format, &sat);
    // m̂ = m·c1, √v̂ = r·c2 (frac Fm and Fr after the Q30 products), ratio = m̂/(√v̂ + ε)
    // as an integer division at qfrac bits, Δ = lr·ratio rounded to the weight LSB.
    const int128 mhat = (static_cast<int128>(m[i]) * c.c1) >> kQ;
    const std::int64_t den = static_cast<std::int64_t>((static_cast<int128>(rms[i]) * c.c2) >> kQ) + c.eps;
    const int128 q = (mhat * (int128{1} << FixedAdamConstants::kRatioQ)) / den;
    // |m̂/√v̂| stays below ~3.2 in Adam; a clamp far above that keeps lr·ratio inside 64 bits.
    constexpr std::int64_t kRatioLimit = FixedAdamConstants::kRatioLimit;
    std::int64_t ratio;
    if (q > kRatioLimit || q < -kRatioLimit) {
      ratio = q > 0 ? kRatioLimit : -kRatioLimit;
      ++sat;
    } else {
      ratio = static_cast<std::int64_t>(q);
    }
    const std::uint64_t bits = rq == num::Quant::kStochastic ? num::CounterRandomBits(c.seed, first + i) : 0;
    const std::int64_t delta = c.step_shift > 0 ? num::RoundingShiftRight64(c.lr * ratio, c.step_shift, rq, bits)
                                                : (c.lr * ratio) * (std::int64_t{1} << -c.step_shift);
    w[i] = static_cast<std::int32_t>(
        num::HandleOverflow(static_cast<std::int64_t>(w[i]) - delta, c.weight_format, c.overflow, &sat));
  }
  return sat;
}

void FloatAdamScalar(const FloatAdamConstants& c, float* w, const float* g, float* m, float* v, std::size_t n) {
  const float b1 = c.b1, b2 = c.b2, nb1 = 1.0f - c.b1, nb2 = 1.0f - c.b2;
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = c.add_decay ? g[i] + c.decay * w[i] : g[i];
    m[i] = b1 * m[i] + nb1 * gi;
    v[i] = b2 * v[i] + nb2 * gi * gi;
    w[i] -= c.lr * (m[i] * c.c1) / (std::sqrt(v[i] * c.c2) + c.eps);
  }
}

}  // namespace detail

// ---- float Adam --------------------------------------------------------------------------
FloatAdamConstants MakeFloatAdamConstants(AdamBiasCorrection where, double lr, double beta1, double beta2,
                                          double eps, std::int64_t t) {
  const double td = static_cast<double>(t);
  FloatAdamConstants c;
  c.b1 = static_cast<float>(beta1);
  c.b2 = static_cast<float>(beta2);
  if (where == AdamBiasCorrection::kOnMoments) {
    c.c1 = static_cast<float>(1.0 / (1.0 - std::pow(beta1, td)));
    c.c2 = static_cast<float>(1.0 / (1.0 - std::pow(beta2, td)));
    c.lr = static_cast<float>(lr);
    c.eps = static_cast<float>(eps);
  } else {  // w ← w − η·√c2/c1 · m / (√v + ε·√c2) with c1 = 1 − β1^t, c2 = 1 − β2^t
    const double c1 = 1.0 - std::pow(beta1, td), c2 = 1.0 - std::pow(beta2, td);
    c.lr = static_cast<float>(lr * std::sqrt(c2) / c1);
    c.eps = static_cast<float>(eps * std::sqrt(c2));
  }
  return c;
}

void FloatAdamUpdateReference(const FloatAdamConstants& c, std::span<float> w, std::span<const float> g,
                              std::span<float> m, std::span<float> v) {
  CheckSameLength("kern::FloatAdamUpdate (w, g)", w.size(), g.size());
  CheckSameLength("kern::FloatAdamUpdate (w, m)", w.size(), m.size());
  CheckSameLength("kern::FloatAdamUpdate (w, v)", w.size(), v.size());
  detail::FloatAdamScalar(c, w.data(), g.data(), m.data(), v.data(), w.size());
}

void FloatAdamUpdate(const FloatAdamConstants& c, std::span<float> w, std::span<const float> g,
                     std::span<float> m, std::span<float> v) {
  const Path path = ActivePath();
  if (path == Path::kReference) return FloatAdamUpdateReference(c, w, g, m, v);
  CheckSameLength("kern::FloatAdamUpdate (w, g)", w.size(), g.size());
  CheckSameLength("kern::FloatAdamUpdate (w, m)", w.size(), m.size());
  CheckSameLength("kern::FloatAdamUpdate (w, v)", w.size(), v.size());
  const auto& k = detail::ElementwiseKernelsFor(path);
  ForBlocks(w.size(), [&](std::size_t b, std::size_t e) {
    k.float_adam(c, w.data() + b, g.data() + b, m.data() + b, v.data() + b, e - b);
    return std::uint64_t{0};
  });
}

// ---- Adam ------------------------------------------------------------------------------
std::uint64_t FixedAdamUpdateReference(const FixedAdamConstants& c, std::span<std::int32_t> w,
                                       std::span<const std::int32_t> g, std::span<std::int64_t> m,
                                       std::span<std::int64_t> rms) {
  CheckSameLength("kern::FixedAdamUpdate (w, g)", w.size(), g.size());
  CheckSameLength("kern::FixedAdamUpdate (w, m)", w.size(), m.size());
  CheckSameLength("kern::FixedAdamUpdate (w, rms)", w.size(), rms.size());
  return detail::FixedAdamScalar(c, w.data(), g.data(), m.data(), rms.data(), w.size());
}

std::uint64_t FixedAdamUpdate(const FixedAdamConstants& c, std::span<std::int32_t> w,
                              std::span<const std::int32_t> g, std::span<std::int64_t> m,
                              std::span<std::int64_t> rms) {
  const Path path = ActivePath();
  if (path == Path::kReference) return FixedAdamUpdateReference(c, w, g, m, rms);
  CheckSameLength("kern::FixedAdamUpdate (w, g)", w.size(), g.size());
  CheckSameLength("kern::FixedAdamUpdate (w, m)", w.size(), m.size());
  CheckSameLength("kern::FixedAdamUpdate (w, rms)", w.size(), rms.size());
  if (c.rounding == num::Quant::kStochastic)  // the reference, in the same blocks (counters are global)
    return ForBlocks(w.size(), [&](std::size_t b, std::size_t e) {
      return detail::FixedAdamScalar(c, w.data() + b, g.data() + b, m.data() + b, rms.data() + b, e - b, b);
    });
  const auto& k = detail::ElementwiseKernelsFor(path);
  return ForBlocks(w.size(), [&](std::size_t b, std::size_t e) {
    return k.fixed_adam(c, w.data() + b, g.data() + b, m.data() + b, rms.data() + b, e - b);
  });
}

// ---- max |x| ---------------------------------------------------------------------------
namespace {

template <typename T>
std::int64_t MaxAbsScalar(std::span<const T> x) {
  std::int64_t hi = 0, lo = 0;
  for (const T v : x) {
    hi = std::max<std::int64_t>(hi, v);
    lo = std::min<std::int64_t>(lo, v);
  }
  return std::max(hi, -lo);
}

}  // namespace

std::int64_t MaxAbsReference(std::span<const std::int32_t> x) { return MaxAbsScalar(x); }
std::int64_t MaxAbsReference(std::span<const std::int16_t> x) { return MaxAbsScalar(x); }

std::int64_t MaxAbs(std::span<const std::int32_t> x) {
  const Path path = ActivePath();
  if (path == Path::kReference || x.empty()) return MaxAbsReference(x);
  return detail::KernelsFor(path).max_abs_i32(x.data(), 1, x.size(), x.size());
}

std::int64_t MaxAbs(std::span<const std::int16_t> x) {
  const Path path = ActivePath();
  if (path == Path::kReference || x.empty()) return MaxAbsReference(x);
  return detail::KernelsFor(path).max_abs_i16(x.data(), 1, x.size(), x.size());
}

// ---- soft update -----------------------------------------------------------------------
namespace {
// Elements [b, e) of the soft update's definition.
void SoftUpdateRange(std::int64_t tau_q30, num::Quant q, const std::int32_t* src, std::int32_t* dst, std::size_t b,
                     std::size_t e, std::uint64_t seed) {
  const int128 one = int128{1} << 30;
  for (std::size_t i = b; i < e; ++i) {
    const std::uint64_t bits = q == num::Quant::kStochastic ? num::CounterRandomBits(seed, i) : 0;
    dst[i] = static_cast<std::int32_t>(
        num::RoundingShiftRight(tau_q30 * int128{src[i]} + (one - tau_q30) * int128{dst[i]}, 30, q, bits));
  }
}
}  // namespace

void SoftUpdateReference(std::int64_t tau_q30, num::Quant q, std::span<const std::int32_t> src,
                         std::span<std::int32_t> dst, std::uint64_t seed) {
  CheckSameLength("kern::SoftUpdate", src.size(), dst.size());
  SoftUpdateRange(tau_q30, q, src.data(), dst.data(), 0, dst.size(), seed);
}

void SoftUpdate(std::int64_t tau_q30, num::Quant q, std::span<const std::int32_t> src,
                std::span<std::int32_t> dst, std::uint64_t seed) {
  const Path path = ActivePath();
  // Outside 0 <= τ <= 2^30 the products may leave 64 bits: the reference's arithmetic.
  if (path == Path::kReference || tau_q30 < 0 || tau_q30 > (std::int64_t{1} << 30))
    return SoftUpdateReference(tau_q30, q, src, dst, seed);
  CheckSameLength("kern::SoftUpdate", src.size(), dst.size());
  if (q == num::Quant::kStochastic) {  // the reference, in the same blocks (counters are global)
    ForBlocks(dst.size(), [&](std::size_t b, std::size_t e) -> std::uint64_t {
      SoftUpdateRange(tau_q30, q, src.data(), dst.data(), b, e, seed);
      return 0;
    });
    return;
  }
  const auto& k = detail::ElementwiseKernelsFor(path);
  ForBlocks(dst.size(), [&](std::size_t b, std::size_t e) -> std::uint64_t {
    k.soft_update(tau_q30, q, src.data() + b, dst.data() + b, e - b);
    return 0;
  });
}

// ---- requantization --------------------------------------------------------------------
namespace {

// Elements [b, e) of the definition.
template <typename T>
std::uint64_t RequantizeRange(std::span<const std::int32_t> x, int from_frac, const num::Format& to, num::Quant q,
                              num::Overflow o, std::span<T> out, std::size_t b, std::size_t e, std::uint64_t seed) {
  std::uint64_t sat = 0;
  for (std::size_t i = b; i < e; ++i) {
    const std::uint64_t bits = q == num::Quant::kStochastic ? num::CounterRandomBits(seed, i) : 0;
    out[i] = static_cast<T>(num::Requantize(x[i], from_frac, to, q, o, bits, &sat));
  }
  return sat;
}

template <typename T>
std::uint64_t RequantizeRef(std::span<const std::int32_t> x, int from_frac, const num::Format& to, num::Quant q,
                            num::Overflow o, std::span<T> out, std::uint64_t seed) {
  CheckSameLength("kern::RequantizeBuffer", x.size(), out.size());
  return RequantizeRange(x, from_frac, to, q, o, out, 0, x.size(), seed);
}

template <typename T>
std::uint64_t RequantizeFast(std::span<const std::int32_t> x, int from_frac, const num::Format& to, num::Quant q,
                             num::Overflow o, std::span<T> out, std::uint64_t seed) {
  const int shift = from_frac - to.frac_bits;
  const Path path = ActivePath();
  // The SIMD kernels cover right shifts with saturation (the datapath's narrowing).
  if (path == Path::kReference || o != num::Overflow::kSaturate || shift < 1 || shift > 62 ||
      to.word_bits > static_cast<int>(8 * sizeof(T)))
    return RequantizeRef(x, from_frac, to, q, o, out, seed);
  CheckSameLength("kern::RequantizeBuffer", x.size(), out.size());
  if (q == num::Quant::kStochastic)  // the reference, in the same blocks (counters are global)
    return ForBlocks(x.size(), [&](std::size_t b, std::size_t e) {
      return RequantizeRange(x, from_frac, to, q, o, out, b, e, seed);
    });
  const auto& k = detail::ElementwiseKernelsFor(path);
  return ForBlocks(x.size(), [&](std::size_t b, std::size_t e) {
    if constexpr (sizeof(T) == 2) {
      return k.shift_saturate_i16(x.data() + b, shift, q, to.min_raw(), to.max_raw(), out.data() + b, e - b);
    } else {
      return k.shift_saturate_i32(x.data() + b, shift, q, to.min_raw(), to.max_raw(), out.data() + b, e - b);
    }
  });
}

}  // namespace

std::uint64_t RequantizeBufferReference(std::span<const std::int32_t> x, int from_frac, const num::Format& to,
                                        num::Quant q, num::Overflow o, std::span<std::int16_t> out, std::uint64_t seed) {
  return RequantizeRef(x, from_frac, to, q, o, out, seed);
}
std::uint64_t RequantizeBufferReference(std::span<const std::int32_t> x, int from_frac, const num::Format& to,
                                        num::Quant q, num::Overflow o, std::span<std::int32_t> out, std::uint64_t seed) {
  return RequantizeRef(x, from_frac, to, q, o, out, seed);
}
std::uint64_t RequantizeBuffer(std::span<const std::int32_t> x, int from_frac, const num::Format& to, num::Quant q,
                               num::Overflow o, std::span<std::int16_t> out, std::uint64_t seed) {
  return RequantizeFast(x, from_frac, to, q, o, out, seed);
}
std::uint64_t RequantizeBuffer(std::span<const std::int32_t> x, int from_frac, const num::Format& to, num::Quant q,
                               num::Overflow o, std::span<std::int32_t> out, std::uint64_t seed) {
  return RequantizeFast(x, from_frac, to, q, o, out, seed);
}

}  // namespace fixar::kern
