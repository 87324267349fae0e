#include "cnn/layers.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/matmul.h"
#include "kernels/parallel.h"
#include "numerics/random.h"
#include "numerics/rounding.h"

namespace fixar::cnn {

std::vector<float> NormalSamples(std::size_t n, double stddev, std::uint64_t seed) {
  std::vector<float> out(n);
  for (std::size_t i = 0; i < n; i += 2) {
    // 53-bit uniforms in (0, 1]; Box–Muller gives two independent normals per pair.
    const double u1 = (static_cast<double>(num::CounterRandomBits(seed, i) >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(num::CounterRandomBits(seed, i + 1) >> 11) * 0x1.0p-53;
    const double r = num::BoxMullerRadius(u1), t = num::BoxMullerAngle(u2);
    out[i] = static_cast<float>(stddev * r * std::cos(t));
    if (i + 1 < n) out[i + 1] = static_cast<float>(stddev * r * std::sin(t));
  }
  return out;
}

// ---------------------------------------------------------------- WeightLayer
WeightLayer::WeightLayer(MapShape in, int fan_in, int out, bool bias)
    : Layer(in),
      fan_in_(fan_in),
      out_(out),
      weight_(static_cast<std::size_t>(fan_in) * out),
      bias_(bias ? out : 0),
      grad_w_(weight_.size()),
      grad_b_(bias_.size()) {}

void WeightLayer::EnableBias() {
  if (!bias_.empty()) return;
  bias_.assign(out_, 0.0f);
  grad_b_.assign(out_, 0.0f);
}

void WeightLayer::Initialize(std::uint64_t seed) {
  weight_ = NormalSamples(weight_.size(), std::sqrt(2.0 / fan_in_), seed);
  std::fill(bias_.begin(), bias_.end(), 0.0f);
}

std::span<const float> WeightLayer::EffectiveWeights() {
  if (!quant_.enabled || IsFloatBits(quant_.weight_bits)) return weight_;
  weight_q_.resize(weight_.size());
  scales_ = FakeQuantWeights(weight_, out_, quant_.weight_bits, quant_.scaling, quant_.weight_clip, weight_q_);
  return weight_q_;
}

std::vector<float> WeightLayer::WeightScales() const { return scales_; }

const Tensor& WeightLayer::QuantizedInput(const Tensor& x) {
  if (!ActQuantOn()) return x;
  x_q_.Resize(x.n, x.shape);
  FakeQuantActivations(x.span(), quant_.input_range, quant_.activation_bits, x_q_.span());
  return x_q_;
}

void WeightLayer::InputSte(const Tensor& x, Tensor& dx) const {
  if (ActQuantOn()) SteMask(x.span(), quant_.input_range, dx.span());
}

std::vector<ParamRef> WeightLayer::Params() {
  std::vector<ParamRef> p{{weight_, grad_w_, true}};
  if (!bias_.empty()) p.push_back({bias_, grad_b_, false});
  return p;
}

void WeightLayer::SaveState(util::ByteWriter& w) const {
  w.PutVector(weight_);
  w.PutVector(bias_);
}

void WeightLayer::LoadState(util::ByteReader& r) {
  weight_ = r.GetVector<float>(weight_.size());
  auto b = r.GetVector<float>();
  if (!b.empty() && b.size() != static_cast<std::size_t>(out_))
    throw std::runtime_error(fmt::format("layer {}: stored bias has {} values, expected {}", name, b.size(), out_));
  bias_ = std::move(b);
  grad_b_.assign(bias_.size(), 0.0f);
}

// ---------------------------------------------------------------- Conv2d
Conv2d::Conv2d(MapShape in, int out_channels, int kernel, int stride, int padding, bool bias)
    : WeightLayer(in, in.c * kernel * kernel, out_channels, bias),
      geom_{in.c, in.h, in.w, out_channels, kernel, stride, padding} {}

std::string Conv2d::Describe() const {
  return fmt::format("conv {}->{} k{} s{} p{}", geom_.c_in, geom_.c_out, geom_.kernel, geom_.stride, geom_.padding);
}

void Conv2d::Forward(const Tensor& x, Tensor& y, Mode) {
  const auto w = EffectiveWeights();
  const Tensor& xin = QuantizedInput(x);
  y.Resize(x.n, OutputShape());
  ConvForward(geom_, x.n, xin.data.data(), w.data(), bias_.empty() ? nullptr : bias_.data(), y.data.data());
}

void Conv2d::Backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  // Forward left weight_q_ / x_q_ in place; the STE differentiates through them as identity.
  const float* w = (quant_.enabled && !IsFloatBits(quant_.weight_bits)) ? weight_q_.data() : weight_.data();
  const Tensor& xin = ActQuantOn() ? x_q_ : x;
  if (dx) dx->Resize(x.n, x.shape);
  ConvBackward(geom_, x.n, xin.data.data(), w, dy.data.data(), grad_w_.data(),
               grad_b_.empty() ? nullptr : grad_b_.data(), dx ? dx->data.data() : nullptr);
  if (dx) InputSte(x, *dx);
}

// ---------------------------------------------------------------- Linear
Linear::Linear(MapShape in, int out_features, bool bias)
    : WeightLayer(in, static_cast<int>(in.size()), out_features, bias) {}

std::string Linear::Describe() const { return fmt::format("linear {}->{}", fan_in_, out_); }

void Linear::Forward(const Tensor& x, Tensor& y, Mode) {
  const auto w = EffectiveWeights();
  const Tensor& xin = QuantizedInput(x);
  y.Resize(x.n, OutputShape());
  kern::MatMul<float>(
      {kern::Layout::kNT, x.n, out_, fan_in_, xin.data.data(), fan_in_, w.data(), fan_in_, y.data.data(), out_});
  if (!bias_.empty())
    for (int s = 0; s < x.n; ++s)
      for (int j = 0; j < out_; ++j) y.data[static_cast<std::size_t>(s) * out_ + j] += bias_[j];
}

void Linear::Backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  const float* w = (quant_.enabled && !IsFloatBits(quant_.weight_bits)) ? weight_q_.data() : weight_.data();
  const Tensor& xin = ActQuantOn() ? x_q_ : x;
  // dW = dyᵀ·x (out x in), db = Σ_rows dy, dx = dy·W.
  kern::MatMul<float>({kern::Layout::kTN, out_, fan_in_, x.n, dy.data.data(), out_, xin.data.data(), fan_in_,
                       grad_w_.data(), fan_in_});
  if (!grad_b_.empty()) {
    std::fill(grad_b_.begin(), grad_b_.end(), 0.0f);
    for (int s = 0; s < x.n; ++s)
      for (int j = 0; j < out_; ++j) grad_b_[j] += dy.data[static_cast<std::size_t>(s) * out_ + j];
  }
  if (dx) {
    dx->Resize(x.n, x.shape);
    kern::MatMul<float>(
        {kern::Layout::kNN, x.n, fan_in_, out_, dy.data.data(), out_, w, fan_in_, dx->data.data(), fan_in_});
    InputSte(x, *dx);
  }
}

// ---------------------------------------------------------------- BatchNorm2d
BatchNorm2d::BatchNorm2d(MapShape in)
    : Layer(in),
      gamma(in.c, 1.0f),
      beta(in.c, 0.0f),
      running_mean(in.c, 0.0f),
      running_var(in.c, 1.0f),
      grad_gamma_(in.c),
      grad_beta_(in.c),
      batch_mean_(in.c),
      batch_invstd_(in.c),
      batch_var_(in.c) {}

std::string BatchNorm2d::Describe() const { return fmt::format("batchnorm {}", in_.c); }

void BatchNorm2d::Forward(const Tensor& x, Tensor& y, Mode mode) {
  y.Resize(x.n, x.shape);
  const int hw = x.shape.h * x.shape.w;
  if (mode == Mode::kEval) {
    BatchNormForwardEval(x.n, in_.c, hw, x.data.data(), gamma.data(), beta.data(), running_mean.data(),
                         running_var.data(), eps, y.data.data());
    return;
  }
  BatchNormForwardTrain(x.n, in_.c, hw, x.data.data(), gamma.data(), beta.data(), eps, y.data.data(),
                        batch_mean_.data(), batch_invstd_.data(), batch_var_.data());
  const double m = static_cast<double>(x.n) * hw;
  const double unbias = m > 1 ? m / (m - 1) : 1.0;
  for (int c = 0; c < in_.c; ++c) {
    running_mean[c] = (1 - momentum) * running_mean[c] + momentum * batch_mean_[c];
    running_var[c] = (1 - momentum) * running_var[c] + momentum * static_cast<float>(batch_var_[c] * unbias);
  }
}

void BatchNorm2d::Backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (dx) dx->Resize(x.n, x.shape);
  BatchNormBackward(x.n, in_.c, x.shape.h * x.shape.w, x.data.data(), gamma.data(), batch_mean_.data(),
                    batch_invstd_.data(), dy.data.data(), dx ? dx->data.data() : nullptr, grad_gamma_.data(),
                    grad_beta_.data());
}

