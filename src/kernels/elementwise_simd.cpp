// SIMD elementwise kernels (fixed-point and float Adam, soft update, narrowing), written once with Google
// Highway and compiled per x86 target like gemm_simd.cpp. Every lane computes exactly
// what the scalar reference (elementwise.cpp) computes:
//   * int32 values are widened to int64 lanes; products of two int32-ranged values use
//     MulEven (vpmuldq / vpmuludq: exact 64-bit products of the low 32 bits);
//   * the reference's 128-bit products are split at bit 30 of the Q30 constant, which
//     keeps every partial product below 2^62 (derivations at each step);
//   * floor √ and the truncating division use double estimates, then exact integer
//     correction steps, as num::IntegerSqrt does;
//   * a vector with a lane outside the ranges these proofs assume goes to the scalar
//     reference as a whole;
//   * float lanes run the reference's IEEE operations in its order; this file is compiled
//     with -ffp-contract=off (src/kernels/CMakeLists.txt), so no multiply-add is fused.

#include "kernels/detail/hwy_targets.h"  // first: the targets every dispatch table shares

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

#include "kernels/detail/elementwise_kernels.h"
#include "kernels/detail/path_table.h"
#include "kernels/detail/simd_kernels.h"
#include "numerics/rounding.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "kernels/elementwise_simd.cpp"
#include <hwy/foreach_target.h>  // IWYU pragma: keep
#include <hwy/highway.h>

