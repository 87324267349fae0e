#include "nn/td_loss.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "nn/layers.h"
#include "numerics/rounding.h"

namespace fixar::nn {

void TdTargets(const PrecisionPolicy& p, double gamma, std::span<const double> reward,
               std::span<const double> not_terminated, std::span<const double> q_next, std::span<double> y,
               std::uint64_t seed) {
  const std::size_t B = y.size();
  if (reward.size() < B || not_terminated.size() < B || q_next.size() < B)
    throw std::invalid_argument(fmt::format("nn::TdTargets: {} targets from {} rewards, {} flags, {} values", B,
                                            reward.size(), not_terminated.size(), q_next.size()));
  if (p.is_float) {
    for (std::size_t i = 0; i < B; ++i) y[i] = reward[i] + gamma * not_terminated[i] * q_next[i];
    return;
  }
  // Integers in the critic's activation format A: y = r + (γ·q' >> 30), γ in Q30.
  const num::Format& A = p.activation;
  const num::int128 gamma_q = std::llround(std::ldexp(gamma, 30));
  for (std::size_t i = 0; i < B; ++i) {
    const auto bits = [&](std::uint64_t k) { return num::CounterRandomBits(seed, 2 * static_cast<std::uint64_t>(i) + k); };
    const std::int64_t r = num::FromDouble(reward[i], A, p.rounding, p.overflow, bits(0));
    const std::int64_t qn = num::FromDouble(q_next[i], A, p.rounding, p.overflow);  // exact: already in A
    const std::int64_t discounted =
        not_terminated[i] > 0 ? num::Requantize(gamma_q * qn, A.frac_bits + 30, A, p.rounding, p.overflow, bits(1))
                              : 0;
    y[i] = num::ToDouble(num::HandleOverflow(static_cast<num::int128>(r) + discounted, A, p.overflow), A);
  }
}

double MseLossGradient(const PrecisionPolicy& p, std::span<const double> q, std::span<const double> y,
                       std::span<double> dq, std::uint64_t seed) {
  const std::size_t B = q.size();
  if (y.size() != B || dq.size() != B)
    throw std::invalid_argument(
        fmt::format("nn::MseLossGradient: {} values, {} targets, {} gradients; all must be equal", B, y.size(),
                    dq.size()));
  if (p.is_float) return MseLoss<double>(q, y, dq);
  double loss = 0;
  // diff = q − y exactly in A; dq = (diff · (2/B in Q30)) >> 30 into the gradient format.
  const num::Format& A = p.activation;
  const num::int128 scale_q = std::llround(std::ldexp(2.0 / static_cast<double>(B), 30));
  for (std::size_t i = 0; i < B; ++i) {
    const num::int128 diff = static_cast<num::int128>(num::FromDouble(q[i], A)) - num::FromDouble(y[i], A);
    const std::int64_t g = num::Requantize(diff * scale_q, A.frac_bits + 30, p.gradient, p.rounding, p.overflow,
                                           num::CounterRandomBits(seed, static_cast<std::uint64_t>(i)));
    const double d = num::ToDouble(static_cast<std::int64_t>(diff), A);
    loss += d * d;
    dq[i] = num::ToDouble(g, p.gradient);
  }
  return loss / static_cast<double>(B);
}

}  // namespace fixar::nn
