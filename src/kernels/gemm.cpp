// Public entry points of the matrix products: argument checks, path choice, the
// accumulator bound, packing of B' into panels, the split over threads, and the output
// stage. The arithmetic inner loops live in gemm_simd.cpp; the semantics are defined by
// gemm_reference.cpp, which every path here must match bit for bit (integers).
//
// Every layout is computed as C = A' · B'ᵀ (see detail/operands.h):
//   B' is packed per call into panels of NR columns (O(N·K) work against O(M·N·K));
//   A' is read in place for kNT / kNN and transposed into scratch for kTN.
// Batch-1 forward products (kNT, M <= kGemvMaxRows) skip the packing: a matrix-vector
// kernel reads the weight rows directly, or their int16 pieces cached by the weights' owner
// (GemmArgs::b_pieces, kernels/weight_pieces.h) with int16 dot products (vpdpwssd).
//
// Accumulator bound: with |A'| <= a_max and |B'| <= b_max, any partial sum of k products
// is at most k·a_max·b_max. int16 products sum in int32 when K·a_max·b_max < 2^31;
// otherwise the k range is cut into chunks that each fit int32 and the chunk sums are
// added in int64 (Stats::widened_calls). 32-bit operands sum in int64 under the same
// rule, with chunk sums added in int128. Where the int64 bound holds, 32-bit operands are
// split into int16 pieces (detail/pieces.h) and multiplied on the int16 tile (RunPieces,
// below) or, for a batch-1 forward on cached pieces, the int16 GEMV (RunGemvPieces).
#include "kernels/gemm.h"

#include <atomic>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <vector>

#include "kernels/detail/operands.h"
#include "kernels/detail/output_stage.h"
#include "kernels/detail/pieces.h"
#include "kernels/detail/simd_kernels.h"
#include "kernels/detail/split_pieces.h"
#include "kernels/parallel.h"
#include "kernels/weight_pieces.h"
#include "numerics/rounding.h"
#include "util/int_math.h"

namespace fixar::kern {
namespace {

using detail::FinishContext;
using detail::SimdKernels;

constexpr int kGemvMaxRows = 4;  // kNT with M <= this uses the matrix-vector kernel
// Tasks per thread of a parallel phase. The tasks are claimed dynamically, so when one
// thread is preempted (the 2 cores are shared) the other takes over its remaining tasks
// instead of waiting for it; each task's work is fixed, so results do not change.
constexpr int kTasksPerThread = 4;

// Grow-only, 64-byte aligned scratch. One per thread (thread_local), reused across calls.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch() { Release(); }
  template <typename T>
  T* Get(std::size_t count) {
    const std::size_t bytes = std::max<std::size_t>(count * sizeof(T), 64);
    if (bytes > capacity_) {
      Release();
      data_ = ::operator new(bytes, std::align_val_t{64});
      capacity_ = bytes;
    }
    return static_cast<T*>(data_);
  }

