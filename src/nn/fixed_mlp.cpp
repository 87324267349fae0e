// The bit-accurate fixed-point network, with FIXAR's quantization-aware training.
//
// Datapath of layer l (all integer; formats from the PrecisionPolicy):
//   forward   acc = X·Wᵀ exactly;  + b;  requantize to the 32-bit activation format
//             (ReLU in the output stage);  tanh by table where asked;  then, after the
//             QAT switch, narrow to the next layer's input format.
//   backward  G ⊙ relu'(Y) or G·(1 − Y²);  dW = Gᵀ·X,  db = Σ G,  dX = G·W, each
//             accumulated exactly and requantized to its gradient format: one per layer
//             for dW and db, one per layer input for G and dX, each chosen from the
//             ranges it has seen (nn/gradient_format.h) unless the policy fixes them.
//   update    fixed-point Adam (optim.h) on the 32-bit master weights.
//
// Algorithm 1 (fixar.md): before the delay d the inputs of every layer are recorded
// (running min/max); at d they freeze into n-bit formats, after which every layer input
// (the values the PE array multiplies) is quantized with them. Network outputs (action,
// Q value) stay 32-bit. With a weight width below 32 (wXaY policies) the layers also
// compute with a narrowed copy of the weights while the master copy takes the updates.
//
// Stochastic rounding: every rounding site of a call draws its bits from
// num::RoundingSeed(stream, step, site), element i from CounterRandomBits(seed, i); the
// stream comes from the network's seed and name, the step counts this network's calls
// (checkpointed), the site names the tensor (RoundingSite below).
#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/elementwise.h"
#include "kernels/weight_pieces.h"
#include "nn/export.h"
#include "nn/fixed_math.h"
#include "nn/mlp.h"
#include "numerics/observer.h"
#include "numerics/quantizer.h"
#include "numerics/rounding.h"
#include "util/binary_io.h"
#include "util/log.h"

namespace fixar::nn {
namespace {

using num::Format;
using num::int128;

// An integer matrix stored as int16 (formats of at most 16 bits) or int32.
struct IntBuffer {
  std::vector<std::int16_t> i16;
  std::vector<std::int32_t> i32;
  Format fmt;
  bool narrow = false;  // values live in i16
  const std::int32_t* master = nullptr;  // int32 values owned elsewhere (the master weights), instead of i32
  std::int64_t max_abs = -1;  // max |value| when known (the compute weights, per update); -1: the product scans
  kern::WeightPieces pieces;  // the compute weights as int16 pieces (kern::GemmArgs::b_pieces), when split
  bool pieces_stale = true;   // the weights changed since `pieces` was split

