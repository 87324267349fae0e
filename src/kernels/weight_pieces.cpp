// WeightPieces: the int16 pieces of a weight matrix, split with the active path's SIMD
// splitter (the same digits as the scalar detail::PiecesOf, which the reference path uses).
#include "kernels/weight_pieces.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "kernels/detail/pieces.h"
#include "kernels/detail/simd_kernels.h"
#include "kernels/detail/split_pieces.h"

namespace fixar::kern {

template <typename T>
void WeightPieces::SplitT(const T* x, int rows, int cols, int ld, std::int64_t max_abs, std::int64_t plan_max) {
  if (rows < 0 || cols < 0 || max_abs < 0 || ld < cols || (rows > 0 && cols > 0 && x == nullptr)) {
    throw std::invalid_argument("kern::WeightPieces::Split: rows = " + std::to_string(rows) + ", cols = " +
                                std::to_string(cols) + ", ld = " + std::to_string(ld) + ", max_abs = " +
                                std::to_string(max_abs) + "; valid: sizes and max_abs >= 0, ld >= cols, data given");
  }
  const detail::Pieces plan = detail::PlanPieces(std::max(max_abs, plan_max), std::is_same_v<T, std::int16_t>);
  count_ = plan.count;
  std::copy(plan.bound, plan.bound + detail::kMaxPieces, bounds_);
  rows_ = rows;
  cols_ = cols;
  max_abs_ = max_abs;
  ld_ = (static_cast<std::size_t>(cols) + kPieceRowAlign - 1) / kPieceRowAlign * kPieceRowAlign;
  data_.resize(static_cast<std::size_t>(count_) * piece_size());
  const Path path = ActivePath();
  const detail::SimdKernels* kt = path == Path::kReference ? nullptr : &detail::KernelsFor(path);
  for (int r = 0; r < rows; ++r) {
    std::int16_t* out[detail::kMaxPieces];
    for (int p = 0; p < count_; ++p) {
      out[p] = data_.data() + p * piece_size() + static_cast<std::size_t>(r) * ld_;
      std::fill(out[p] + cols, out[p] + ld_, std::int16_t{0});
    }
    detail::SplitPiecesRow(x + static_cast<std::size_t>(r) * ld, static_cast<std::size_t>(cols), count_, out, kt);
  }
  BuildColumns(kt);
}

// The column form from the padded rows: pair t of row r is row r's elements 2t, 2t + 1
// (2t + 1 < ld: ld is even and the padding zero); rows past rows_ are zero. Moved in
// SIMD blocks by the path's kernel and written once (no clearing of the whole buffer): the
// matrix is split again at each weight update.
void WeightPieces::BuildColumns(const detail::SimdKernels* kt) {
  col_stride_ = 0;
  if (rows_ == 0 || cols_ == 0 || cols_ > kColumnFormMaxCols) {
    columns_.clear();
    return;
  }
  col_stride_ = (static_cast<std::size_t>(rows_) + kColumnAlign - 1) / kColumnAlign * kColumnAlign;
  columns_.resize(static_cast<std::size_t>(count_) * column_size());
  const std::size_t pairs = (static_cast<std::size_t>(cols_) + 1) / 2, rows = static_cast<std::size_t>(rows_);
  for (int p = 0; p < count_; ++p) {
    std::int16_t* dst = columns_.data() + static_cast<std::size_t>(p) * column_size();
    for (std::size_t t = 0; t < pairs; ++t)
      std::fill(dst + 2 * (t * col_stride_ + rows), dst + 2 * (t + 1) * col_stride_, std::int16_t{0});
    if (kt != nullptr) {
      kt->pair_columns(piece(p), ld_, rows, pairs, dst, col_stride_);
      continue;
    }
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t t = 0; t < pairs; ++t) std::memcpy(dst + 2 * (t * col_stride_ + r), piece(p) + r * ld_ + 2 * t, 4);
  }
}

// A 32-bit matrix is planned as if its maximum were at least 32768: two pieces or three;
// an int16 one stays one piece (its bound max_abs).
void WeightPieces::Split(const std::int32_t* x, int rows, int cols, int ld, std::int64_t max_abs) {
  SplitT(x, rows, cols, ld, max_abs, 32768);
}
void WeightPieces::Split(const std::int16_t* x, int rows, int cols, int ld, std::int64_t max_abs) {
  SplitT(x, rows, cols, ld, max_abs, 0);
}

void WeightPieces::Clear() {
  data_.clear();
  columns_.clear();
  count_ = rows_ = cols_ = 0;
  ld_ = col_stride_ = 0;
  max_abs_ = 0;
  std::fill(bounds_, bounds_ + detail::kMaxPieces, 0);
}

}  // namespace fixar::kern
