#include "nn/tensor.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

namespace fixar::nn {

std::span<std::int32_t> Tensor::MakeFixed(const num::Format& format, std::size_t n) {
  fixed_ = true;
  format_ = format;
  raw_.resize(n);
  return raw_;
}

std::span<double> Tensor::MakeReal(std::size_t n) {
  fixed_ = false;
  real_.resize(n);
  return real_;
}

void Tensor::Assign(TensorView v) {
  if (v.is_fixed()) {
    const auto raw = MakeFixed(v.format(), v.size());
    std::copy(v.raw().begin(), v.raw().end(), raw.begin());
  } else {
    const auto real = MakeReal(v.size());
    std::copy(v.real().begin(), v.real().end(), real.begin());
  }
}

void Tensor::ToReal() {
  if (!fixed_) return;
  real_.resize(raw_.size());
  CopyTo(real_);
  fixed_ = false;
}

void Tensor::CopyTo(std::span<double> out) const {
  if (!fixed_) {
    std::copy(real_.begin(), real_.end(), out.begin());
    return;
  }
  const double lsb = format_.lsb();
  for (std::size_t i = 0; i < raw_.size(); ++i) out[i] = static_cast<double>(raw_[i]) * lsb;
}

double Tensor::Sum() const {
  double s = 0;
  for (std::size_t i = 0; i < size(); ++i) s += value(i);
  return s;
}

void TakeColumns(TensorView x, int rows, int cols, int first, int count, Tensor& out) {
  if (x.size() != static_cast<std::size_t>(rows) * cols || first < 0 || count < 0 || first + count > cols)
    throw std::invalid_argument(fmt::format("nn::TakeColumns: columns [{}, {}) of {} rows × {} columns from {} values",
                                            first, first + count, rows, cols, x.size()));
  const std::size_t n = static_cast<std::size_t>(rows) * count;
  const auto take = [&](auto src, auto dst) {
    for (int r = 0; r < rows; ++r)
      for (int j = 0; j < count; ++j) dst[r * count + j] = src[r * cols + first + j];
  };
  if (x.is_fixed())
    take(x.raw(), out.MakeFixed(x.format(), n));
  else
    take(x.real(), out.MakeReal(n));
}

void ElementwiseMin(Tensor& a, TensorView b) {
  if (a.size() != b.size())
    throw std::invalid_argument(fmt::format("nn::ElementwiseMin: {} and {} values", a.size(), b.size()));
  if (a.is_fixed() && b.is_fixed() && a.format() == b.format()) {
    const auto raw = a.MakeFixed(a.format(), a.size());  // same size and format: the values stay
    for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = std::min(raw[i], b.raw()[i]);
    return;
  }
  a.ToReal();
  for (std::size_t i = 0; i < a.size(); ++i) a.real()[i] = std::min(a.real()[i], b.value(i));
}

}  // namespace fixar::nn