  const std::int32_t* data32() const { return master ? master : i32.data(); }
  std::int64_t at(std::size_t i) const { return narrow ? i16[i] : data32()[i]; }
};

struct FixedLayer {
  int in = 0, out = 0;
  std::vector<std::int32_t> W, b, dW, db;  // master weights (policy.weight), gradients (dw_format)
  Format dw_format;                        // of dW and db as last computed
  Format adam_format;                      // the gradient format Adam's m and r are kept for
  DynamicGradientFormat dw_rule;           // chooses dw_format for the next backward pass
  FixedAdam adam_W, adam_b;
  IntBuffer Wc;                            // the weights the datapath multiplies (narrowed copy or W)
  // b at the accumulator scale of the last forward (frac bits bias_acc_frac); recomputed
  // when the parameters change (RefreshComputeWeights) or the input format does.
  std::vector<std::int64_t> bias_acc;
  int bias_acc_frac = std::numeric_limits<int>::min();  // min: not computed
  std::uint64_t saturations = 0, values = 0;
};

// Runs one exact integer product with whichever operand types the buffers hold.
// a_max / b_max: the operands' known max |value| (IntBuffer::max_abs), or -1.
template <typename TA, typename TB>
kern::Stats Run(kern::Layout layout, int M, int N, int K, const TA* A, int lda, const TB* B, int ldb,
                std::int32_t* C, const kern::OutputStage& st, kern::Split split, std::int64_t a_max = -1,
                std::int64_t b_max = -1, const kern::WeightPieces* b_pieces = nullptr) {
  return kern::Gemm(kern::GemmArgs<TA, TB, std::int32_t>{.layout = layout, .M = M, .N = N, .K = K, .A = A, .lda = lda,
                                                          .B = B, .ldb = ldb, .C = C, .ldc = N, .split = split,
                                                          .a_max_abs = a_max, .b_max_abs = b_max,
                                                          .b_pieces = b_pieces},
                    st);
}

template <typename TA>
kern::Stats RunB(kern::Layout layout, int M, int N, int K, const TA* A, int lda, const IntBuffer& B, int ldb,
                 std::int32_t* C, const kern::OutputStage& st, kern::Split split, std::int64_t a_max = -1) {
  const kern::WeightPieces* pieces = B.pieces.empty() || B.pieces_stale ? nullptr : &B.pieces;
  return B.narrow ? Run(layout, M, N, K, A, lda, B.i16.data(), ldb, C, st, split, a_max, B.max_abs, pieces)
                  : Run(layout, M, N, K, A, lda, B.data32(), ldb, C, st, split, a_max, B.max_abs, pieces);
}

kern::Stats MultiplyIntBuffers(kern::Layout layout, int M, int N, int K, const IntBuffer& A, int lda, const IntBuffer& B, int ldb,
                  std::int32_t* C, const kern::OutputStage& st, kern::Split split) {
  return A.narrow ? RunB(layout, M, N, K, A.i16.data(), lda, B, ldb, C, st, split, A.max_abs)
                  : RunB(layout, M, N, K, A.data32(), lda, B, ldb, C, st, split, A.max_abs);
}

// The compute weights (out x in, max_abs known) as int16 pieces, so that no product splits
// them. The kernels use them for a batch-1 product (the GEMV on pieces) and, for 32-bit
// weights, in batched piece products: 32-bit weights are split when they change (every
// network multiplies them in pieces); int16 weights only at their first batch-1 product
// (the actor's action), since batched products multiply them as they are and a network
// may run no batch-1 product between two updates (the critics, the targets).
void PrepareWeightPieces(IntBuffer& w, int out, int in, int batch) {
  if (!w.pieces_stale || (w.narrow && batch > 1)) return;
  if (w.narrow)
    w.pieces.Split(w.i16.data(), out, in, in, w.max_abs);
  else
    w.pieces.Split(w.data32(), out, in, in, w.max_abs);
  w.pieces_stale = false;
}

std::int64_t MaxAbsOf(const IntBuffer& b, std::size_t n) {
  if (!b.narrow) return kern::MaxAbs(std::span(b.data32(), n));
  return kern::MaxAbs(std::span(b.i16.data(), n));
}

// The tensors of one call that round: the site of RoundingSeed is kind · 64 + layer.
enum class RoundingSite : std::uint64_t {
  kInput, kForward, kTanh, kLayerInput, kOutputGrad, kTanhGrad, kWeightGrad, kBiasGrad, kInputGrad,
  kAdamW, kAdamB, kSoftW, kSoftB, kNarrowWeights,
};

class FixedMlp final : public Mlp {
 public:
  FixedMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed) : Mlp(spec, policy) {
    std::vector<std::vector<double>> biases;
    const auto weights = InitialWeights(seed, &biases);
    std::uint64_t sat = 0;
    for (std::size_t l = 0; l < weights.size(); ++l) {
      FixedLayer L;
      L.in = spec.sizes[l];
      L.out = spec.sizes[l + 1];
      L.W.resize(weights[l].size());
      L.b.resize(biases[l].size());
      QuantizeToFixed(weights[l], policy.weight, num::Quant::kHalfEven, num::Overflow::kSaturate, L.W, &sat);
      QuantizeToFixed(biases[l], policy.weight, num::Quant::kHalfEven, num::Overflow::kSaturate, L.b, &sat);
      L.dW.assign(L.W.size(), 0);
      L.db.assign(L.b.size(), 0);
      L.dw_format = L.adam_format = policy.gradient;
      L.dw_rule = DynamicGradientFormat(policy.gradient);
      L.adam_W.Resize(L.W.size());
      L.adam_b.Resize(L.b.size());
      layers_.push_back(std::move(L));
    }
    const std::size_t n = layers_.size();
    acts_.resize(n + 1);
    observers_.assign(n + 1, num::RangeObserver(num::RangeKind::kRunning));
    input_formats_.assign(n, policy.activation);
    affine_.resize(n);
    grad_rules_.assign(n + 1, DynamicGradientFormat(policy.gradient));
    rounding_stream_ = num::CounterRandomBits(seed, util::Fnv1a64(reinterpret_cast<const std::uint8_t*>(spec.name.data()),
                                                                  spec.name.size()));
    RefreshComputeWeights();
  }
  // The compute weights may point into the master weights: no copies.
  FixedMlp(const FixedMlp&) = delete;
  FixedMlp& operator=(const FixedMlp&) = delete;

