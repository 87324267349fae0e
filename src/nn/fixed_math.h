// Fixed-point elementwise functions of the datapath: tanh and the conversions at the
// network boundary. Integer-only (the tanh table is built once from double).
#pragma once

#include <cstdint>
#include <span>

#include "nn/tensor.h"
#include "numerics/format.h"

namespace fixar::nn {

// tanh by table + linear interpolation: 2 048 entries of tanh(i/256) on [0, 8) in Q30;
// |x| >= 8 gives ±1. The input is aligned to 24 fraction bits (floor), the
// interpolation product rounds half-even. Measured worst error before the output
// rounding: < 2e-6 (see fixed_math_test.cpp); then rounded into `out` with `q`.
// random_bits: for q = kStochastic.
std::int64_t FixedTanh(std::int64_t x, const num::Format& in, const num::Format& out, num::Quant q,
                       std::uint64_t* saturations, std::uint64_t random_bits = 0);

// Boundary conversions, elementwise, counting saturations. With q = kStochastic element i
// rounds with num::CounterRandomBits(seed, first_index + i).
void QuantizeToFixed(std::span<const double> x, const num::Format& f, num::Quant q, num::Overflow o,
                     std::span<std::int32_t> out, std::uint64_t* saturations, std::uint64_t seed = 0,
                     std::uint64_t first_index = 0);
// x into format f: a fixed tensor already in f is copied as it is; any other value is
// rounded from its real value as QuantizeToFixed rounds (exact values stay exact).
void ConvertToFixed(TensorView x, const num::Format& f, num::Quant q, num::Overflow o, std::span<std::int32_t> out,
                    std::uint64_t* saturations, std::uint64_t seed = 0, std::uint64_t first_index = 0);

}  // namespace fixar::nn