HWY_BEFORE_NAMESPACE();
namespace fixar::kern::detail {
namespace HWY_NAMESPACE {

#if HWY_TARGET == HWY_SCALAR
ElementwiseKernels GetElementwiseKernels() { return ElementwiseKernels{}; }
#else

namespace hn = hwy::HWY_NAMESPACE;

using D64 = hn::ScalableTag<std::int64_t>;
using DU64 = hn::RebindToUnsigned<D64>;
using DF64 = hn::Rebind<double, D64>;
using D32H = hn::Rebind<std::int32_t, D64>;   // half-width int32 vector, one per int64 lane
using DU32H = hn::Rebind<std::uint32_t, D64>;
using D16Q = hn::Rebind<std::int16_t, D64>;
using DU16Q = hn::Rebind<std::uint16_t, D64>;
using D32 = hn::Repartition<std::int32_t, D64>;  // full int32 view of an int64 vector
using DU32 = hn::Repartition<std::uint32_t, D64>;
using V64 = hn::Vec<D64>;
using DF32 = hn::ScalableTag<float>;
using VF32 = hn::Vec<DF32>;
using M64 = hn::Mask<D64>;

HWY_INLINE V64 LoadI32(const std::int32_t* p) { return hn::PromoteTo(D64(), hn::LoadU(D32H(), p)); }

HWY_INLINE void StoreI32(V64 v, std::int32_t* p) {
  const auto low = hn::TruncateTo(DU32H(), hn::BitCast(DU64(), v));
  hn::StoreU(hn::BitCast(D32H(), low), D32H(), p);
}

HWY_INLINE void StoreI16(V64 v, std::int16_t* p) {
  const auto low = hn::TruncateTo(DU16Q(), hn::BitCast(DU64(), v));
  hn::StoreU(hn::BitCast(D16Q(), low), D16Q(), p);
}

// Exact a·b for lanes whose values fit int32 (signed): vpmuldq.
HWY_INLINE V64 MulI32(V64 a, V64 b) { return hn::MulEven(hn::BitCast(D32(), a), hn::BitCast(D32(), b)); }
// Exact a·b for lanes whose values fit uint32: vpmuludq.
HWY_INLINE V64 MulU32(V64 a, V64 b) {
  return hn::BitCast(D64(), hn::MulEven(hn::BitCast(DU32(), a), hn::BitCast(DU32(), b)));
}

// num::RoundingShiftRight64<Q>(x, shift), 1 <= shift <= 62, for the deterministic modes
// (kStochastic calls run the scalar reference: elementwise.cpp).
template <num::Quant Q>
HWY_INLINE V64 RoundingShiftRight(V64 x, int shift) {
  static_assert(Q != num::Quant::kStochastic, "stochastic rounding runs on the reference");
  const D64 d;
  const V64 floor_q = hn::ShiftRightSame(x, shift);
  if constexpr (Q == num::Quant::kFloor) {
    return floor_q;
  } else {
    const V64 mask = hn::Set(d, (std::int64_t{1} << shift) - 1);
    const V64 rem = hn::And(x, mask);
    M64 up;
    if constexpr (Q == num::Quant::kTowardZero) {
      up = hn::And(hn::Lt(x, hn::Zero(d)), hn::Ne(rem, hn::Zero(d)));
    } else if constexpr (Q == num::Quant::kHalfUp) {
      up = hn::Not(hn::Lt(rem, hn::Set(d, std::int64_t{1} << (shift - 1))));
    } else {  // kHalfEven
      const V64 half = hn::Set(d, std::int64_t{1} << (shift - 1));
      const M64 odd = hn::Ne(hn::And(floor_q, hn::Set(d, 1)), hn::Zero(d));
      up = hn::Or(hn::Gt(rem, half), hn::And(hn::Eq(rem, half), odd));
    }
    return hn::Sub(floor_q, hn::VecFromMask(d, up));  // mask lanes are -1
  }
}

// Clamp to [lo, hi], adding the clamped lanes to *sat.
HWY_INLINE V64 SaturateCount(V64 y, V64 lo, V64 hi, std::uint64_t* sat) {
  const V64 c = hn::Min(hn::Max(y, lo), hi);
  *sat += hn::CountTrue(D64(), hn::Ne(c, y));
  return c;
}

// ---- Adam ------------------------------------------------------------------------------
// The work of one Adam call runs in two passes over blocks of kAdamBlock elements: (1) the
// moments m and r, and m̂ and √v̂ + ε into a scratch block; (2) the division and the weight
// step. Each pass is a shorter chain of dependent instructions (the root and the division
// are the long ones) than the whole step, so more of its iterations overlap in the core;
// the values and their order of operations are the same.
constexpr std::size_t kAdamBlock = 256;

// The constants of a call as vectors.
struct AdamVectors {
  V64 b1, nb1, b2, nb2, c1h, c1l, c2h, c2l, v_mask30, lr, eps, m_lo, m_hi, r_lim, r_hi, w_lo, w_hi, glim, zero, one_v,
      limit;
  hn::Vec<DF64> big_quotient;
  explicit AdamVectors(const FixedAdamConstants& c, std::uint64_t g_limit) {
    const D64 d;
    constexpr int kQ = FixedAdamConstants::kQ;
    const std::int64_t mask30 = (std::int64_t{1} << kQ) - 1;
    b1 = hn::Set(d, c.b1), nb1 = hn::Set(d, (std::int64_t{1} << kQ) - c.b1);
    b2 = hn::Set(d, c.b2), nb2 = hn::Set(d, (std::int64_t{1} << kQ) - c.b2);
    c1h = hn::Set(d, c.c1 >> kQ), c1l = hn::Set(d, c.c1 & mask30);
    c2h = hn::Set(d, c.c2 >> kQ), c2l = hn::Set(d, c.c2 & mask30);
    v_mask30 = hn::Set(d, mask30);
    lr = hn::Set(d, c.lr), eps = hn::Set(d, c.eps);
    m_lo = hn::Set(d, c.m_format.min_raw()), m_hi = hn::Set(d, c.m_format.max_raw());
    r_lim = hn::Set(d, INT32_MAX);
    r_hi = hn::Set(d, std::min<std::int64_t>(c.rms_format.max_raw(), INT32_MAX));  // root < 2^31
    w_lo = hn::Set(d, c.weight_format.min_raw()), w_hi = hn::Set(d, c.weight_format.max_raw());
    glim = hn::Set(d, static_cast<std::int64_t>(g_limit)), zero = hn::Zero(d), one_v = hn::Set(d, 1);
    limit = hn::Set(d, FixedAdamConstants::kRatioLimit);
    big_quotient = hn::Set(DF64(), static_cast<double>(FixedAdamConstants::kRatioLimit) + 16.0);
  }
};

// Pass 1 on one vector of lanes: false (nothing written) when a lane is outside the ranges
// listed at FixedAdamT below; else m and rms updated, and m̂ and √v̂ + ε stored to mhat_out and den_out.
HWY_INLINE bool AdamMoments(const FixedAdamConstants& c, const AdamVectors& k, const std::int32_t* g, std::int64_t* m,
                            std::int64_t* rms, std::int64_t* mhat_out, std::int64_t* den_out, std::uint64_t* sat) {
  const D64 d;
  const DF64 df;
  constexpr int kQ = FixedAdamConstants::kQ;
  const V64 gi = LoadI32(g), ri = hn::LoadU(d, rms), mi = hn::LoadU(d, m);
  const V64 ag = hn::Abs(gi);
  const auto r_ok = hn::And(hn::Not(hn::Lt(ri, k.zero)), hn::Not(hn::Gt(ri, k.r_lim)));
  const auto m_ok = hn::Not(hn::Gt(hn::Abs(mi), k.r_lim));
  if (!hn::AllTrue(d, hn::And(hn::And(hn::Not(hn::Gt(ag, k.glim)), r_ok), m_ok))) return false;
  // m ← RSR(β1·m + (1−β1)·g·2^m_shift, 30) toward zero (see the reference): |m| and
  // |g|·2^m_shift < 2^31, so both products < 2^61 and |mn| < 2^31 (a convex mix).
  const V64 g_m = hn::ShiftLeftSame(gi, c.m_shift);
  const V64 mn = SaturateCount(
      RoundingShiftRight<num::Quant::kTowardZero>(hn::Add(MulI32(k.b1, mi), MulI32(k.nb1, g_m)), kQ), k.m_lo, k.m_hi,
      sat);
  // mix = floor((r²·β2 + g2·(1−β2)) / 2^30), r² = q·2^30 + s, g2 = u·2^30 + v:
  //     = q·β2 + u·(1−β2) + floor((s·β2 + v·(1−β2)) / 2^30); r², g2 < 2^62 so q, u < 2^32,
  // each product < 2^62 and mix <= max(r², g2) < 2^62 (a convex mix).
  const V64 r2 = MulU32(ri, ri);
  const V64 g2 = hn::ShiftLeftSame(MulU32(ag, ag), c.g2_shift);
  const V64 q = hn::ShiftRight<kQ>(r2), s = hn::And(r2, k.v_mask30);
  const V64 u = hn::ShiftRight<kQ>(g2), v = hn::And(g2, k.v_mask30);
  const V64 low = hn::ShiftRight<kQ>(hn::Add(MulU32(s, k.b2), MulU32(v, k.nb2)));
  const V64 mix = hn::Add(hn::Add(MulU32(q, k.b2), MulU32(u, k.nb2)), low);
  // floor(√mix): the double root is within 2^-21 of the true one (mix < 2^62), so one
  // step down and one step up make it exact; r0 <= 2^31, so (r0 + 1)² < 2^63.
  V64 root = hn::ConvertTo(d, hn::Sqrt(hn::ConvertTo(df, mix)));
  root = hn::IfThenElse(hn::Gt(MulU32(root, root), mix), hn::Sub(root, k.one_v), root);
  const V64 up1 = hn::Add(root, k.one_v);
  root = hn::IfThenElse(hn::Gt(MulU32(up1, up1), mix), root, up1);
  const V64 rn = SaturateCount(root, k.zero, k.r_hi, sat);  // root >= 0
  // m̂ = (m·c1) >> 30 = m·c1h + ((m·c1l) >> 30) with c1 = c1h·2^30 + c1l; same for √v̂.
  hn::StoreU(hn::Add(MulI32(mn, k.c1h), hn::ShiftRight<kQ>(MulI32(mn, k.c1l))), d, mhat_out);
  hn::StoreU(hn::Add(hn::Add(MulU32(rn, k.c2h), hn::ShiftRight<kQ>(MulU32(rn, k.c2l))), k.eps), d, den_out);
  hn::StoreU(mn, d, m);
  hn::StoreU(rn, d, rms);
  return true;
}

// Pass 2 on one vector: ratio = trunc(m̂·2^26 / den), clamped; w ← w − RSR(lr·ratio).
template <num::Quant Q>
HWY_INLINE void AdamWeights(const FixedAdamConstants& c, const AdamVectors& k, const std::int64_t* mhat_in,
                            const std::int64_t* den_in, std::int32_t* w, std::uint64_t* sat) {
  const D64 d;
  const DF64 df;
  const V64 mhat = hn::LoadU(d, mhat_in), den = hn::LoadU(d, den_in);
  // ratio = sign · floor(|m̂·2^26| / den); |m̂·2^26| < 2^62.
  const V64 num = hn::ShiftLeft<FixedAdamConstants::kRatioQ>(mhat);
  const V64 an = hn::Abs(num);
  const auto qd = hn::Div(hn::ConvertTo(df, an), hn::ConvertTo(df, den));
  // Quotients far above the clamp need no exact value (the reference clamps them too).
  const M64 clamp_far = hn::RebindMask(d, hn::Gt(qd, k.big_quotient));
  V64 q0 = hn::ConvertTo(d, hn::Min(qd, k.big_quotient));
  V64 rem = hn::Sub(an, hn::Mul(q0, den));  // exact where q0 is within 1 of the quotient
  const M64 neg_rem = hn::Lt(rem, k.zero);
  q0 = hn::IfThenElse(neg_rem, hn::Sub(q0, k.one_v), q0);
  rem = hn::IfThenElse(neg_rem, hn::Add(rem, den), rem);
  q0 = hn::IfThenElse(hn::Lt(rem, den), q0, hn::Add(q0, k.one_v));
  const M64 clamp = hn::Or(clamp_far, hn::Gt(q0, k.limit));
  *sat += hn::CountTrue(d, clamp);
  q0 = hn::IfThenElse(clamp, k.limit, q0);
  const V64 ratio = hn::IfThenElse(hn::Lt(num, k.zero), hn::Neg(q0), q0);
  // Δ = RSR(lr·ratio, step_shift): |lr·ratio| <= 2^29 · 2^33.
  const V64 delta = RoundingShiftRight<Q>(hn::Mul(k.lr, ratio), c.step_shift);
  StoreI32(SaturateCount(hn::Sub(LoadI32(w), delta), k.w_lo, k.w_hi, sat), w);
}

// Ranges (per vector; else the scalar reference):
//   |g| <= g_limit where g_limit² · 2^g2_shift < 2^62 and |g|·2^m_shift < 2^31,
//   0 <= rms < 2^31, |m| < 2^31 (m and rms are stored in 64 bits; larger values, of
//   gradients above ~2 in 32-bit formats, take the scalar loop).
// Per call (checked by the dispatcher below): overflow kSaturate, 0 <= b1, b2 <= 2^30,
// 0 < c1 < 2^35, 0 < c2 < 2^61, 0 < lr <= 2^29, 1 <= step_shift <= 62, 0 <= g2_shift <= 62,
// 0 <= m_shift <= 16, eps < 2^31.
template <num::Quant Q>
std::uint64_t FixedAdamT(const FixedAdamConstants& c, std::int32_t* w, const std::int32_t* g, std::int64_t* m,
                         std::int64_t* rms, std::size_t n, std::uint64_t g_limit) {
  const std::size_t L = hn::Lanes(D64());
  const AdamVectors k(c, g_limit);
  HWY_ALIGN std::int64_t mhat[kAdamBlock], den[kAdamBlock];
  bool simd[kAdamBlock];  // per vector of the block: pass 1 ran (else the reference did all)
  std::uint64_t sat = 0;
  const std::size_t full = n / L * L;
  for (std::size_t b = 0; b < full; b += kAdamBlock) {
    const std::size_t e = std::min(full, b + kAdamBlock);
    for (std::size_t i = b; i < e; i += L) {
      simd[(i - b) / L] = AdamMoments(c, k, g + i, m + i, rms + i, mhat + (i - b), den + (i - b), &sat);
      if (!simd[(i - b) / L]) sat += FixedAdamScalar(c, w + i, g + i, m + i, rms + i, L);
    }
    for (std::size_t i = b; i < e; i += L)
      if (simd[(i - b) / L]) AdamWeights<Q>(c, k, mhat + (i - b), den + (i - b), w + i, &sat);
  }
  if (full < n) sat += FixedAdamScalar(c, w + full, g + full, m + full, rms + full, n - full);
  return sat;
}

std::uint64_t FixedAdam(const FixedAdamConstants& c, std::int32_t* w, const std::int32_t* g, std::int64_t* m,
                        std::int64_t* rms, std::size_t n) {
  constexpr std::int64_t kOne = std::int64_t{1} << FixedAdamConstants::kQ;
  const bool in_range = c.overflow == num::Overflow::kSaturate && c.b1 >= 0 && c.b1 <= kOne && c.b2 >= 0 &&
                        c.b2 <= kOne && c.c1 > 0 && c.c1 < (std::int64_t{1} << 35) && c.c2 > 0 &&
                        c.c2 < (std::int64_t{1} << 61) && c.lr > 0 && c.lr <= (std::int64_t{1} << 29) &&
                        c.step_shift >= 1 && c.step_shift <= 62 && c.g2_shift >= 0 && c.g2_shift <= 62 &&
                        c.m_shift >= 0 && c.m_shift <= 16 &&
                        c.eps >= 1 && c.eps < (std::int64_t{1} << 31) &&
                        c.weight_format.max_raw() <= INT32_MAX && c.weight_format.min_raw() >= INT32_MIN;
  if (!in_range) return FixedAdamScalar(c, w, g, m, rms, n);
  // Largest |g| with g² · 2^g2_shift < 2^62 (the double estimate, corrected exactly).
  const std::uint64_t cap = ((std::uint64_t{1} << 62) - 1) >> c.g2_shift;
  std::uint64_t g_limit = static_cast<std::uint64_t>(std::sqrt(static_cast<double>(cap)));
  while (g_limit * g_limit > cap) --g_limit;
  while ((g_limit + 1) * (g_limit + 1) <= cap) ++g_limit;
  g_limit = std::min<std::uint64_t>(g_limit, static_cast<std::uint64_t>(INT32_MAX) >> c.m_shift);
  switch (c.rounding) {
    case num::Quant::kFloor: return FixedAdamT<num::Quant::kFloor>(c, w, g, m, rms, n, g_limit);
    case num::Quant::kTowardZero: return FixedAdamT<num::Quant::kTowardZero>(c, w, g, m, rms, n, g_limit);
    case num::Quant::kHalfUp: return FixedAdamT<num::Quant::kHalfUp>(c, w, g, m, rms, n, g_limit);
    case num::Quant::kHalfEven: return FixedAdamT<num::Quant::kHalfEven>(c, w, g, m, rms, n, g_limit);
    case num::Quant::kStochastic: break;  // not here: the driver runs the reference
  }
  return FixedAdamScalar(c, w, g, m, rms, n);
}

// ---- float Adam (the operations of FloatAdamScalar, lane by lane) ------------------------
void FloatAdam(const FloatAdamConstants& c, float* w, const float* g, float* m, float* v, std::size_t n) {
  const DF32 d;
  const std::size_t L = hn::Lanes(d);
  const VF32 b1 = hn::Set(d, c.b1), b2 = hn::Set(d, c.b2), nb1 = hn::Set(d, 1.0f - c.b1),
             nb2 = hn::Set(d, 1.0f - c.b2), c1 = hn::Set(d, c.c1), c2 = hn::Set(d, c.c2), lr = hn::Set(d, c.lr),
             eps = hn::Set(d, c.eps), decay = hn::Set(d, c.decay);
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const VF32 wi = hn::LoadU(d, w + i);
    VF32 gi = hn::LoadU(d, g + i);
    if (c.add_decay) gi = hn::Add(gi, hn::Mul(decay, wi));
    const VF32 mi = hn::Add(hn::Mul(b1, hn::LoadU(d, m + i)), hn::Mul(nb1, gi));
    const VF32 vi = hn::Add(hn::Mul(b2, hn::LoadU(d, v + i)), hn::Mul(hn::Mul(nb2, gi), gi));
    hn::StoreU(mi, d, m + i);
    hn::StoreU(vi, d, v + i);
    const VF32 step = hn::Div(hn::Mul(lr, hn::Mul(mi, c1)), hn::Add(hn::Sqrt(hn::Mul(vi, c2)), eps));
    hn::StoreU(hn::Sub(wi, step), d, w + i);
  }
  if (i < n) FloatAdamScalar(c, w + i, g + i, m + i, v + i, n - i);
}

// ---- soft update -----------------------------------------------------------------------
// τ·src + (2^30 − τ)·dst with 0 <= τ <= 2^30: int32 × (<= 2^30) products, sum < 2^62.
template <num::Quant Q>
void SoftUpdateT(std::int64_t tau, const std::int32_t* src, std::int32_t* dst, std::size_t n) {
  const D64 d;
  const std::size_t L = hn::Lanes(d);
  const V64 t = hn::Set(d, tau), nt = hn::Set(d, (std::int64_t{1} << 30) - tau);
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const V64 x = hn::Add(MulI32(t, LoadI32(src + i)), MulI32(nt, LoadI32(dst + i)));
    StoreI32(RoundingShiftRight<Q>(x, 30), dst + i);
  }
  const std::int64_t one = std::int64_t{1} << 30;
  for (; i < n; ++i)
    dst[i] = static_cast<std::int32_t>(num::RoundingShiftRight64<Q>(tau * src[i] + (one - tau) * dst[i], 30));
}