  void Forward(const InputColumns& x, int batch, Tensor& y) override {
    CheckInput(x, batch);
    batch_ = batch;
    ++rounding_step_;
    const kern::Split split = SplitFor(batch);
    const std::size_t n = layers_.size();
    // The network input enters in the 32-bit activation format, then like every layer input.
    wide_.resize(x.size());
    QuantizeInput(x, batch);
    StoreLayerInput(0, wide_);
    for (std::size_t l = 0; l < n; ++l) {
      FixedLayer& L = layers_[l];
      const IntBuffer& X = acts_[l];
      const Activation act = l + 1 == n ? spec_.output : spec_.hidden;
      // acc = X·Wᵀ + b at frac(X) + frac(W); out: the 32-bit activation format.
      kern::OutputStage st;
      st.acc_frac_bits = X.fmt.frac_bits + L.Wc.fmt.frac_bits;
      st.out = policy_.activation;
      st.quant = policy_.rounding;
      st.overflow = policy_.overflow;
      st.relu = act == Activation::kRelu;
      st.seed = Seed(RoundingSite::kForward, l);
      if (L.bias_acc_frac != st.acc_frac_bits) {
        L.bias_acc.resize(L.out);
        for (int j = 0; j < L.out; ++j)  // bias from the master format to the accumulator's scale
          L.bias_acc[j] = static_cast<std::int64_t>(
              num::Requantize(L.b[j], policy_.weight.frac_bits, num::Signed(64, st.acc_frac_bits), num::Quant::kFloor,
                              num::Overflow::kSaturate));
        L.bias_acc_frac = st.acc_frac_bits;
      }
      st.bias = L.bias_acc.data();
      wide_.resize(static_cast<std::size_t>(batch) * L.out);
      PrepareWeightPieces(L.Wc, L.out, L.in, batch);
      const kern::Stats ks = MultiplyIntBuffers(kern::Layout::kNT, batch, L.out, L.in, X, L.in, L.Wc, L.in, wide_.data(), st, split);
      L.saturations += ks.saturations;
      L.values += wide_.size();
      if (act == Activation::kTanh) {
        const std::uint64_t seed = Seed(RoundingSite::kTanh, l);
        const bool sr = policy_.rounding == num::Quant::kStochastic;
        for (std::size_t i = 0; i < wide_.size(); ++i)
          wide_[i] = static_cast<std::int32_t>(FixedTanh(wide_[i], policy_.activation, policy_.activation,
                                                         policy_.rounding, &L.saturations,
                                                         sr ? num::CounterRandomBits(seed, i) : 0));
      }
      if (l + 1 < n) {
        StoreLayerInput(l + 1, wide_);
      } else {
        IntBuffer& Y = acts_[n];
        Y.fmt = policy_.activation;
        Y.narrow = false;
        Y.i32.swap(wide_);  // wide_ is scratch: resized before its next use
        if (!switched_) observers_[n].Observe(Y.i32.data(), static_cast<int>(Y.i32.size()), Y.fmt.lsb());
        const std::span<std::int32_t> out = y.MakeFixed(Y.fmt, Y.i32.size());
        std::copy(Y.i32.begin(), Y.i32.end(), out.begin());
      }
    }
    if (pending_switch_) SwitchToQuantized();
  }

