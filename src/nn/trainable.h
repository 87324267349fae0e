// The optimiser part of a network: its parameters take Adam steps (the Adam state lives
// with them) and follow another network of the same kind (target networks).
#pragma once

#include "nn/optim.h"

namespace fixar::nn {

class Network;

class Trainable {
 public:
  virtual ~Trainable() = default;
  // One Adam step from the gradients of the last Backward with param_grads.
  virtual void AdamStep(const AdamConfig& cfg) = 0;
  // this ← τ·online + (1 − τ)·this  (soft target update, Polyak averaging). `online` has
  // this network's precision and shape; throws std::invalid_argument otherwise.
  virtual void SoftUpdateFrom(const Network& online, double tau) = 0;
  // this ← other's parameters (same precision and shape, as for SoftUpdateFrom).
  virtual void CopyParametersFrom(const Network& other) = 0;
};

}  // namespace fixar::nn