std::vector<ParamRef> BatchNorm2d::Params() { return {{gamma, grad_gamma_, false}, {beta, grad_beta_, false}}; }

void BatchNorm2d::SaveState(util::ByteWriter& w) const {
  w.PutVector(gamma), w.PutVector(beta), w.PutVector(running_mean), w.PutVector(running_var);
}
void BatchNorm2d::LoadState(util::ByteReader& r) {
  const std::size_t c = in_.c;
  gamma = r.GetVector<float>(c), beta = r.GetVector<float>(c);
  running_mean = r.GetVector<float>(c), running_var = r.GetVector<float>(c);
}

std::vector<float> BatchNorm2d::EvalScale() const {
  std::vector<float> s(in_.c);
  for (int c = 0; c < in_.c; ++c) s[c] = gamma[c] / std::sqrt(running_var[c] + eps);
  return s;
}
std::vector<float> BatchNorm2d::EvalShift() const {
  const auto s = EvalScale();
  std::vector<float> t(in_.c);
  for (int c = 0; c < in_.c; ++c) t[c] = beta[c] - running_mean[c] * s[c];
  return t;
}

// ---------------------------------------------------------------- ReLU, pools, flatten
// Raw restrict pointers: through the vectors' operator[] the compiler could not rule out
// aliasing and kept these loops scalar (perf: ReLU's backward pass was 11 % of a step).
// Blocks of kReluBlock values are the parallel tasks (fixed: elementwise, so any split
// gives the same bits).
namespace {
constexpr std::size_t kReluBlock = 1 << 15;
template <typename Fn>
void ForBlocks(std::size_t n, const Fn& fn) {
  const int blocks = static_cast<int>((n + kReluBlock - 1) / kReluBlock);
  kern::ParallelFor(blocks, [&](int b) {
    const std::size_t lo = static_cast<std::size_t>(b) * kReluBlock;
    fn(lo, std::min(n, lo + kReluBlock));
  });
}
}  // namespace