  void Backward(TensorView dy, Tensor* dx, bool param_grads) override {
    CheckSize("Backward dy", dy.size(), static_cast<std::size_t>(batch_) * outputs());
    ++rounding_step_;
    const kern::Split split = SplitFor(batch_);
    const int n = static_cast<int>(layers_.size());
    // gf: the format of the gradient with respect to the current layer's output (grad_).
    Format gf = grad_rules_[n].format();
    grad_.resize(dy.size());
    std::uint64_t sat = 0;
    ConvertToFixed(dy, gf, policy_.rounding, policy_.overflow, grad_, &sat, Seed(RoundingSite::kOutputGrad, 0));
    layers_.back().saturations += sat;
    grad_rules_[n].Observe(grad_.data(), grad_.size(), sat, policy_.gradient_rule);
    for (int l = n - 1; l >= 0; --l) {
      FixedLayer& L = layers_[l];
      const Activation act = l + 1 == n ? spec_.output : spec_.hidden;
      ActivationGradient(l, act, gf);
      IntBuffer G;  // view the gradient as an int32 buffer for the kernels
      G.fmt = gf;
      G.i32.swap(grad_);
      if (param_grads) WeightGradients(l, G);
      const bool need_dx = l > 0 || dx;
      if (need_dx) {
        // dX[batch×in] = G·W at frac(G) + frac(W), into the format of layer l's input gradient.
        kern::OutputStage st;
        st.out = grad_rules_[l].format();
        st.quant = policy_.rounding;
        st.overflow = policy_.overflow;
        st.seed = Seed(RoundingSite::kInputGrad, l);
        st.acc_frac_bits = gf.frac_bits + L.Wc.fmt.frac_bits;
        prev_grad_.resize(static_cast<std::size_t>(batch_) * L.in);
        PrepareWeightPieces(L.Wc, L.out, L.in, batch_);
        const kern::Stats ks = MultiplyIntBuffers(kern::Layout::kNN, batch_, L.in, L.out, G, L.out, L.Wc, L.in, prev_grad_.data(),
                                     st, split);
        L.saturations += ks.saturations;
        L.values += prev_grad_.size();
        grad_rules_[l].Observe(prev_grad_.data(), prev_grad_.size(), ks.saturations, policy_.gradient_rule);
        gf = st.out;
      }
      grad_.swap(G.i32);
      grad_.swap(prev_grad_);
    }
    if (dx) {
      const std::span<std::int32_t> out = dx->MakeFixed(gf, grad_.size());
      std::copy(grad_.begin(), grad_.end(), out.begin());
    }
  }

  void AdamStep(const AdamConfig& cfg) override {
    ++adam_t_;
    ++rounding_step_;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      FixedLayer& L = layers_[l];
      if (!(L.adam_format == L.dw_format)) {  // the gradient format moved: m and r follow it
        L.saturations += L.adam_W.Rescale(L.adam_format, L.dw_format) + L.adam_b.Rescale(L.adam_format, L.dw_format);
        L.adam_format = L.dw_format;
      }
      const FixedAdamFormats f{policy_.weight, L.dw_format, RmsFormat(L.dw_format), policy_.rounding, policy_.overflow};
      L.saturations += L.adam_W.Step(cfg, adam_t_, f, L.W, L.dW, Seed(RoundingSite::kAdamW, l));
      L.saturations += L.adam_b.Step(cfg, adam_t_, f, L.b, L.db, Seed(RoundingSite::kAdamB, l));
    }
    RefreshComputeWeights();
  }

