// Matrix products for training and inference, integer and float, with an output stage.
//
// Three layouts cover a linear layer's forward and backward passes (row-major, strided):
//   kNT  C[M×N] = A[M×K] · B[N×K]ᵀ    forward      Y  = X  · Wᵀ
//   kNN  C[M×N] = A[M×K] · B[K×N]     input grad   dX = dY · W
//   kTN  C[M×N] = A[K×M]ᵀ · B[K×N]    weight grad  dW = dYᵀ · X
//
// Integer semantics: every product is accumulated EXACTLY (the mathematical sum of the
// integer products). A fast path uses narrow accumulators (int32 for int16×int16, int64
// for 32-bit operands) only when a bound computed before the call proves they cannot
// overflow; otherwise it accumulates wider and counts the call in Stats::widened_calls.
// Then the output stage: + bias (accumulator scale), requantize with
// numerics::Requantize (shift, rounding, overflow; saturations/wraps counted), ReLU.
// All integer paths are bit-identical to the scalar reference for any thread count.
//
// Float semantics: float32 products summed in float32 over k; the summation order may
// differ between paths (results agree to rounding), but is fixed for a given path and
// thread count: the same inputs give the same bits.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "numerics/format.h"

namespace fixar::kern {

enum class Layout : std::uint8_t { kNT, kNN, kTN };
const char* to_string(Layout l);  // "kNT", "kNN", "kTN"

// Kernel paths, as in ruy: a scalar reference plus one path per SIMD instruction set
// (Google Highway targets). The best supported path is chosen at run time; the
// environment variable FIXAR_KERNEL_PATH (reference, sse4, avx2, avx512, avx512_vnni)
// or ForcePath() overrides it.
enum class Path : std::uint8_t { kReference, kSse4, kAvx2, kAvx512, kAvx512Vnni };

const char* to_string(Path p);
Path parse_path(const std::string& name);  // throws std::invalid_argument listing valid names
std::vector<Path> AvailablePaths();        // reference first, then what this CPU supports
Path ActivePath();
// Process-wide (an atomic read once per call; calls already running keep their path).
// Throws std::invalid_argument naming the path and the available ones if this CPU or
// build lacks it. A bad FIXAR_KERNEL_PATH throws the same way at the first ActivePath().
void ForcePath(Path p);

// How the work of one call is divided among threads (see kernels/parallel.h).
enum class Split : std::uint8_t {
  kAuto,  // rows when M >= threads * 4, else columns
  kRows,  // blocks of rows of C (the batch, for kNT / kNN)
  kCols,  // blocks of columns of C (output neurons)
};

// Output stage applied to each exact accumulator value acc(i, j).
struct OutputStage {
  int acc_frac_bits = 0;                  // fraction bits of the accumulator (frac_A + frac_B)
  num::Format out = num::Signed(32, 16);  // result format (word_bits <= bits of the C type)
  num::Quant quant = num::Quant::kHalfEven;
  num::Overflow overflow = num::Overflow::kSaturate;
  std::uint64_t seed = 0;                 // kStochastic: random bits = CounterRandomBits(seed, i*N + j)
  const std::int64_t* bias = nullptr;     // length N, in accumulator scale; added before requantizing
  bool relu = false;                      // max(0, ·) after requantizing
};

// Float output stage: + bias (length N), then ReLU.
struct FloatStage {
  const float* bias = nullptr;
  bool relu = false;
};

struct Stats {
  std::uint64_t saturations = 0;    // output values clamped or wrapped by the output stage
  std::uint64_t widened_calls = 0;  // calls whose bound forced the wide accumulator
  void operator+=(const Stats& o) {
    saturations += o.saturations;
    widened_calls += o.widened_calls;
  }
};

class WeightPieces;  // kernels/weight_pieces.h

// A[.,.] and B[.,.] as given by the layout; lda/ldb/ldc are row strides in elements.
template <typename TA, typename TB, typename TC>
struct GemmArgs {
  Layout layout = Layout::kNT;
  int M = 0, N = 0, K = 0;
  const TA* A = nullptr;
  int lda = 0;
  const TB* B = nullptr;
  int ldb = 0;
  TC* C = nullptr;
  int ldc = 0;
  Split split = Split::kAuto;
  // Known bounds on max |A| and max |B| (e.g. weights, bounded once per update by their
  // owner), or -1: scanned here, O(MK + NK) per call. A bound below the true maximum can
  // overflow the accumulators the path is chosen for; the exact maximum gives the path (and,
  // as every path is exact, the result) of the scan.
  std::int64_t a_max_abs = -1, b_max_abs = -1;
  // B once more as int16 pieces, split by its owner once per version of B (weights, per
  // update), or null. Must hold exactly B's values (rows x cols of B as stored); the fast
  // paths multiply these pieces instead of splitting B per call. Results do not change.
  const WeightPieces* b_pieces = nullptr;
};

// Widening as implemented: int16 × int16 whose bound exceeds int32 sums in int32 chunks
// of k (each provably in range) added in int64; if the chunks would be very short (both
// operands near ±32768) the larger operand is split into two int16 pieces (gemm.cpp,
// "sums of int16 pieces") or, for batch-1 forwards, int64 dot products are used (int16
// dot products on the pieces of B where GemmArgs::b_pieces caches them). 32-bit
// operands whose sum fits int64 run as int16 piece products (FIXAR's 32 × 16 as 16-bit
// halves) when at most four are needed, else on the int64 kernel; beyond int64 they sum
// in int64 chunks added in int128. Each call beyond the narrow accumulator counts one
// widened_calls. The bound is K · max|A| · max|B|, with max|A| and max|B| scanned per call
// (O(MK + NK)) unless GemmArgs gives them.
//
// Integer products. Instantiated for (TA, TB) in {int16,int32}² and TC in {int16, int32}:
//   int16 × int16 -> int32 accumulate   (w16a16, and 8-bit values stored in int16)
//   int32 × int16 / int16 × int32 -> int64 accumulate   (FIXAR's PE: 32-bit weight × 16-bit activation)
//   int32 × int32 -> int64 accumulate   (FIXAR's 32-bit mode)
template <typename TA, typename TB, typename TC>
Stats Gemm(const GemmArgs<TA, TB, TC>& args, const OutputStage& stage);

// X(TA, TB, TC) for each of the eight integer type triples above: the one list that
// instantiations and per-type overloads (here and in accel/aap) are spelled from.
#define FIXAR_FOR_EACH_INTEGER_GEMM(X)         \
  X(std::int16_t, std::int16_t, std::int16_t)  \
  X(std::int16_t, std::int16_t, std::int32_t)  \
  X(std::int16_t, std::int32_t, std::int16_t)  \
  X(std::int16_t, std::int32_t, std::int32_t)  \
  X(std::int32_t, std::int16_t, std::int16_t)  \
  X(std::int32_t, std::int16_t, std::int32_t)  \
  X(std::int32_t, std::int32_t, std::int16_t)  \
  X(std::int32_t, std::int32_t, std::int32_t)

// A replacement executor for the integer products: the accelerator model's functional
// mode (accel/aap/functional.h) installs one to show that a whole training step computes
// the same bits on the modelled PE array. Process-wide; nullptr restores the kernels.
// Do not swap it while products are running.
class IntegerGemmEngine {
 public:
  virtual ~IntegerGemmEngine() = default;
#define FIXAR_ENGINE_RUN(TA, TB, TC) virtual Stats Run(const GemmArgs<TA, TB, TC>& a, const OutputStage& s) = 0;
  FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_ENGINE_RUN)
#undef FIXAR_ENGINE_RUN
};
void SetIntegerGemmEngine(IntegerGemmEngine* engine);
IntegerGemmEngine* CurrentIntegerGemmEngine();

// Float products (TA = TB = TC = float).
void GemmF32(const GemmArgs<float, float, float>& args, const FloatStage& stage = {});

// The scalar references, callable directly whatever path is active (tests use them).
template <typename TA, typename TB, typename TC>
Stats GemmReference(const GemmArgs<TA, TB, TC>& args, const OutputStage& stage);
void GemmF32Reference(const GemmArgs<float, float, float>& args, const FloatStage& stage = {});

}  // namespace fixar::kern