void Relu::Forward(const Tensor& x, Tensor& y, Mode) {
  y.Resize(x.n, x.shape);
  const float* __restrict in = x.data.data();
  float* __restrict out = y.data.data();
  ForBlocks(x.data.size(), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const float v = in[i];
      out[i] = v > 0.0f ? v : 0.0f;
    }
  });
}
void Relu::Backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->Resize(x.n, x.shape);
  const float* __restrict out = y.data.data();
  const float* __restrict g = dy.data.data();
  float* __restrict d = dx->data.data();
  ForBlocks(y.data.size(), [&](std::size_t lo, std::size_t hi) {
    for (std::size_t i = lo; i < hi; ++i) {
      const float gi = g[i];  // loaded unconditionally: a conditional load kept the loop scalar
      d[i] = out[i] > 0.0f ? gi : 0.0f;
    }
  });
}

Pool2d::Pool2d(MapShape in, LayerType type, int kernel, int stride)
    : Layer(in), type_(type), geom_{in.c, in.h, in.w, kernel, stride} {
  if (type != LayerType::kMaxPool && type != LayerType::kAvgPool)
    throw std::invalid_argument(fmt::format("Pool2d: type '{}' is not a pool; valid: maxpool, avgpool", to_string(type)));
}
std::string Pool2d::Describe() const {
  return fmt::format("{} k{} s{}", to_string(type_), geom_.kernel, geom_.stride);
}
void Pool2d::Forward(const Tensor& x, Tensor& y, Mode) {
  y.Resize(x.n, OutputShape());
  if (type_ == LayerType::kMaxPool) {
    argmax_.resize(y.data.size());
    MaxPoolForward(geom_, x.n, x.data.data(), y.data.data(), argmax_.data());
  } else {
    AvgPoolForward(geom_, x.n, x.data.data(), y.data.data());
  }
}
void Pool2d::Backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->Resize(x.n, x.shape);
  if (type_ == LayerType::kMaxPool)
    MaxPoolBackward(geom_, x.n, dy.data.data(), argmax_.data(), dx->data.data());
  else
    AvgPoolBackward(geom_, x.n, dy.data.data(), dx->data.data());
}

void Flatten::Forward(const Tensor& x, Tensor& y, Mode) {
  y.n = x.n;
  y.shape = OutputShape();
  y.data = x.data;
}
void Flatten::Backward(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (!dx) return;
  dx->n = x.n;
  dx->shape = x.shape;
  dx->data = dy.data;
}

std::string Add::Describe() const { return fmt::format("add input of layer {}", from + 1); }

void Add::Forward(const Tensor& x, Tensor& y, Mode) {
  if (!skip || skip->n != x.n || !(skip->shape == x.shape))
    throw std::logic_error(fmt::format("{}: the shortcut tensor is not set or not shaped like the input", name));
  y.Resize(x.n, x.shape);
  for (std::size_t k = 0; k < x.data.size(); ++k) y.data[k] = x.data[k] + skip->data[k];
}

void Add::Backward(const Tensor&, const Tensor&, const Tensor& dy, Tensor* dx) {
  if (dx) *dx = dy;
}

}  // namespace fixar::cnn
