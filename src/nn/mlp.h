// Multi-layer perceptrons in float or fixed point: the actor and the critic.
//
// One class per precision (float_mlp.cpp, fixed_mlp.cpp), chosen by the PrecisionPolicy,
// each implementing four small interfaces; callers depend on the part they use:
//   Network         shape, Forward, Backward on typed tensors  (nn/network.h)
//   Trainable       Adam step, soft update and copy from another network  (nn/trainable.h)
//   QatControl      the QAT switch, layer statistics  (nn/qat.h)
//   ParameterStore  parameters/gradients as doubles, checkpoint Save/Load  (nn/parameters.h)
// An Mlp is all four: what the owners of networks (rl's agents) hold.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "nn/network.h"
#include "nn/parameters.h"
#include "nn/qat.h"
#include "nn/trainable.h"

namespace fixar::nn {

class Mlp : public Network, public Trainable, public QatControl, public ParameterStore {
 public:
  static std::unique_ptr<Mlp> Create(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed);

 protected:
  Mlp(MlpSpec spec, PrecisionPolicy policy) : Network(std::move(spec), std::move(policy)) {}
  // Initial weights in double, the same for every precision with the same seed.
  std::vector<std::vector<double>> InitialWeights(std::uint64_t seed, std::vector<std::vector<double>>* biases) const;
  kern::Split SplitFor(int batch) const;
  void CheckParameterCount(std::size_t n) const;  // throws unless n == num_parameters()
};

// to's parameters from `from` (same architecture, any precision): the same representation
// (both float, or fixed point with one weight format) copies, the gradient formats reached
// included (Trainable::CopyParametersFrom); otherwise through ParametersAsDouble, rounded to
// to's weight format. Optimizer state and QAT phase are not copied.
void CopyParametersAcrossPrecisions(Mlp& to, const Mlp& from);

}  // namespace fixar::nn