void SoftUpdate(std::int64_t tau, num::Quant q, const std::int32_t* src, std::int32_t* dst, std::size_t n) {
  switch (q) {
    case num::Quant::kFloor: return SoftUpdateT<num::Quant::kFloor>(tau, src, dst, n);
    case num::Quant::kTowardZero: return SoftUpdateT<num::Quant::kTowardZero>(tau, src, dst, n);
    case num::Quant::kHalfUp: return SoftUpdateT<num::Quant::kHalfUp>(tau, src, dst, n);
    case num::Quant::kHalfEven: return SoftUpdateT<num::Quant::kHalfEven>(tau, src, dst, n);
    case num::Quant::kStochastic: throw std::logic_error("SIMD soft update called with stochastic rounding");
  }
}

// ---- narrowing: RSR(x, shift) then clamp to [lo, hi] -------------------------------------
template <num::Quant Q, typename T>
std::uint64_t ShiftSaturateT(const std::int32_t* x, int shift, std::int64_t lo, std::int64_t hi, T* out,
                             std::size_t n) {
  const D64 d;
  const std::size_t L = hn::Lanes(d);
  const V64 vlo = hn::Set(d, lo), vhi = hn::Set(d, hi);
  std::uint64_t sat = 0;
  std::size_t i = 0;
  for (; i + L <= n; i += L) {
    const V64 y = SaturateCount(RoundingShiftRight<Q>(LoadI32(x + i), shift), vlo, vhi, &sat);
    if constexpr (sizeof(T) == 2) {
      StoreI16(y, out + i);
    } else {
      StoreI32(y, out + i);
    }
  }
  for (; i < n; ++i) {
    const std::int64_t y = num::RoundingShiftRight64<Q>(x[i], shift);
    const std::int64_t c = y < lo ? lo : (y > hi ? hi : y);
    sat += static_cast<std::uint64_t>(c != y);
    out[i] = static_cast<T>(c);
  }
  return sat;
}

