// The critic's loss maths of DDPG-style agents (rl::Ddpg, rl::Td3), in the precision of
// the critic's policy, so that rl calls one function whatever the precision:
//   TD target  y = r + γ (1 − d) q'            (d: terminated; q' the target's value)
//   MSE        L = (1/B) Σ (q − y)²,  ∂L/∂q = 2 (q − y) / B
// Float policies compute in double. Fixed-point policies compute in integers in the
// critic's formats, so the whole update is bit-accurate:
//   y   = r + RSR(γ·q', 30) in the activation format A: γ in Q30, r rounded into A
//         (random bits CounterRandomBits(seed, 2i)), q' already on A's grid, γ·q' rounded
//         with bits CounterRandomBits(seed, 2i + 1); terminal rows add nothing;
//   dq  = RSR((q − y)·(2/B in Q30), 30) into the gradient format (bits CounterRandomBits(seed, i));
//   L   from the exact q − y in A.
// Values are typed tensors (nn/tensor.h): for fixed point q and q' are the critic's raw
// outputs in A, y comes out raw in A and dq raw in the gradient format (the critic's
// Backward takes it from there); for float, real values in double.
#pragma once

#include <cstdint>
#include <span>

#include "nn/precision.h"
#include "nn/tensor.h"

namespace fixar::nn {

// y = r + γ (1 − d) q' for the q_next.size() rows; reward and not_terminated (1 or 0)
// hold at least as many. Throws std::invalid_argument when they do not.
void TdTargets(const PrecisionPolicy& critic, double gamma, std::span<const double> reward,
               std::span<const double> not_terminated, TensorView q_next, Tensor& y, std::uint64_t seed);
// dq = ∂L/∂q (q, y of one length B); returns L. Throws std::invalid_argument for lengths
// that differ.
double MseLossGradient(const PrecisionPolicy& critic, TensorView q, TensorView y, Tensor& dq, std::uint64_t seed);

// The same on doubles (on the formats' grids in fixed point, exact).
// y[i] for i < y.size(); reward, not_terminated (1 or 0) and q_next hold at least as many.
void TdTargets(const PrecisionPolicy& critic, double gamma, std::span<const double> reward,
               std::span<const double> not_terminated, std::span<const double> q_next, std::span<double> y,
               std::uint64_t seed);
// dq = ∂L/∂q into dq (q, y and dq of one length B); returns L. Throws std::invalid_argument
// for lengths that differ.
double MseLossGradient(const PrecisionPolicy& critic, std::span<const double> q, std::span<const double> y,
                       std::span<double> dq, std::uint64_t seed);

}  // namespace fixar::nn
