// A weight matrix held once more as int16 pieces, split once per weight version by its
// owner so that the integer products (gemm.h) do not split it on every call.
//
// x = Σ_p piece_p · 2^(11·p) (balanced 11-bit digits, the top piece the rest; see
// kernels/detail/pieces.h): 2 pieces when max |x| < ~2^26, 3 for any int32; an int16
// matrix is held as one piece, itself (the products are bound by memory: one int16 piece
// is half the bytes of two, and int32 chunks stay exact while 2·max|a|·max|x| < 2^31).
// Each piece is a rows × cols
// matrix in the storage layout of the source, rows padded with zeros to a multiple of
// kPieceRowAlign elements (whole SIMD vectors, no tails).
//
// A matrix of at most kColumnFormMaxCols columns (a short-K layer, e.g. the actor's first,
// 17 inputs) is held once more in column form for the batch-1 product, which then needs no
// horizontal sums: piece p's pair rows t < ceil(cols/2), each of col_stride() (rows padded
// with zeros to a multiple of kColumnAlign) pairs {x[r][2t], x[r][2t+1]} (x[r][cols] = 0):
// element ((t · col_stride() + r) · 2 + e) of columns(p) is x_p[r][2t + e].
//
// Give it to a product as GemmArgs::b_pieces together with the matrix itself (GemmArgs::B):
// the products use it where their path multiplies int16 pieces (batch-1 forwards, the
// piece products of 32-bit operands), and the results are the same bits either way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fixar::kern {
namespace detail {
struct SimdKernels;
}

class WeightPieces {
 public:
  static constexpr int kPieceRowAlign = 32;
  static constexpr int kColumnFormMaxCols = 64;
  static constexpr int kColumnAlign = 16;  // int32 lanes of the widest vector

  // Splits rows × cols values of x (row stride ld) with max |x| <= max_abs (e.g. the bound
  // given as GemmArgs::b_max_abs). Throws std::invalid_argument for a negative size or
  // max_abs, or ld < cols.
  void Split(const std::int32_t* x, int rows, int cols, int ld, std::int64_t max_abs);
  void Split(const std::int16_t* x, int rows, int cols, int ld, std::int64_t max_abs);
  void Clear();

  bool empty() const { return count_ == 0; }
  int count() const { return count_; }  // 0 (empty); int32: 2 or 3; int16: 1
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  std::size_t ld() const { return ld_; }  // row stride of each piece, a multiple of kPieceRowAlign
  std::int64_t max_abs() const { return max_abs_; }
  std::int64_t bound(int p) const { return bounds_[p]; }  // max |piece p|
  const std::int16_t* piece(int p) const { return data_.data() + static_cast<std::size_t>(p) * piece_size(); }
  // The column form (above), when cols <= kColumnFormMaxCols and the matrix is not empty.
  bool has_columns() const { return !columns_.empty(); }
  std::size_t col_stride() const { return col_stride_; }  // pairs per pair row, a multiple of kColumnAlign
  const std::int16_t* columns(int p) const { return columns_.data() + static_cast<std::size_t>(p) * column_size(); }

 private:
  std::size_t piece_size() const { return static_cast<std::size_t>(rows_) * ld_; }
  std::size_t column_size() const { return (static_cast<std::size_t>(cols_) + 1) / 2 * col_stride_ * 2; }
  void BuildColumns(const detail::SimdKernels* kt);  // kt: the splitting path's kernels, or null
  template <typename T>
  void SplitT(const T* x, int rows, int cols, int ld, std::int64_t max_abs, std::int64_t plan_max);
  std::vector<std::int16_t> data_;
  int count_ = 0, rows_ = 0, cols_ = 0;
  std::size_t ld_ = 0, col_stride_ = 0;
  std::vector<std::int16_t> columns_;
  std::int64_t max_abs_ = 0;
  std::int64_t bounds_[3] = {};
};

}  // namespace fixar::kern
