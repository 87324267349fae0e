#include "nn/td_loss.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "nn/layers.h"
#include "numerics/rounding.h"

namespace fixar::nn {
namespace {

// Element i of v as a raw integer of format f: as it is when v is fixed in f, otherwise
// rounded from its real value (exact for values on f's grid).
std::int64_t RawIn(TensorView v, std::size_t i, const num::Format& f, num::Quant q = num::Quant::kHalfEven,
                   num::Overflow o = num::Overflow::kSaturate) {
  if (v.is_fixed() && v.format() == f) return v.raw()[i];
  return num::FromDouble(v.value(i), f, q, o);
}

// v's values as doubles: v's own span when real, else converted into `scratch`.
std::span<const double> RealValues(TensorView v, std::vector<double>& scratch) {
  if (!v.is_fixed()) return v.real();
  scratch.resize(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) scratch[i] = v.value(i);
  return scratch;
}

}  // namespace

void TdTargets(const PrecisionPolicy& p, double gamma, std::span<const double> reward,
               std::span<const double> not_terminated, TensorView q_next, Tensor& y, std::uint64_t seed) {
  const std::size_t B = q_next.size();
  if (reward.size() < B || not_terminated.size() < B)
    throw std::invalid_argument(fmt::format("nn::TdTargets: {} targets from {} rewards, {} flags, {} values", B,
                                            reward.size(), not_terminated.size(), q_next.size()));
  if (p.is_float) {
    const std::span<double> out = y.MakeReal(B);
    for (std::size_t i = 0; i < B; ++i) out[i] = reward[i] + gamma * not_terminated[i] * q_next.value(i);
    return;
  }
  // Integers in the critic's activation format A: y = r + (γ·q' >> 30), γ in Q30.
  const num::Format& A = p.activation;
  const num::int128 gamma_q = std::llround(std::ldexp(gamma, 30));
  const std::span<std::int32_t> out = y.MakeFixed(A, B);
  for (std::size_t i = 0; i < B; ++i) {
    const auto bits = [&](std::uint64_t k) { return num::CounterRandomBits(seed, 2 * static_cast<std::uint64_t>(i) + k); };
    const std::int64_t r = num::FromDouble(reward[i], A, p.rounding, p.overflow, bits(0));
    const std::int64_t qn = RawIn(q_next, i, A, p.rounding, p.overflow);  // the critic's output: already in A
    const std::int64_t discounted =
        not_terminated[i] > 0 ? num::Requantize(gamma_q * qn, A.frac_bits + 30, A, p.rounding, p.overflow, bits(1))
                              : 0;
    out[i] = static_cast<std::int32_t>(num::HandleOverflow(static_cast<num::int128>(r) + discounted, A, p.overflow));
  }
}

double MseLossGradient(const PrecisionPolicy& p, TensorView q, TensorView y, Tensor& dq, std::uint64_t seed) {
  const std::size_t B = q.size();
  if (y.size() != B)
    throw std::invalid_argument(
        fmt::format("nn::MseLossGradient: {} values, {} targets, {} gradients; all must be equal", B, y.size(), B));
  if (p.is_float) {
    std::vector<double> q_scratch, y_scratch;
    return MseLoss<double>(RealValues(q, q_scratch), RealValues(y, y_scratch), dq.MakeReal(B));
  }
  double loss = 0;
  // diff = q − y exactly in A; dq = (diff · (2/B in Q30)) >> 30 into the gradient format.
  const num::Format& A = p.activation;
  const num::int128 scale_q = std::llround(std::ldexp(2.0 / static_cast<double>(B), 30));
  const std::span<std::int32_t> out = dq.MakeFixed(p.gradient, B);
  for (std::size_t i = 0; i < B; ++i) {
    const num::int128 diff = static_cast<num::int128>(RawIn(q, i, A)) - RawIn(y, i, A);
    const std::int64_t g = num::Requantize(diff * scale_q, A.frac_bits + 30, p.gradient, p.rounding, p.overflow,
                                           num::CounterRandomBits(seed, static_cast<std::uint64_t>(i)));
    const double d = num::ToDouble(static_cast<std::int64_t>(diff), A);
    loss += d * d;
    out[i] = static_cast<std::int32_t>(g);
  }
  return loss / static_cast<double>(B);
}

void TdTargets(const PrecisionPolicy& p, double gamma, std::span<const double> reward,
               std::span<const double> not_terminated, std::span<const double> q_next, std::span<double> y,
               std::uint64_t seed) {
  const std::size_t B = y.size();
  if (reward.size() < B || not_terminated.size() < B || q_next.size() < B)
    throw std::invalid_argument(fmt::format("nn::TdTargets: {} targets from {} rewards, {} flags, {} values", B,
                                            reward.size(), not_terminated.size(), q_next.size()));
  Tensor out;
  TdTargets(p, gamma, reward, not_terminated, TensorView::Real(q_next.first(B)), out, seed);
  out.CopyTo(y);
}

double MseLossGradient(const PrecisionPolicy& p, std::span<const double> q, std::span<const double> y,
                       std::span<double> dq, std::uint64_t seed) {
  if (y.size() != q.size() || dq.size() != q.size())
    throw std::invalid_argument(
        fmt::format("nn::MseLossGradient: {} values, {} targets, {} gradients; all must be equal", q.size(), y.size(),
                    dq.size()));
  Tensor out;
  const double loss = MseLossGradient(p, TensorView::Real(q), TensorView::Real(y), out, seed);
  out.CopyTo(dq);
  return loss;
}

}  // namespace fixar::nn
