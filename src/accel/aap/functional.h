// Functional (bit-exact) mode of the AAP accelerator: runs the real fixed-point
// arithmetic in PE-array order and produces exactly what kern::GemmReference produces
// for the same operands and output stage (as long as no partial sum exceeds the
// configured accumulator width, which is counted, never silent).
//
// Order of operations, as the hardware does it:
//   * kNT (forward Y = X Wᵀ) and kNN (input grad dX = dY W): W is the PE-held operand,
//     the rows of A (X or dY) are the streamed vectors. Per tile step, PE (r, c)
//     multiplies W[out c][in r] by the broadcast element r; column c's adder chain sums
//     the rows; the column accumulator adds the chain sums over the reduction tiles.
//     One vector (M = 1): reduction tiles interleaved across cores (core k takes tiles
//     k, k + cores, ...), then the cross-core adder tree (pairwise). More vectors: vector
//     m runs on core (m / lanes) % cores, whole reductions per core (intra-batch).
//   * kTN (weight grad dW = dYᵀ X): per sample, the outer product dY xᵀ tile by tile
//     (PE column = output neuron holding dY_i, PE row = input j with x_j streamed);
//     samples are spread over cores, the cores' tiles summed by the adder tree, then
//     accumulated in the gradient memory.
//   * 32-bit streamed operands (32-bit mode): each product is w × hi16(a) shifted left by
//     16 plus w × lo16(a) (lo16 unsigned, hi16 signed) — the PE's two 32×16 multipliers.
//     16-bit streamed operands: one 32×16 multiplier per lane.
//   * Then the output stage: + bias (accumulator scale), num::Requantize (shift, rounding,
//     overflow; stochastic bits = CounterRandomBits(seed, i·N + j)), ReLU.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "accel/aap/config.h"
#include "kernels/gemm.h"

namespace fixar::aap {

struct FunctionalStats {
  std::uint64_t macs = 0;
  std::uint64_t tile_steps = 0;           // compute cycles: max over cores of tiles processed
  std::uint64_t multiplier_products = 0;  // 32×16 products (two per 32-bit MAC)
  std::uint64_t cross_core_additions = 0;
  std::uint64_t accumulator_wraps = 0;  // sums that exceeded accumulator_bits and wrapped
  std::uint64_t saturations = 0;        // output-stage clamps/wraps (as kern::Stats)
  void operator+=(const FunctionalStats& o);
};

// Instantiated for (TA, TB) in {int16, int32}² and TC in {int16, int32}, like kern::Gemm.
// Throws std::invalid_argument naming the bad argument (sizes, strides, null pointers).
template <typename TA, typename TB, typename TC>
FunctionalStats RunGemmOnArray(const AccelConfig& cfg, const kern::GemmArgs<TA, TB, TC>& args,
                               const kern::OutputStage& stage);

// ---- Seam for whole-update comparisons: a sequence of layer ops over named tensors. ----

// A row-major matrix of raw fixed-point values; `bits` = 16 stores values that fit int16
// (they stream through the 16-bit lanes), 32 otherwise.
struct Matrix {
  int rows = 0, cols = 0, bits = 32;
  std::vector<std::int32_t> data;
};

struct ArrayOp {
  std::string label;  // names the op in errors
  kern::Layout layout = kern::Layout::kNT;
  std::string a, b, c;      // tensor names; c is created or overwritten
  kern::OutputStage stage;  // stage.bias is ignored: use `bias`
  std::string bias;         // optional name in the bias map (accumulator scale)
};

// Runs the ops in order (each one may read what earlier ones wrote). Returns per-op stats.
std::vector<FunctionalStats> RunArrayProgram(
    const AccelConfig& cfg, const std::vector<ArrayOp>& ops, std::map<std::string, Matrix>& tensors,
    const std::map<std::string, std::vector<std::int64_t>>& biases = {});

}  // namespace fixar::aap
