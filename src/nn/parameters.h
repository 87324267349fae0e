// The parameter I/O part of a network: parameters and gradients as doubles (exact for
// fixed point), and the full state for checkpoints.
#pragma once

#include <span>
#include <vector>

#include "util/binary_io.h"

namespace fixar::nn {

class ParameterStore {
 public:
  virtual ~ParameterStore() = default;
  // Parameters as double (exact for fixed point), layer by layer: W (out×in) then b.
  virtual std::vector<double> ParametersAsDouble() const = 0;
  // Sets every parameter from values in ParametersAsDouble's order (rounded to the weight
  // format in fixed point: exact for values it produced). Throws std::invalid_argument
  // naming the network when the count differs. Optimizer state and ranges are kept.
  virtual void SetParametersFromDouble(std::span<const double> p) = 0;
  // The gradients of the last Backward with param_grads, in ParametersAsDouble's order.
  virtual std::vector<double> GradientsAsDouble() const = 0;
  // Full state (parameters, optimizer, ranges, QAT phase) for checkpoints.
  virtual void Save(util::ByteWriter& w) const = 0;
  virtual void Load(util::ByteReader& r) = 0;
};

}  // namespace fixar::nn