template <typename T>
std::uint64_t ShiftSaturate(const std::int32_t* x, int shift, num::Quant q, std::int64_t lo, std::int64_t hi,
                            T* out, std::size_t n) {
  switch (q) {
    case num::Quant::kFloor: return ShiftSaturateT<num::Quant::kFloor>(x, shift, lo, hi, out, n);
    case num::Quant::kTowardZero: return ShiftSaturateT<num::Quant::kTowardZero>(x, shift, lo, hi, out, n);
    case num::Quant::kHalfUp: return ShiftSaturateT<num::Quant::kHalfUp>(x, shift, lo, hi, out, n);
    case num::Quant::kHalfEven: return ShiftSaturateT<num::Quant::kHalfEven>(x, shift, lo, hi, out, n);
    case num::Quant::kStochastic: throw std::logic_error("SIMD requantization called with stochastic rounding");
  }
  return 0;
}
std::uint64_t ShiftSaturateI16(const std::int32_t* x, int shift, num::Quant q, std::int64_t lo, std::int64_t hi,
                               std::int16_t* out, std::size_t n) {
  return ShiftSaturate(x, shift, q, lo, hi, out, n);
}
std::uint64_t ShiftSaturateI32(const std::int32_t* x, int shift, num::Quant q, std::int64_t lo, std::int64_t hi,
                               std::int32_t* out, std::size_t n) {
  return ShiftSaturate(x, shift, q, lo, hi, out, n);
}

ElementwiseKernels GetElementwiseKernels() {
  ElementwiseKernels k;
  k.fixed_adam = &FixedAdam;
  k.float_adam = &FloatAdam;
  k.soft_update = &SoftUpdate;
  k.shift_saturate_i16 = &ShiftSaturateI16;
  k.shift_saturate_i32 = &ShiftSaturateI32;
  return k;
}
#endif  // HWY_TARGET == HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace fixar::kern::detail
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace fixar::kern::detail {

HWY_EXPORT(GetElementwiseKernels);

const ElementwiseKernels& ElementwiseKernelsFor(Path p) {
  static const PathTable<ElementwiseKernels> table(HWY_DISPATCH_TABLE(GetElementwiseKernels), "ElementwiseKernelsFor");
  return table.For(p);
}

}  // namespace fixar::kern::detail
#endif  // HWY_ONCE