 private:
  void Release() {
    if (data_ != nullptr) ::operator delete(data_, std::align_val_t{64});
    data_ = nullptr;
    capacity_ = 0;
  }
  void* data_ = nullptr;
  std::size_t capacity_ = 0;
};

thread_local Scratch t_packed_b;      // B' panels of the call this thread started
thread_local Scratch t_transposed_a;  // A' rows for kTN
thread_local Scratch t_split_a;       // int16 pieces of a 32-bit A (gemm of pieces; padded rows of a GEMV)
thread_local Scratch t_split_b;       // int16 pieces of a 32-bit B


// How many tasks and over which dimension the compute phase is split.
struct SplitPlan {
  bool by_rows = true;
  int tasks = 1;
};

SplitPlan PlanSplit(Split split, int M, int row_units, int col_units) {
  const int threads = NumThreads();
  SplitPlan plan;
  plan.by_rows = split == Split::kRows || (split == Split::kAuto && M >= threads * 4);
  const int units = plan.by_rows ? row_units : col_units;
  plan.tasks = threads == 1 ? 1 : std::max(1, std::min(threads * kTasksPerThread, units));
  return plan;
}

// ---- packing -----------------------------------------------------------------------
// Panel `panel` of B' (columns panel*NR ..), as int16 pairs (see simd_kernels.h).
template <typename TA, typename TB, typename TC>
void PackPanelPairs(const GemmArgs<TA, TB, TC>& g, int panel, int NR, const SimdKernels& kt, std::int16_t* dst) {
  const int K = g.K, pairs = util::CeilDiv<int>(K, 2), j0 = panel * NR;
  const int cols = std::min(NR, g.N - j0);
  // Zeros where nothing is copied: the padding columns of a last, narrow panel, and the
  // partners of an odd K's last k; every other word is written below.
  if (cols < NR) {
    std::memset(dst, 0, sizeof(std::int16_t) * 2 * static_cast<std::size_t>(pairs) * NR);
  } else if (K & 1) {
    std::memset(dst + static_cast<std::size_t>(pairs - 1) * NR * 2, 0, sizeof(std::int16_t) * 2 * NR);
  }
  if (g.layout == Layout::kNT) {  // B rows run along k: copy whole pairs as 32-bit words
    static_assert(sizeof(TB) == sizeof(std::int16_t));
    // The 32-bit pairs of `cols` rows transposed into pair-major rows of NR words (SIMD
    // blocks of 4 x 4); an odd K's last element alone.
    const int full_pairs = K / 2;
    const TB* b0 = g.B + static_cast<long>(j0) * g.ldb;
    kt.pair_columns(b0, g.ldb, cols, full_pairs, dst, NR);
    if (K & 1) {
      std::int16_t* d = dst + static_cast<long>(full_pairs) * NR * 2;
      for (int c = 0; c < cols; ++c) d[2 * c] = b0[static_cast<long>(c) * g.ldb + K - 1];
    }
  } else {  // B rows run along j: rows k and k + 1 interleaved (the compiler's SIMD unpack)
    for (int k = 0; k + 1 < K; k += 2) {
      const TB* src0 = g.B + static_cast<long>(k) * g.ldb + j0;
      const TB* src1 = src0 + g.ldb;
      std::int16_t* d = dst + static_cast<long>(k / 2) * NR * 2;
      for (int c = 0; c < cols; ++c) {
        d[2 * c] = static_cast<std::int16_t>(src0[c]);
        d[2 * c + 1] = static_cast<std::int16_t>(src1[c]);
      }
    }
    if (K & 1) {  // the last row alone; its partners stay 0
      const TB* src = g.B + static_cast<long>(K - 1) * g.ldb + j0;
      std::int16_t* d = dst + static_cast<long>(K / 2) * NR * 2;
      for (int c = 0; c < cols; ++c) d[2 * c] = static_cast<std::int16_t>(src[c]);
    }
  }
}

// Panel of B' as one element of type TP per (k, column).
template <typename TP, typename TA, typename TB, typename TC>
void PackPanelWide(const GemmArgs<TA, TB, TC>& g, int panel, int NR, TP* dst) {
  const int K = g.K, j0 = panel * NR;
  const int cols = std::min(NR, g.N - j0);
  if (cols < NR) std::memset(dst, 0, sizeof(TP) * static_cast<std::size_t>(K) * NR);
  if (g.layout == Layout::kNT) {
    for (int c = 0; c < cols; ++c) {
      const TB* src = g.B + static_cast<long>(j0 + c) * g.ldb;
      for (int k = 0; k < K; ++k) dst[static_cast<long>(k) * NR + c] = static_cast<TP>(src[k]);
    }
  } else {
    for (int k = 0; k < K; ++k) {
      const TB* src = g.B + static_cast<long>(k) * g.ldb + j0;
      TP* d = dst + static_cast<long>(k) * NR;
      for (int c = 0; c < cols; ++c) d[c] = static_cast<TP>(src[c]);
    }
  }
}

// Rows [r0, r1) of A' = Aᵀ (kTN) into dst with row stride ld (ld >= K; pad zeroed).
template <typename TA, typename TB, typename TC>
void TransposeRowsA(const GemmArgs<TA, TB, TC>& g, int r0, int r1, int ld, TA* dst) {
  for (int i = r0; i < r1; ++i) {
    TA* d = dst + static_cast<long>(i) * ld;
    for (int k = g.K; k < ld; ++k) d[k] = 0;
  }
  constexpr int kBlock = 16;  // cache blocking over k
  for (int k0 = 0; k0 < g.K; k0 += kBlock) {
    const int k1 = std::min(g.K, k0 + kBlock);
    for (int i = r0; i < r1; ++i) {
      TA* d = dst + static_cast<long>(i) * ld;
      for (int k = k0; k < k1; ++k) d[k] = g.A[static_cast<long>(k) * g.lda + i];
    }
  }
}

// ---- the tiled driver, shared by int16, int64 and float micro-kernels ----------------
// Kernel: how to pack a panel and compute one MR×NR tile into an accumulator buffer.
// Finish: consumes the tile (rows_valid x cols_valid) at C(i0, j0).
template <typename TA, typename TB, typename TC, typename PackFn, typename TileFn,
          typename FinishFn>
void RunTiled(const GemmArgs<TA, TB, TC>& g, int MR, int NR, std::size_t panel_elems,
              std::size_t panel_elem_bytes, const PackFn& pack, const TileFn& tile,
              const FinishFn& finish, std::vector<std::uint64_t>* task_saturations) {
  const int num_panels = util::CeilDiv<int>(g.N, NR);
  const int row_blocks = util::CeilDiv<int>(g.M, MR);
  const bool transpose_a = g.layout == Layout::kTN;
  const int a_ld = transpose_a ? g.K + (g.K & 1) : g.lda;  // even: pair loads stay inside
  std::byte* packed = t_packed_b.Get<std::byte>(panel_elems * panel_elem_bytes * num_panels);
  TA* at = transpose_a ? t_transposed_a.Get<TA>(static_cast<std::size_t>(g.M) * a_ld + 1) : nullptr;

  // Phase 1: pack B' (and transpose A for kTN), split over panels and rows.
  const int threads = NumThreads();
  const int prep_tasks =
      threads == 1 ? 1 : std::max(1, std::min(threads * kTasksPerThread, std::max(num_panels, row_blocks)));
  ParallelFor(prep_tasks, [&](int t) {
    const Range pr = BlockRange(num_panels, prep_tasks, t);
    for (int p = pr.begin; p < pr.end; ++p) {
      pack(p, packed + static_cast<std::size_t>(p) * panel_elems * panel_elem_bytes);
    }
    if (transpose_a) {
      const Range rr = BlockRange(g.M, prep_tasks, t);
      TransposeRowsA(g, rr.begin, rr.end, a_ld, at);
    }
  });

  // Phase 2: tiles. Panels outer (a panel stays in L1 while row blocks stream past).
  const SplitPlan plan = PlanSplit(g.split, g.M, row_blocks, num_panels);
  task_saturations->assign(plan.tasks, 0);
  ParallelFor(plan.tasks, [&](int t) {
    const Range rows = plan.by_rows ? BlockRange(row_blocks, plan.tasks, t) : Range{0, row_blocks};
    const Range panels = plan.by_rows ? Range{0, num_panels} : BlockRange(num_panels, plan.tasks, t);
    std::uint64_t* sat = &(*task_saturations)[t];
    const TA* a_rows[detail::kMaxTileRows];
    for (int p = panels.begin; p < panels.end; ++p) {
      const std::byte* panel = packed + static_cast<std::size_t>(p) * panel_elems * panel_elem_bytes;
      const int j0 = p * NR, cols = std::min(NR, g.N - j0);
      for (int rb = rows.begin; rb < rows.end; ++rb) {
        const int i0 = rb * MR, valid_rows = std::min(MR, g.M - i0);
        for (int r = 0; r < MR; ++r) {  // rows past M repeat the last row; results dropped
          const int i = i0 + std::min(r, valid_rows - 1);
          a_rows[r] = transpose_a ? at + static_cast<long>(i) * a_ld : g.A + static_cast<long>(i) * g.lda;
        }
        tile(a_rows, panel, [&](const auto* acc) { finish(acc, NR, i0, valid_rows, j0, cols, sat); });
      }
    }
  });
}

// The output stage of one row segment: the path's SIMD form where it covers the stage
// (int32 / int64 accumulators, kSaturate, 0 <= shift <= 62, not kStochastic), else the
// scalar FinishRowT.
template <typename Acc, typename TC>
detail::FinishRowFn<Acc, TC> SelectFinish(const FinishContext& ctx, const SimdKernels* kt) {
  if constexpr (std::is_same_v<Acc, std::int32_t> || std::is_same_v<Acc, std::int64_t>) {
    if (kt != nullptr && ctx.stage.overflow == num::Overflow::kSaturate && ctx.shift >= 0 && ctx.shift <= 62) {
      detail::FinishRowFn<Acc, TC> fn = nullptr;
      if constexpr (std::is_same_v<Acc, std::int32_t> && std::is_same_v<TC, std::int16_t>) {
        if (kt->finish_32_to_16) fn = kt->finish_32_to_16(ctx.stage.quant);
      } else if constexpr (std::is_same_v<Acc, std::int32_t>) {
        if (kt->finish_32_to_32) fn = kt->finish_32_to_32(ctx.stage.quant);
      } else if constexpr (std::is_same_v<TC, std::int16_t>) {
        if (kt->finish_64_to_16) fn = kt->finish_64_to_16(ctx.stage.quant);
      } else {
        if (kt->finish_64_to_32) fn = kt->finish_64_to_32(ctx.stage.quant);
      }
      if (fn != nullptr) return fn;
    }
  }
  return detail::SelectFinishRow<Acc, TC>(ctx.stage.quant, ctx.stage.overflow);
}

// The finish step for one accumulator type.
template <typename Acc, typename TC>
auto MakeFinish(const FinishContext& ctx, TC* C, int ldc, const SimdKernels* kt = nullptr) {
  const auto row_fn = SelectFinish<Acc, TC>(ctx, kt);
  return [row_fn, &ctx, C, ldc](const Acc* acc, int acc_stride, int i0, int rows, int j0, int cols,
                                std::uint64_t* sat) {
    for (int r = 0; r < rows; ++r) {
      row_fn(acc + static_cast<std::size_t>(r) * acc_stride, cols, i0 + r, j0,
             C + static_cast<long>(i0 + r) * ldc, ctx, sat);
    }
  };
}

// One tile's products over [0, total), in chunks short enough for the Narrow accumulator
// (call(k0, k1, narrow_out) computes a chunk), the chunks summed in Wide. consume gets
// the Narrow buffer when one chunk covers everything, else the Wide one.
template <typename Narrow, typename Wide, typename CallFn, typename ConsumeFn>
void AccumulateTile(std::size_t total, std::size_t chunk, int elems, const CallFn& call, ConsumeFn&& consume) {
  alignas(64) Narrow narrow[detail::kMaxTileRows * detail::kMaxTileCols];
  if (chunk >= total) {
    call(std::size_t{0}, total, narrow);
    consume(static_cast<const Narrow*>(narrow));
    return;
  }
  alignas(64) Wide wide[detail::kMaxTileRows * detail::kMaxTileCols] = {};
  for (std::size_t k0 = 0; k0 < total; k0 += chunk) {
    const std::size_t k1 = std::min(total, k0 + chunk);
    call(k0, k1, narrow);
    for (int e = 0; e < elems; ++e) wide[e] += narrow[e];
  }
  consume(static_cast<const Wide*>(wide));
}

// The finish step for tiles from AccumulateTile: each accumulator type to its own stage.
template <typename Narrow, typename Wide, typename TC>
auto MakeFinishEither(const FinishContext& ctx, TC* C, int ldc, const SimdKernels* kt) {
  return [narrow = MakeFinish<Narrow, TC>(ctx, C, ldc, kt), wide = MakeFinish<Wide, TC>(ctx, C, ldc, kt)](
             const auto* acc, int stride, int i0, int rows, int j0, int cols, std::uint64_t* sat) {
    if constexpr (std::is_same_v<std::remove_cv_t<std::remove_pointer_t<decltype(acc)>>, Narrow>) {
      narrow(acc, stride, i0, rows, j0, cols, sat);
    } else {
      wide(acc, stride, i0, rows, j0, cols, sat);
    }
  };
}

// Batch-1 forwards (kNT, few rows of A): dot(i, j, n, out) gives the n accumulators
// C(i, j .. j+n) straight from the weight rows, no packing; rows or column blocks of 16
// split over threads.
template <typename Acc, typename TA, typename TB, typename TC, typename DotFn>
void RunGemv(const GemmArgs<TA, TB, TC>& g, const FinishContext& ctx, const SimdKernels& kt, const DotFn& dot,
             std::vector<std::uint64_t>* task_sat) {
  const SplitPlan plan = PlanSplit(g.split, g.M, g.M, util::CeilDiv<int>(g.N, 16));
  task_sat->assign(plan.tasks, 0);
  const auto finish_row = SelectFinish<Acc, TC>(ctx, &kt);
  ParallelFor(plan.tasks, [&](int t) {
    const Range rows = plan.by_rows ? BlockRange(g.M, plan.tasks, t) : Range{0, g.M};
    const Range cols = plan.by_rows ? Range{0, g.N} : BlockRange(g.N, plan.tasks, t, 16);
    constexpr int kChunk = 128;
    Acc acc[kChunk];
    for (int i = rows.begin; i < rows.end; ++i) {
      for (int j = cols.begin; j < cols.end; j += kChunk) {
        const int n = std::min(kChunk, cols.end - j);
        dot(i, j, n, acc);
        finish_row(acc, n, i, j, g.C + static_cast<long>(i) * g.ldc, ctx, &(*task_sat)[t]);
      }
    }
  });
}

// ---- 32-bit operands as sums of int16 pieces (detail/pieces.h) ---------------------------
using detail::kMaxPieces;
using detail::kPieceBits;
using detail::Pieces;
using detail::PlanPieces;
constexpr int kMaxPieceProducts = 4;  // beyond this the int64 kernel is as fast
constexpr int kPieceMinRows = 8;      // below a tile of rows, packing pieces does not pay

// The pieces of a WeightPieces cache as a plan.
Pieces PlanOf(const WeightPieces& w) {
  Pieces pc;
  pc.count = w.count();
  for (int p = 0; p < pc.count; ++p) pc.bound[p] = w.bound(p);
  return pc;
}

// Rows [r0, r1) of a rows x cols matrix (row stride ld) into `count` int16 piece
// matrices out[p] (row stride out_ld >= cols; columns past cols are left as they are).
template <typename T>
void SplitRows(const T* x, int r0, int r1, int cols, int ld, int count, std::int16_t* const* out, int out_ld,
               const SimdKernels& kt) {
  for (int r = r0; r < r1; ++r) {
    std::int16_t* dst[kMaxPieces];
    for (int p = 0; p < count; ++p) dst[p] = out[p] + static_cast<long>(r) * out_ld;
    detail::SplitPiecesRow(x + static_cast<long>(r) * ld, static_cast<std::size_t>(cols), count, dst, &kt);
  }
}

// The int16 views A'_p and B'_q of a piece product: the operand itself when it is one
// int16 piece, the cached pieces of B (GemmArgs::b_pieces) when they are the planned ones,
// else pieces split here into thread-local scratch (rows packed), over threads.
template <typename TC>
struct PieceViews {
  GemmArgs<std::int16_t, std::int16_t, TC> a[kMaxPieces], b[kMaxPieces];
};

template <typename TA, typename TB, typename TC>
PieceViews<TC> SplitPieceOperands(const GemmArgs<TA, TB, TC>& g, const Pieces& pa, const Pieces& pb,
                                  const SimdKernels& kt) {
  const bool a_t = g.layout == Layout::kTN, b_t = g.layout == Layout::kNT;
  const int a_rows_st = a_t ? g.K : g.M, a_cols_st = a_t ? g.M : g.K;
  const int b_rows_st = b_t ? g.N : g.K, b_cols_st = b_t ? g.K : g.N;
  const bool split_a = !std::is_same_v<TA, std::int16_t> || pa.count > 1;
  const bool cached_b = g.b_pieces != nullptr && g.b_pieces->count() == pb.count && pb.count > 1;
  const bool split_b = !cached_b && (!std::is_same_v<TB, std::int16_t> || pb.count > 1);
  const std::size_t a_piece = static_cast<std::size_t>(a_rows_st) * a_cols_st;
  const std::size_t b_piece = static_cast<std::size_t>(b_rows_st) * b_cols_st;
  std::int16_t* a_split = split_a ? t_split_a.Get<std::int16_t>(a_piece * pa.count) : nullptr;
  std::int16_t* b_split = split_b ? t_split_b.Get<std::int16_t>(b_piece * pb.count) : nullptr;
  std::int16_t* a_out[kMaxPieces];
  std::int16_t* b_out[kMaxPieces];
  for (int p = 0; p < pa.count; ++p) a_out[p] = split_a ? a_split + p * a_piece : nullptr;
  for (int q = 0; q < pb.count; ++q) b_out[q] = split_b ? b_split + q * b_piece : nullptr;
  if (split_a || split_b) {
    const int threads = NumThreads();
    const int tasks =
        threads == 1 ? 1 : std::max(1, std::min(threads * kTasksPerThread, std::max(a_rows_st, b_rows_st)));
    ParallelFor(tasks, [&](int t) {
      if (split_a) {
        const Range r = BlockRange(a_rows_st, tasks, t);
        SplitRows(g.A, r.begin, r.end, a_cols_st, g.lda, pa.count, a_out, a_cols_st, kt);
      }
      if (split_b) {
        const Range r = BlockRange(b_rows_st, tasks, t);
        SplitRows(g.B, r.begin, r.end, b_cols_st, g.ldb, pb.count, b_out, b_cols_st, kt);
      }
    });
  }
  PieceViews<TC> v;
  for (int p = 0; p < pa.count; ++p) {
    v.a[p].layout = g.layout;
    v.a[p].M = g.M, v.a[p].N = g.N, v.a[p].K = g.K;
    v.a[p].A = split_a ? a_out[p] : reinterpret_cast<const std::int16_t*>(g.A);
    v.a[p].lda = split_a ? a_cols_st : g.lda;
  }
  for (int q = 0; q < pb.count; ++q) {
    v.b[q].layout = g.layout;
    v.b[q].M = g.M, v.b[q].N = g.N, v.b[q].K = g.K;
    v.b[q].B = cached_b ? g.b_pieces->piece(q) : split_b ? b_out[q] : reinterpret_cast<const std::int16_t*>(g.B);
    v.b[q].ldb = cached_b ? static_cast<int>(g.b_pieces->ld()) : split_b ? b_cols_st : g.ldb;
  }
  return v;
}

// Every piece of B' packed into pair panels (panel-major, piece-minor), and for kTN the
// pieces of A transposed (piece-major, row stride a_ld), over threads.
template <typename TC>
void PackPieces(const PieceViews<TC>& v, int a_count, int b_count, int MR, int NR, const SimdKernels& kt,
                std::size_t panel_elems, int a_ld,
                std::int16_t* packed, std::int16_t* at) {
  const GemmArgs<std::int16_t, std::int16_t, TC>& g = v.b[0];
  const int num_panels = util::CeilDiv<int>(g.N, NR), row_blocks = util::CeilDiv<int>(g.M, MR);
  const int threads = NumThreads();
  const int prep_tasks =
      threads == 1 ? 1 : std::max(1, std::min(threads * kTasksPerThread, std::max(num_panels, row_blocks)));
  ParallelFor(prep_tasks, [&](int t) {
    const Range pr = BlockRange(num_panels, prep_tasks, t);
    for (int p = pr.begin; p < pr.end; ++p)
      for (int q = 0; q < b_count; ++q)
        PackPanelPairs(v.b[q], p, NR, kt, packed + (static_cast<std::size_t>(p) * b_count + q) * panel_elems);
    if (at != nullptr) {
      const Range rr = BlockRange(g.M, prep_tasks, t);
      for (int pp = 0; pp < a_count; ++pp)
        TransposeRowsA(v.a[pp], rr.begin, rr.end, a_ld, at + static_cast<std::size_t>(pp) * g.M * a_ld);
    }
  });
}

// The tiled product of pieces: each tile sums every A'_p · B'_qᵀ in int32 chunks
// (detail::ChunkPairs) shifted into int64 accumulators, then the output stage.
template <typename TA, typename TB, typename TC>
void RunPieces(const GemmArgs<TA, TB, TC>& g, const Pieces& pa, const Pieces& pb, const SimdKernels& kt,
               const FinishContext& ctx, std::vector<std::uint64_t>* task_saturations) {
  const int MR = kt.i16_rows, NR = kt.i16_cols;
  const int pairs = util::CeilDiv<int>(g.K, 2);
  const std::size_t panel_elems = 2 * static_cast<std::size_t>(pairs) * NR;
  const int num_panels = util::CeilDiv<int>(g.N, NR), row_blocks = util::CeilDiv<int>(g.M, MR);
  const bool transpose_a = g.layout == Layout::kTN;
  const PieceViews<TC> v = SplitPieceOperands(g, pa, pb, kt);
  const int a_ld = transpose_a ? g.K + (g.K & 1) : 0;
  std::int16_t* packed = t_packed_b.Get<std::int16_t>(panel_elems * num_panels * pb.count);
  std::int16_t* at =
      transpose_a ? t_transposed_a.Get<std::int16_t>(static_cast<std::size_t>(pa.count) * g.M * a_ld + 1) : nullptr;
  PackPieces(v, pa.count, pb.count, MR, NR, kt, panel_elems, a_ld, packed, at);

  std::size_t chunk[kMaxPieces][kMaxPieces];
  for (int p = 0; p < pa.count; ++p)
    for (int q = 0; q < pb.count; ++q)
      chunk[p][q] = static_cast<std::size_t>(detail::ChunkPairs(pa.bound[p], pb.bound[q], std::max(pairs, 1)));
  auto finish = MakeFinish<std::int64_t, TC>(ctx, g.C, g.ldc, &kt);
  const SplitPlan plan = PlanSplit(g.split, g.M, row_blocks, num_panels);
  task_saturations->assign(plan.tasks, 0);
  ParallelFor(plan.tasks, [&](int t) {
    const Range rows = plan.by_rows ? BlockRange(row_blocks, plan.tasks, t) : Range{0, row_blocks};
    const Range panels = plan.by_rows ? Range{0, num_panels} : BlockRange(num_panels, plan.tasks, t);
    std::uint64_t* sat = &(*task_saturations)[t];
    const std::int16_t* a_rows[kMaxPieces][detail::kMaxTileRows];
    alignas(64) std::int64_t acc64[detail::kMaxTileRows * detail::kMaxTileCols];
    for (int p = panels.begin; p < panels.end; ++p) {
      const int j0 = p * NR, cols = std::min(NR, g.N - j0);
      for (int rb = rows.begin; rb < rows.end; ++rb) {
        const int i0 = rb * MR, valid_rows = std::min(MR, g.M - i0);
        for (int r = 0; r < MR; ++r) {  // rows past M repeat the last row; results dropped
          const int i = i0 + std::min(r, valid_rows - 1);
          for (int pp = 0; pp < pa.count; ++pp) {
            a_rows[pp][r] = transpose_a ? at + (static_cast<std::size_t>(pp) * g.M + i) * a_ld
                                        : v.a[pp].A + static_cast<long>(i) * v.a[pp].lda;
          }
        }
        std::fill(acc64, acc64 + MR * NR, 0);
        for (int pp = 0; pp < pa.count; ++pp)
          for (int q = 0; q < pb.count; ++q) {
            const std::int16_t* panel = packed + (static_cast<std::size_t>(p) * pb.count + q) * panel_elems;
            kt.i16_tile_wide(a_rows[pp], g.K, chunk[pp][q], panel, kPieceBits * (pp + q), acc64);
          }
        finish(static_cast<const std::int64_t*>(acc64), NR, i0, valid_rows, j0, cols, sat);
      }
    }
  });
}

// Batch-1 forward on the cached pieces of B (GemmArgs::b_pieces): the rows of A split into
// int16 pieces (or copied, for int16 A) into zero-padded scratch rows of the cache's
// stride, then kt.i16_gemv_pieces over the padded rows: whole vectors, no packing; or, for
// a short K held in column form, kt.i16_gemv_pieces_cols (no horizontal sums).
template <typename TA, typename TB, typename TC>
void RunGemvPieces(const GemmArgs<TA, TB, TC>& g, const Pieces& pa, const SimdKernels& kt,
                   const FinishContext& ctx, std::vector<std::uint64_t>* task_sat) {
  const WeightPieces& wb = *g.b_pieces;
  const std::size_t ld = wb.ld();
  std::int16_t* a_pad = t_split_a.Get<std::int16_t>(static_cast<std::size_t>(pa.count) * g.M * ld);
  for (int i = 0; i < g.M; ++i) {
    std::int16_t* rows[kMaxPieces];
    for (int p = 0; p < pa.count; ++p) {
      rows[p] = a_pad + (static_cast<std::size_t>(p) * g.M + i) * ld;
      std::fill(rows[p] + g.K, rows[p] + ld, std::int16_t{0});
    }
    if constexpr (std::is_same_v<TA, std::int16_t>) {
      std::copy(g.A + static_cast<long>(i) * g.lda, g.A + static_cast<long>(i) * g.lda + g.K, rows[0]);
    } else {
      SplitRows(g.A + static_cast<long>(i) * g.lda, 0, 1, g.K, g.lda, pa.count, rows, static_cast<int>(ld), kt);
    }
  }
  detail::PieceGemv pg;
  pg.a_count = pa.count;
  pg.b_count = wb.count();
  pg.ld = ld;
  for (int p = 0; p < pa.count; ++p)
    for (int q = 0; q < wb.count(); ++q)
      pg.chunk_pairs[p][q] = static_cast<std::size_t>(detail::ChunkPairs(pa.bound[p], wb.bound(q), static_cast<std::int64_t>(ld)));
  // Short K: the column form (one output per lane) where the cache holds it and the block
  // starts on its padding grid (RunGemv's blocks of 16 and 128 do).
  const bool columns = wb.has_columns() && kt.i16_gemv_pieces_cols != nullptr;
  RunGemv<std::int64_t>(
      g, ctx, kt,
      [&](int i, int j, int n, std::int64_t* out) {
        detail::PieceGemv call = pg;
        for (int p = 0; p < pa.count; ++p) call.a[p] = a_pad + (static_cast<std::size_t>(p) * g.M + i) * ld;
        if (columns && j % WeightPieces::kColumnAlign == 0) {
          call.ld = 2 * wb.col_stride();
          call.pairs = (static_cast<std::size_t>(g.K) + 1) / 2;
          for (int q = 0; q < wb.count(); ++q) call.b[q] = wb.columns(q) + 2 * static_cast<std::size_t>(j);
          kt.i16_gemv_pieces_cols(call, static_cast<std::size_t>(n), out);
          return;
        }
        for (int q = 0; q < wb.count(); ++q) call.b[q] = wb.piece(q) + static_cast<std::size_t>(j) * ld;
        kt.i16_gemv_pieces(call, static_cast<std::size_t>(n), out);
      },
      task_sat);
}

// ---- integer paths ------------------------------------------------------------------
// One integer call: its operands, the kernels, the output stage and the accumulator bound.
template <typename TA, typename TB, typename TC>
struct IntCall {
  static constexpr bool kBoth16 = std::is_same_v<TA, std::int16_t> && std::is_same_v<TB, std::int16_t>;
  const GemmArgs<TA, TB, TC>& g;
  const SimdKernels& kt;
  FinishContext ctx;
  std::int64_t a_max = 0, b_max = 0;  // bounds on |A'| and |B'|
  num::int128 product_max = 0;        // a_max · b_max <= 2^62
  num::int128 sum_bound = 0;          // K · product_max
  bool narrow64 = false;              // every partial sum fits int64
  bool gemv = false;                  // kNT with at most kGemvMaxRows rows of A: a batch-1 forward
};

// |A'| and |B'| bounds (the same element sets as A and B): given, the cache's, or scanned.
template <typename TA, typename TB, typename TC>
IntCall<TA, TB, TC> MakeIntCall(const GemmArgs<TA, TB, TC>& g, const OutputStage& stage, const SimdKernels& kt) {
  IntCall<TA, TB, TC> c{g, kt, detail::MakeFinishContext(stage, g.N)};
  auto max_abs = [&](const auto* p, int rows, int cols, int ld) -> std::int64_t {
    if (rows == 0 || cols == 0) return 0;
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(p)>>;
    if constexpr (std::is_same_v<T, std::int16_t>) {
      return kt.max_abs_i16(p, rows, cols, ld);
    } else {
      return kt.max_abs_i32(p, rows, cols, ld);
    }
  };
  const bool a_t = g.layout == Layout::kTN, b_t = g.layout == Layout::kNT;
  c.a_max = g.a_max_abs >= 0 ? g.a_max_abs : max_abs(g.A, a_t ? g.K : g.M, a_t ? g.M : g.K, g.lda);
  c.b_max = g.b_max_abs >= 0     ? g.b_max_abs
            : g.b_pieces != nullptr ? g.b_pieces->max_abs()
                                    : max_abs(g.B, b_t ? g.N : g.K, b_t ? g.K : g.N, g.ldb);
  c.product_max = static_cast<num::int128>(c.a_max) * c.b_max;
  c.sum_bound = c.product_max * g.K;
  c.narrow64 = c.sum_bound <= std::numeric_limits<std::int64_t>::max();
  c.gemv = g.layout == Layout::kNT && g.M <= kGemvMaxRows;
  return c;
}

// int16 × int16 whose sums fit int32 chunks of at least kMinChunkPairs pairs: int32 dot
// products for a batch-1 forward whose whole sum fits int32, else the int16 tiles.
template <typename TA, typename TB, typename TC>
bool TryInt32Sums(const IntCall<TA, TB, TC>& c, Stats* stats, std::vector<std::uint64_t>* task_sat) {
  if constexpr (!IntCall<TA, TB, TC>::kBoth16) {
    return false;
  } else {
    const auto& g = c.g;
    const auto& kt = c.kt;
    const std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
    const int pairs = util::CeilDiv<int>(g.K, 2);
    // Pairs per int32 chunk: 2·chunk·a_max·b_max <= INT32_MAX.
    const std::int64_t chunk_pairs =
        c.product_max == 0 ? pairs : static_cast<std::int64_t>(int32_max / (2 * c.product_max));
    const bool narrow = c.sum_bound <= int32_max;
    constexpr std::int64_t kMinChunkPairs = 16;  // below this, int64 products are faster
    if (!narrow && chunk_pairs < kMinChunkPairs) return false;
    if (!narrow) stats->widened_calls = 1;
    if (narrow && c.gemv && static_cast<std::size_t>(g.K) >= kt.i16_gemv_min_k) {
      RunGemv<std::int32_t>(
          g, c.ctx, kt,
          [&](int i, int j, int n, std::int32_t* out) {
            kt.i16_gemv(g.A + static_cast<long>(i) * g.lda, g.K, g.B + static_cast<long>(j) * g.ldb, g.ldb, n, out);
          },
          task_sat);
      return true;
    }
    const int MR = kt.i16_rows, NR = kt.i16_cols;
    const std::size_t panel_elems = 2 * static_cast<std::size_t>(pairs) * NR;
    auto pack = [&](int p, std::byte* dst) { PackPanelPairs(g, p, NR, kt, reinterpret_cast<std::int16_t*>(dst)); };
    const std::size_t chunk = narrow ? pairs : static_cast<std::size_t>(chunk_pairs);
    auto tile = [&](const std::int16_t* const* a_rows, const std::byte* panel, auto&& consume) {
      const auto* pp = reinterpret_cast<const std::int16_t*>(panel);
      AccumulateTile<std::int32_t, std::int64_t>(
          static_cast<std::size_t>(pairs), chunk, MR * NR,
          [&](std::size_t p0, std::size_t p1, std::int32_t* out) { kt.i16_tile(a_rows, g.K, p0, p1, pp, out); },
          consume);
    };
    const auto finish = MakeFinishEither<std::int32_t, std::int64_t>(c.ctx, g.C, g.ldc, &kt);
    RunTiled(g, MR, NR, panel_elems, sizeof(std::int16_t), pack, tile, finish, task_sat);
    return true;
  }
}

// A batch-1 forward on the cached int16 pieces of B, when the pieces of A times those of
// B are at most kMaxPieceProducts products.
template <typename TA, typename TB, typename TC>
bool TryGemvPieces(const IntCall<TA, TB, TC>& c, Stats* stats, std::vector<std::uint64_t>* task_sat) {
  const auto& g = c.g;
  if (!c.narrow64 || !c.gemv || g.K == 0 || g.b_pieces == nullptr || c.kt.i16_gemv_pieces == nullptr) return false;
  const Pieces pa = PlanPieces(c.a_max, std::is_same_v<TA, std::int16_t>);
  if (pa.count * g.b_pieces->count() > kMaxPieceProducts) return false;
  // One pair per int32 lane must be exact (only ±32768 · ±32768 pairs are not).
  const std::int64_t int32_max = std::numeric_limits<std::int32_t>::max();
  for (int p = 0; p < pa.count; ++p)
    for (int q = 0; q < g.b_pieces->count(); ++q)
      if (2 * pa.bound[p] * g.b_pieces->bound(q) > int32_max) return false;
  // int16 × int16 counts as widened where its sum would not fit int32 (as on the other routes).
  if (IntCall<TA, TB, TC>::kBoth16 && c.sum_bound > int32_max) stats->widened_calls = 1;
  RunGemvPieces(g, pa, c.kt, c.ctx, task_sat);
  return true;
}

// A batch-1 forward with int64 dot products straight from the weight rows (32-bit
// operands, or int16 too wide for int32 sums), columns split over threads, no packing.
template <typename TA, typename TB, typename TC>
bool TryInt64Gemv(const IntCall<TA, TB, TC>& c, Stats* stats, std::vector<std::uint64_t>* task_sat) {
  const auto& g = c.g;
  const auto& kt = c.kt;
  if (!c.narrow64 || !c.gemv || g.K == 0 || kt.i64_gemv_16_16 == nullptr) return false;
  if (IntCall<TA, TB, TC>::kBoth16) stats->widened_calls = 1;
  auto gemv = [&](int i, int j, int n, std::int64_t* out) {
    const TA* a = g.A + static_cast<long>(i) * g.lda;
    const TB* b = g.B + static_cast<long>(j) * g.ldb;
    if constexpr (std::is_same_v<TA, std::int16_t> && std::is_same_v<TB, std::int16_t>) {
      kt.i64_gemv_16_16(a, g.K, b, g.ldb, n, out);
    } else if constexpr (std::is_same_v<TA, std::int16_t>) {
      kt.i64_gemv_16_32(a, g.K, b, g.ldb, n, out);
    } else if constexpr (std::is_same_v<TB, std::int16_t>) {
      kt.i64_gemv_32_16(a, g.K, b, g.ldb, n, out);
    } else {
      kt.i64_gemv_32_32(a, g.K, b, g.ldb, n, out);
    }
  };
  RunGemv<std::int64_t>(g, c.ctx, kt, gemv, task_sat);
  return true;
}

// Tiles of int16 piece products when the sum fits int64 and the pieces are few. int16 ×
// int16 reaches here when both operands come near ±32768 (int32 pair sums could
// overflow): the larger operand goes in two pieces, which keeps chunks long.
template <typename TA, typename TB, typename TC>
bool TryPieceTiles(const IntCall<TA, TB, TC>& c, Stats* stats, std::vector<std::uint64_t>* task_sat) {
  constexpr bool kBoth16 = IntCall<TA, TB, TC>::kBoth16;
  if (!c.narrow64 || c.g.M < kPieceMinRows || c.g.K == 0 || c.kt.i16_tile_wide == nullptr) return false;
  const bool split_a = kBoth16 && c.a_max >= c.b_max, split_b = kBoth16 && !split_a;
  const Pieces pa = PlanPieces(split_a ? std::max<std::int64_t>(c.a_max, 32768) : c.a_max,
                               std::is_same_v<TA, std::int16_t> && !split_a);
  const Pieces pb = PlanPieces(split_b ? std::max<std::int64_t>(c.b_max, 32768) : c.b_max,
                               std::is_same_v<TB, std::int16_t> && !split_b);
  if (pa.count * pb.count > kMaxPieceProducts) return false;
  if (kBoth16) stats->widened_calls = 1;
  // The cached pieces of B, where they are the planned ones, carry the cache's bounds.
  const bool cached = c.g.b_pieces != nullptr && c.g.b_pieces->count() == pb.count && pb.count > 1;
  RunPieces(c.g, pa, cached ? PlanOf(*c.g.b_pieces) : pb, c.kt, c.ctx, task_sat);
  return true;
}

// 64-bit accumulators on int64 panels: int64 sums where they fit, else int64 chunks
// added in int128.
template <typename TA, typename TB, typename TC>
void RunInt64Tiles(const IntCall<TA, TB, TC>& c, Stats* stats, std::vector<std::uint64_t>* task_sat) {
  const auto& g = c.g;
  const auto& kt = c.kt;
  if (!c.narrow64 || IntCall<TA, TB, TC>::kBoth16) stats->widened_calls = 1;
  const num::int128 int64_max = std::numeric_limits<std::int64_t>::max();
  const std::size_t chunk = c.narrow64 || c.product_max == 0
                                ? static_cast<std::size_t>(g.K)
                                : static_cast<std::size_t>(int64_max / c.product_max);  // >= 1
  const int MR = kt.i64_rows, NR = kt.i64_cols;
  const std::size_t panel_elems = static_cast<std::size_t>(g.K) * NR;
  auto pack = [&](int p, std::byte* dst) { PackPanelWide(g, p, NR, reinterpret_cast<std::int64_t*>(dst)); };
  auto call_tile = [&](const TA* const* a_rows, std::size_t k0, std::size_t k1, const std::int64_t* pp,
                       std::int64_t* out) {
    if constexpr (std::is_same_v<TA, std::int16_t>) {
      kt.i64_tile_a16(a_rows, k0, k1, pp, out);
    } else {
      kt.i64_tile_a32(a_rows, k0, k1, pp, out);
    }
  };
  auto tile = [&](const TA* const* a_rows, const std::byte* panel, auto&& consume) {
    const auto* pp = reinterpret_cast<const std::int64_t*>(panel);
    AccumulateTile<std::int64_t, num::int128>(
        static_cast<std::size_t>(g.K), chunk, MR * NR,
        [&](std::size_t k0, std::size_t k1, std::int64_t* out) { call_tile(a_rows, k0, k1, pp, out); }, consume);
  };
  const auto finish = MakeFinishEither<std::int64_t, num::int128>(c.ctx, g.C, g.ldc, &kt);
  RunTiled(g, MR, NR, panel_elems, sizeof(std::int64_t), pack, tile, finish, task_sat);
}

// The integer product on a SIMD path: the first route whose conditions hold, in order of
// speed. Every route is exact, so the choice changes the speed, never the result.
template <typename TA, typename TB, typename TC>
Stats GemmIntFast(const GemmArgs<TA, TB, TC>& g, const OutputStage& stage, const SimdKernels& kt) {
  Stats stats;
  if (g.M == 0 || g.N == 0) return stats;
  const IntCall<TA, TB, TC> c = MakeIntCall(g, stage, kt);
  std::vector<std::uint64_t> task_sat;
  // int32 sums first for a batch-1 forward whose sum fits int32, unless cached pieces of B
  // can take a call that would need int32 chunks.
  const bool int32_gemv = c.gemv && c.sum_bound <= std::numeric_limits<std::int32_t>::max() &&
                          static_cast<std::size_t>(g.K) >= kt.i16_gemv_min_k;
  const bool ran = (int32_gemv && TryInt32Sums(c, &stats, &task_sat)) || TryGemvPieces(c, &stats, &task_sat) ||
                   TryInt32Sums(c, &stats, &task_sat) || TryInt64Gemv(c, &stats, &task_sat) ||
                   TryPieceTiles(c, &stats, &task_sat);
  if (!ran) RunInt64Tiles(c, &stats, &task_sat);
  for (auto s : task_sat) stats.saturations += s;
  return stats;
}

// ---- float path ----------------------------------------------------------------------
void FinishFloatRow(float* c_row, int j0, int cols, const FloatStage& s) {
  for (int t = 0; t < cols; ++t) {
    float v = c_row[j0 + t];
    if (s.bias != nullptr) v += s.bias[j0 + t];
    if (s.relu) v = std::max(v, 0.0f);
    c_row[j0 + t] = v;
  }
}

void GemmF32Fast(const GemmArgs<float, float, float>& g, const FloatStage& stage,
                 const SimdKernels& kt) {
  if (g.M == 0 || g.N == 0) return;
  std::vector<std::uint64_t> unused_sat;
  if (g.layout == Layout::kNT && g.M <= kGemvMaxRows &&
      static_cast<std::size_t>(g.K) >= kt.f32_gemv_min_k) {
    const SplitPlan plan = PlanSplit(g.split, g.M, g.M, util::CeilDiv<int>(g.N, 16));
    ParallelFor(plan.tasks, [&](int t) {
      const Range rows = plan.by_rows ? BlockRange(g.M, plan.tasks, t) : Range{0, g.M};
      const Range cols = plan.by_rows ? Range{0, g.N} : BlockRange(g.N, plan.tasks, t, 16);
      for (int i = rows.begin; i < rows.end; ++i) {
        float* c_row = g.C + static_cast<long>(i) * g.ldc;
        kt.f32_gemv(g.A + static_cast<long>(i) * g.lda, g.K, g.B + static_cast<long>(cols.begin) * g.ldb,
                    g.ldb, cols.end - cols.begin, c_row + cols.begin);
        FinishFloatRow(c_row, cols.begin, cols.end - cols.begin, stage);
      }
    });
    return;
  }
  const int MR = kt.f32_rows, NR = kt.f32_cols;
  const std::size_t panel_elems = static_cast<std::size_t>(g.K) * NR;
  auto pack = [&](int p, std::byte* dst) { PackPanelWide(g, p, NR, reinterpret_cast<float*>(dst)); };
  auto tile = [&](const float* const* a_rows, const std::byte* panel, auto&& consume) {
    alignas(64) float acc[detail::kMaxTileRows * detail::kMaxTileCols];
    kt.f32_tile(a_rows, g.K, reinterpret_cast<const float*>(panel), acc);
    consume(static_cast<const float*>(acc));
  };
  auto finish = [&](const float* acc, int stride, int i0, int rows, int j0, int cols,
                    std::uint64_t*) {
    for (int r = 0; r < rows; ++r) {
      float* c_row = g.C + static_cast<long>(i0 + r) * g.ldc;
      std::memcpy(c_row + j0, acc + static_cast<std::size_t>(r) * stride, sizeof(float) * cols);
      FinishFloatRow(c_row, j0, cols, stage);
    }
  };
  RunTiled(g, MR, NR, panel_elems, sizeof(float), pack, tile, finish, &unused_sat);
}

}  // namespace