  void SoftUpdateFrom(const Network& online, double tau) override {
    // w ← τ·w_online + (1−τ)·w with τ in Q30 and 1−τ = 2^30 − τ (an exact convex
    // combination; each product < 2^61, so 64-bit integers hold it exactly).
    const auto& o = AsSameKind(online);
    const std::int64_t t = std::llround(std::ldexp(tau, 30));  // kern::SoftUpdate forms 1−τ as 2^30 − τ
    ++rounding_step_;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      kern::SoftUpdate(t, policy_.rounding, o.layers_[l].W, layers_[l].W, Seed(RoundingSite::kSoftW, l));
      kern::SoftUpdate(t, policy_.rounding, o.layers_[l].b, layers_[l].b, Seed(RoundingSite::kSoftB, l));
    }
    RefreshComputeWeights();
  }

  // Weights and biases; with dynamic gradient formats on both sides also the formats they
  // have reached (a twin at the same weights then computes the same gradients).
  void CopyParametersFrom(const Network& other) override {
    const auto& o = AsSameKind(other);
    const bool formats = policy_.gradient_rule.dynamic && o.policy_.gradient_rule.dynamic &&
                         o.policy_.gradient.word_bits == policy_.gradient.word_bits;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      layers_[l].W = o.layers_[l].W;
      layers_[l].b = o.layers_[l].b;
      if (formats) {
        layers_[l].dw_rule = o.layers_[l].dw_rule;
        layers_[l].dw_format = o.layers_[l].dw_format;
      }
    }
    if (formats) grad_rules_ = o.grad_rules_;
    RefreshComputeWeights();
  }

  bool SetTrainingStep(std::int64_t step) override {
    if (!policy_.has_qat() || switched_ || step < policy_.qat_delay) return false;
    pending_switch_ = true;
    for (const auto& o : observers_)
      if (o.empty()) return false;  // nothing recorded yet: switch after the next Forward
    SwitchToQuantized();
    return true;
  }
  bool quantized() const override { return switched_; }

  // The datapath's integers and formats as Forward uses them (nn/export.h).
  FixedExport Export() const {
    FixedExport e;
    e.name = spec_.name;
    e.policy = policy_;
    e.quantized = switched_;
    e.switch_pending = pending_switch_;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const FixedLayer& L = layers_[l];
      if (affine_[l]) e.affine_inputs = true;
      FixedLayerExport x;
      x.in = L.in;
      x.out = L.out;
      x.activation = l + 1 == layers_.size() ? spec_.output : spec_.hidden;
      x.weight_format = L.Wc.fmt;
      x.weights.resize(L.W.size());
      for (std::size_t i = 0; i < L.W.size(); ++i) x.weights[i] = static_cast<std::int32_t>(L.Wc.at(i));
      x.bias = L.b;
      x.bias_format = policy_.weight;
      x.input_format = switched_ ? input_formats_[l] : policy_.activation;
      e.layers.push_back(std::move(x));
    }
    return e;
  }

  std::vector<LayerStats> Stats() const override {
    std::vector<LayerStats> s;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      LayerStats st;
      st.name = fmt::format("{}.fc{}", spec_.name, l + 1);
      st.activation_format = l + 1 < layers_.size() ? input_formats_[l + 1] : policy_.activation;
      st.gradient_format = layers_[l].dw_format;
      const auto& o = observers_[l + 1];
      st.range_min = o.empty() ? 0.0 : o.min();
      st.range_max = o.empty() ? 0.0 : o.max();
      st.saturations = layers_[l].saturations;
      st.values = layers_[l].values;
      s.push_back(st);
    }
    return s;
  }
  void ResetStats() override {
    for (FixedLayer& L : layers_) L.saturations = L.values = 0;
  }

  std::vector<double> ParametersAsDouble() const override {
    std::vector<double> p;
    for (const FixedLayer& L : layers_) {
      for (auto v : L.W) p.push_back(num::ToDouble(v, policy_.weight));
      for (auto v : L.b) p.push_back(num::ToDouble(v, policy_.weight));
    }
    return p;
  }
  void SetParametersFromDouble(std::span<const double> p) override {
    CheckParameterCount(p.size());
    std::size_t i = 0;
    for (FixedLayer& L : layers_)
      for (auto* v : {&L.W, &L.b})
        for (auto& x : *v) x = static_cast<std::int32_t>(num::FromDouble(p[i++], policy_.weight, policy_.rounding));
    RefreshComputeWeights();
  }
  std::vector<double> GradientsAsDouble() const override {
    std::vector<double> p;
    for (const FixedLayer& L : layers_) {
      for (auto v : L.dW) p.push_back(num::ToDouble(v, L.dw_format));
      for (auto v : L.db) p.push_back(num::ToDouble(v, L.dw_format));
    }
    return p;
  }

  void Save(util::ByteWriter& w) const override {
    w.Put(adam_t_);
    w.Put<std::uint8_t>(switched_);
    w.Put<std::uint8_t>(pending_switch_);
    w.Put(rounding_step_);
    for (const FixedLayer& L : layers_) {
      for (const auto* v : {&L.W, &L.b}) w.PutVector(*v);
      for (const auto* v : {&L.adam_W.m, &L.adam_W.rms, &L.adam_b.m, &L.adam_b.rms}) w.PutVector(*v);
      w.Put<std::int32_t>(L.dw_format.frac_bits);
      w.Put<std::int32_t>(L.adam_format.frac_bits);
      L.dw_rule.Save(w);
    }
    for (const auto& g : grad_rules_) g.Save(w);
    for (const auto& o : observers_) {
      w.Put(o.observations());
      w.Put(o.empty() ? 0.0 : o.min());
      w.Put(o.empty() ? 0.0 : o.max());
    }
  }
  void Load(util::ByteReader& r) override {
    adam_t_ = r.Get<std::int64_t>();
    const bool switched = r.Get<std::uint8_t>() != 0;
    pending_switch_ = r.Get<std::uint8_t>() != 0;
    rounding_step_ = r.Get<std::uint64_t>();
    for (FixedLayer& L : layers_) {
      for (auto* v : {&L.W, &L.b}) *v = r.GetVector<std::int32_t>(v->size());
      for (auto* v : {&L.adam_W.m, &L.adam_W.rms, &L.adam_b.m, &L.adam_b.rms}) *v = r.GetVector<std::int64_t>(v->size());
      L.dw_format.frac_bits = r.Get<std::int32_t>();
      L.adam_format.frac_bits = r.Get<std::int32_t>();
      L.dw_rule.Load(r);
    }
    for (auto& g : grad_rules_) g.Load(r);
    for (auto& o : observers_) {
      const auto count = r.Get<std::int64_t>();
      const double lo = r.Get<double>(), hi = r.Get<double>();
      o.Reset();
      if (count > 0) {  // replay the recorded range as one observation of its two ends
        const double ends[2] = {lo, hi};
        o.Observe(ends, 2);
      }
    }
    switched_ = false;
    if (switched) SwitchToQuantized();
    RefreshComputeWeights();
  }

 private:
  // The network input into wide_ in the 32-bit activation format, block by block; element
  // i of the input rounds with the random bits of index i (one block: as one span).
  void QuantizeInput(const InputColumns& x, int batch) {
    const std::uint64_t seed = Seed(RoundingSite::kInput, 0);
    const auto convert = [&](TensorView v, std::span<std::int32_t> out, std::size_t first) {
      ConvertToFixed(v, policy_.activation, policy_.rounding, policy_.overflow, out, &layers_[0].saturations, seed,
                     first);
    };
    if (x.one_block()) {
      convert(x.left(), wide_, 0);
      return;
    }
    const std::size_t cl = x.left_cols(), cr = x.right_cols(), c = cl + cr;
    const std::span<std::int32_t> wide(wide_);
    for (std::size_t r = 0; r < static_cast<std::size_t>(batch); ++r) {
      convert(x.left().Slice(r * cl, cl), wide.subspan(r * c, cl), r * c);
      convert(x.right().Slice(r * cr, cr), wide.subspan(r * c + cl, cr), r * c + cl);
    }
  }

  // Stores the (32-bit) values `wide` as the input of layer l: recorded before the
  // switch, narrowed to the layer's input format after it.
  // `wide` is scratch: before the switch its buffer is swapped into the layer input.
  void StoreLayerInput(std::size_t l, std::vector<std::int32_t>& wide) {
    IntBuffer& X = acts_[l];
    FixedLayer& owner = layers_[l == 0 ? 0 : l - 1];  // saturations count against the producing layer
    if (!switched_) {
      observers_[l].Observe(wide.data(), static_cast<int>(wide.size()), policy_.activation.lsb());
      X.fmt = policy_.activation;
      X.narrow = false;
      X.i32.swap(wide);
      return;
    }
    const Format& f = input_formats_[l];
    X.fmt = f;
    if (affine_[l]) {
      // The paper's quantizer, fake-quantized: code = floor(A/δ) + z, value (code − z)·δ,
      // rounded back onto the 32-bit activation grid.
      X.narrow = false;
      X.i32.resize(wide.size());
      const auto& q = *affine_[l];
      const double lsb = policy_.activation.lsb();
      for (std::size_t i = 0; i < wide.size(); ++i)
        X.i32[i] = static_cast<std::int32_t>(num::FromDouble(q.Dequantize(q.Quantize(wide[i] * lsb, &owner.saturations)),
                                                             f, num::Quant::kHalfEven, num::Overflow::kSaturate));
      return;
    }
    X.narrow = f.word_bits <= 16;
    const std::uint64_t seed = Seed(RoundingSite::kLayerInput, l);
    if (X.narrow) {
      X.i16.resize(wide.size());
      owner.saturations += kern::RequantizeBuffer(wide, policy_.activation.frac_bits, f, policy_.rounding,
                                                  num::Overflow::kSaturate, std::span<std::int16_t>(X.i16), seed);
    } else {
      X.i32.resize(wide.size());
      owner.saturations += kern::RequantizeBuffer(wide, policy_.activation.frac_bits, f, policy_.rounding,
                                                  num::Overflow::kSaturate, std::span<std::int32_t>(X.i32), seed);
    }
  }

  // Algorithm 1, t = d: freeze the recorded ranges into the layer-input formats.
  void SwitchToQuantized() {
    for (const auto& o : observers_)
      if (o.empty()) return;  // still nothing recorded; Forward retries
    const int bits = policy_.qat_activation_bits;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const auto& o = observers_[l];
      const double widen = std::ldexp(1.0, policy_.qat_range_headroom_bits);
      if (policy_.qat_quantizer == QatQuantizer::kAffine) {
        affine_[l] = num::AffineQuantizer::FromRange(widen * std::min(o.min(), 0.0), widen * std::max(o.max(), 0.0),
                                                     bits);
        input_formats_[l] = policy_.activation;
      } else {
        input_formats_[l] = num::PowerOfTwoFormat(widen * o.max_abs(), bits);
      }
      util::LogDebug("{}: QAT switch: input of fc{} range [{:.4g}, {:.4g}] -> {}", spec_.name, l + 1, o.min(), o.max(),
                     policy_.qat_quantizer == QatQuantizer::kAffine
                         ? fmt::format("affine {} bits, delta {:.3g}", bits, affine_[l]->delta)
                         : input_formats_[l].to_string());
    }
    switched_ = true;
    pending_switch_ = false;
    RefreshComputeWeights();
  }

  // The weights the datapath multiplies: the master copy, or (after the switch, for
  // weight widths below 32) a copy narrowed to a power-of-two format of the current range.
  void RefreshComputeWeights() {
    const bool narrow_weights = switched_ && policy_.qat_weight_bits < policy_.weight.word_bits;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      FixedLayer& L = layers_[l];
      L.bias_acc_frac = std::numeric_limits<int>::min();  // b may have changed: realign at the next forward
      IntBuffer& C = L.Wc;
      if (!narrow_weights) {
        C.fmt = policy_.weight;
        C.narrow = policy_.weight.word_bits <= 16;
        C.master = nullptr;
        if (C.narrow)
          C.i16.assign(L.W.begin(), L.W.end());
        else
          C.master = L.W.data();  // multiply the master weights themselves: no copy per update
        C.max_abs = MaxAbsOf(C, L.W.size());  // once per update, not once per product
        C.pieces_stale = true;
        if (!C.narrow) PrepareWeightPieces(C, L.out, L.in, 1);
        continue;
      }
      const std::int64_t max_abs = kern::MaxAbs(L.W);
      const Format f = num::PowerOfTwoFormat(num::ToDouble(max_abs, policy_.weight), policy_.qat_weight_bits);
      C.fmt = f;
      C.master = nullptr;
      C.narrow = f.word_bits <= 16;
      auto narrow = [&](auto& dst) {
        dst.resize(L.W.size());
        L.saturations += kern::RequantizeBuffer(L.W, policy_.weight.frac_bits, f, policy_.rounding,
                                                num::Overflow::kSaturate, std::span(dst),
                                                Seed(RoundingSite::kNarrowWeights, l));
      };
      if (C.narrow)
        narrow(C.i16);
      else
        narrow(C.i32);
      C.max_abs = MaxAbsOf(C, L.W.size());
      C.pieces_stale = true;
      if (!C.narrow) PrepareWeightPieces(C, L.out, L.in, 1);
    }
  }

  // The seed of a rounding site of the current call (see the file comment).
  std::uint64_t Seed(RoundingSite kind, std::size_t layer) const {
    return num::RoundingSeed(rounding_stream_, rounding_step_, static_cast<std::uint64_t>(kind) * 64 + layer);
  }

  // grad_ (format gf) ⊙ the derivative of layer l's activation, in place.
  void ActivationGradient(int l, Activation act, const Format& gf) {
    const IntBuffer& Y = acts_[l + 1];
    if (act == Activation::kRelu) {
      // Branch-free per buffer type, so that the compiler vectorises the mask.
      auto mask = [&](const auto* y) {
        std::int32_t* gp = grad_.data();
        const std::size_t n = grad_.size();
        for (std::size_t i = 0; i < n; ++i) gp[i] = y[i] > 0 ? gp[i] : 0;
      };
      if (Y.narrow)
        mask(Y.i16.data());
      else
        mask(Y.i32.data());
    } else if (act == Activation::kTanh) {
      // G·(1 − y²): 1 − y² at 2·frac(y) fraction bits, product requantized to the gradient format.
      const int fy = Y.fmt.frac_bits;
      const int128 one = int128{1} << (2 * fy);
      const std::uint64_t seed = Seed(RoundingSite::kTanhGrad, l);
      const bool sr = policy_.rounding == num::Quant::kStochastic;
      for (std::size_t i = 0; i < grad_.size(); ++i) {
        const int128 yv = Y.at(i);
        grad_[i] = static_cast<std::int32_t>(num::Requantize((one - yv * yv) * grad_[i], 2 * fy + gf.frac_bits, gf,
                                                             policy_.rounding, policy_.overflow,
                                                             sr ? num::CounterRandomBits(seed, i) : 0,
                                                             &layers_[l].saturations));
      }
    }
  }

  // dW = Gᵀ·X and db = Σ G of layer l into its weight-gradient format; observes them.
  void WeightGradients(int l, const IntBuffer& G) {
    FixedLayer& L = layers_[l];
    const IntBuffer& X = acts_[l];
    kern::OutputStage st;
    st.out = L.dw_rule.format();
    st.quant = policy_.rounding;
    st.overflow = policy_.overflow;
    st.seed = Seed(RoundingSite::kWeightGrad, l);
    // dW[out×in] = Gᵀ·X, reduced over the batch inside each output neuron's row.
    st.acc_frac_bits = G.fmt.frac_bits + X.fmt.frac_bits;
    const kern::Stats ks = MultiplyIntBuffers(kern::Layout::kTN, L.out, L.in, batch_, G, L.out, X, L.in, L.dW.data(), st,
                                 kern::Split::kRows);
    std::uint64_t sat = ks.saturations;
    // db = column sums of G, row by row (contiguous, vectorised) in int64, then into dW's format.
    col_sums_.assign(static_cast<std::size_t>(L.out), 0);
    for (int i = 0; i < batch_; ++i) {
      const std::int32_t* row = G.i32.data() + static_cast<std::size_t>(i) * L.out;
      std::int64_t* sums = col_sums_.data();
      for (int j = 0; j < L.out; ++j) sums[j] += row[j];
    }
    const std::uint64_t bias_seed = Seed(RoundingSite::kBiasGrad, l);
    const bool sr = policy_.rounding == num::Quant::kStochastic;
    for (int j = 0; j < L.out; ++j)
      L.db[j] = static_cast<std::int32_t>(num::Requantize(col_sums_[j], G.fmt.frac_bits, st.out, policy_.rounding,
                                                          policy_.overflow,
                                                          sr ? num::CounterRandomBits(bias_seed, j) : 0, &sat));
    L.saturations += sat;
    L.values += L.dW.size() + L.db.size();
    L.dw_format = st.out;
    if (policy_.gradient_rule.dynamic)  // the scan over dW is only needed when formats move
      L.dw_rule.ObserveMax(std::max(kern::MaxAbs(L.dW), kern::MaxAbs(L.db)), sat,
                           policy_.gradient_rule);
  }

  const FixedMlp& AsSameKind(const Network& other) const {
    const auto* o = dynamic_cast<const FixedMlp*>(&other);
    if (!o || o->spec_.sizes != spec_.sizes || !(o->policy_.weight == policy_.weight))
      throw std::invalid_argument(fmt::format("{}: the other network has a different precision or shape", spec_.name));
    return *o;
  }

  std::vector<FixedLayer> layers_;
  std::vector<IntBuffer> acts_;                // acts_[l]: input of layer l; acts_[n]: output
  std::vector<num::RangeObserver> observers_;  // ranges of acts_[l]
  std::vector<Format> input_formats_;          // layer-input formats after the switch
  std::vector<std::optional<num::AffineQuantizer>> affine_;
  std::vector<DynamicGradientFormat> grad_rules_;  // [l]: gradient w.r.t. layer l's input; [n]: the output's
  std::uint64_t rounding_stream_ = 0, rounding_step_ = 0;
  std::vector<std::int32_t> wide_, grad_, prev_grad_;
  std::vector<std::int64_t> col_sums_;
  int batch_ = 0;
  std::int64_t adam_t_ = 0;
  bool switched_ = false, pending_switch_ = false;
};

}  // namespace

FixedExport ExportFixed(const Network& net) {
  const auto* fixed = dynamic_cast<const FixedMlp*>(&net);
  if (!fixed)
    throw std::invalid_argument(fmt::format("{}: precision '{}' is not fixed point; only fixed-point networks have "
                                            "integer weights and formats to export",
                                            net.spec().name, net.policy().name));
  return fixed->Export();
}

std::unique_ptr<Mlp> MakeFixedMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed) {
  return std::make_unique<FixedMlp>(spec, policy, seed);
}

}  // namespace fixar::nn
