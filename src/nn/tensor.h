// Typed values at the networks' boundary: what a network's Forward and Backward take and
// give, and what the TD targets and losses (nn/td_loss.h) compute on.
//
// A tensor is either
//   fixed  raw 32-bit integers in a num::Format (what a fixed-point network computes), or
//   real   doubles (a float network's values, which double holds exactly; and values
//          from outside the networks: observations, rewards, noise).
// Between two fixed-point networks the integers pass as they are (the actor's action
// into the critic's input, the critic's input gradient into the actor's output gradient):
// a network takes a fixed tensor in its own format without converting it, and one in
// another format, or a real one, by rounding the real value (num::FromDouble, the same
// conversion as at any boundary, nn/fixed_math.h ConvertToFixed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "numerics/format.h"

namespace fixar::nn {

class Tensor;

// A read-only view of fixed or real values (does not own them).
class TensorView {
 public:
  static TensorView Real(std::span<const double> values) { return TensorView(values, {}, {}, false); }
  static TensorView Fixed(std::span<const std::int32_t> raw, const num::Format& format) {
    return TensorView({}, raw, format, true);
  }
  TensorView(const Tensor& t);  // NOLINT(google-explicit-constructor): a tensor is its own view

  bool is_fixed() const { return fixed_; }
  std::size_t size() const { return fixed_ ? raw_.size() : real_.size(); }
  std::span<const double> real() const { return real_; }        // real tensors
  std::span<const std::int32_t> raw() const { return raw_; }    // fixed tensors
  const num::Format& format() const { return format_; }         // fixed tensors
  double value(std::size_t i) const { return fixed_ ? raw_[i] * format_.lsb() : real_[i]; }  // exact
  TensorView Slice(std::size_t offset, std::size_t count) const {
    return fixed_ ? Fixed(raw_.subspan(offset, count), format_) : Real(real_.subspan(offset, count));
  }

 private:
  TensorView(std::span<const double> real, std::span<const std::int32_t> raw, const num::Format& f, bool fixed)
      : real_(real), raw_(raw), format_(f), fixed_(fixed) {}
  std::span<const double> real_;
  std::span<const std::int32_t> raw_;
  num::Format format_;
  bool fixed_ = false;
};

// Owned fixed or real values; the buffers are reused when the tensor is filled again.
class Tensor {
 public:
  // n values to fill: raw integers in `format`, or doubles. The other buffer keeps its memory.
  std::span<std::int32_t> MakeFixed(const num::Format& format, std::size_t n);
  std::span<double> MakeReal(std::size_t n);
  void Assign(TensorView v);  // a copy of v's values and kind
  void ToReal();              // fixed → real in place (exact)

  bool is_fixed() const { return fixed_; }
  std::size_t size() const { return fixed_ ? raw_.size() : real_.size(); }
  std::span<double> real() { return real_; }
  std::span<const double> real() const { return real_; }
  std::span<const std::int32_t> raw() const { return raw_; }
  const num::Format& format() const { return format_; }
  double value(std::size_t i) const { return TensorView(*this).value(i); }
  void CopyTo(std::span<double> out) const;  // every value as double (exact); out holds size()
  double Sum() const;                        // of the values, in double, in order

 private:
  std::vector<double> real_;
  std::vector<std::int32_t> raw_;
  num::Format format_;
  bool fixed_ = false;
};

inline TensorView::TensorView(const Tensor& t)
    : TensorView(t.real(), t.raw(), t.format(), t.is_fixed()) {}

// Columns [first, first + count) of each row of a rows × cols tensor, of the same kind
// (the action part of the critic's input gradient).
void TakeColumns(TensorView x, int rows, int cols, int first, int count, Tensor& out);

// a[i] = min(a[i], b[i]) (TD3's clipped double Q). Fixed tensors of one format compare
// their integers; otherwise the values, and a becomes real. Throws for sizes that differ.
void ElementwiseMin(Tensor& a, TensorView b);

// A network's input: one tensor, or two side by side row by row (the critic's [s | a],
// s real from the replay buffer, a from the actor). The network converts each block into
// its input format; element (r, c) is element r · cols() + c of the input.
class InputColumns {
 public:
  InputColumns(TensorView all) : left_(all), right_(TensorView::Real({})) {}  // NOLINT: one block
  InputColumns(TensorView left, int left_cols, TensorView right, int right_cols)
      : left_(left), right_(right), left_cols_(left_cols), right_cols_(right_cols), two_(true) {}

  bool one_block() const { return !two_; }
  const TensorView& left() const { return left_; }    // the only block when one_block()
  const TensorView& right() const { return right_; }
  int left_cols() const { return left_cols_; }
  int right_cols() const { return right_cols_; }
  std::size_t size() const { return left_.size() + (two_ ? right_.size() : 0); }

 private:
  TensorView left_, right_;
  int left_cols_ = 0, right_cols_ = 0;
  bool two_ = false;
};

}  // namespace fixar::nn