const char* to_string(Layout l) { return detail::LayoutName(l); }

namespace {
std::atomic<IntegerGemmEngine*> g_engine{nullptr};
}  // namespace

void SetIntegerGemmEngine(IntegerGemmEngine* engine) { g_engine.store(engine); }
IntegerGemmEngine* CurrentIntegerGemmEngine() { return g_engine.load(); }

template <typename TA, typename TB, typename TC>
Stats Gemm(const GemmArgs<TA, TB, TC>& args, const OutputStage& stage) {
  detail::ValidateArgs(args, "kern::Gemm");
  detail::ValidateStage(stage, 8 * sizeof(TC), "kern::Gemm");
  if (IntegerGemmEngine* engine = g_engine.load()) return engine->Run(args, stage);
  const Path path = ActivePath();
  if (path == Path::kReference) return GemmReference(args, stage);
  return GemmIntFast(args, stage, detail::KernelsFor(path));
}

void GemmF32(const GemmArgs<float, float, float>& args, const FloatStage& stage) {
  detail::ValidateArgs(args, "kern::GemmF32");
  const Path path = ActivePath();
  if (path == Path::kReference) return GemmF32Reference(args, stage);
  GemmF32Fast(args, stage, detail::KernelsFor(path));
}

#define FIXAR_INSTANTIATE_GEMM(TA, TB, TC) \
  template Stats Gemm<TA, TB, TC>(const GemmArgs<TA, TB, TC>&, const OutputStage&);
FIXAR_FOR_EACH_INTEGER_GEMM(FIXAR_INSTANTIATE_GEMM)
#undef FIXAR_INSTANTIATE_GEMM

}  // namespace fixar::kern
