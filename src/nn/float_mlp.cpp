// The float32 reference network.
#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "kernels/parallel.h"
#include "nn/mlp.h"

namespace fixar::nn {
namespace {

struct FloatLayer {
  int in = 0, out = 0;
  std::vector<float> W, b, dW, db;
  FloatAdam adam_W, adam_b;
};

class FloatMlp final : public Mlp {
 public:
  FloatMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed) : Mlp(spec, policy) {
    std::vector<std::vector<double>> biases;
    const auto weights = InitialWeights(seed, &biases);
    for (std::size_t l = 0; l < weights.size(); ++l) {
      FloatLayer L;
      L.in = spec.sizes[l];
      L.out = spec.sizes[l + 1];
      L.W.assign(weights[l].begin(), weights[l].end());
      L.b.assign(biases[l].begin(), biases[l].end());
      L.dW.assign(L.W.size(), 0.0f);
      L.db.assign(L.b.size(), 0.0f);
      L.adam_W.Resize(L.W.size());
      L.adam_b.Resize(L.b.size());
      layers_.push_back(std::move(L));
    }
    acts_.resize(layers_.size() + 1);
  }

  void Forward(const InputColumns& x, int batch, Tensor& y) override {
    CheckInput(x, batch);
    batch_ = batch;
    const kern::Split split = SplitFor(batch);
    LoadInput(x, batch);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const FloatLayer& L = layers_[l];
      std::vector<float>& out = acts_[l + 1];
      out.resize(static_cast<std::size_t>(batch) * L.out);
      LinearForward(batch, L.in, L.out, acts_[l].data(), L.W.data(), L.b.data(), out.data(), split);
      ActivationForward<float>(ActivationOf(l), out);
    }
    const std::span<double> out = y.MakeReal(acts_.back().size());
    std::copy(acts_.back().begin(), acts_.back().end(), out.begin());
  }

  void Backward(TensorView dy, Tensor* dx, bool param_grads) override {
    CheckSize("Backward dy", dy.size(), static_cast<std::size_t>(batch_) * outputs());
    const kern::Split split = SplitFor(batch_);
    grad_.resize(dy.size());
    ToFloat(dy, grad_.data());
    for (int l = static_cast<int>(layers_.size()) - 1; l >= 0; --l) {
      FloatLayer& L = layers_[l];
      ActivationBackward<float>(ActivationOf(l), acts_[l + 1], grad_);
      const bool need_dx = l > 0 || dx;
      prev_grad_.resize(static_cast<std::size_t>(batch_) * L.in);
      if (param_grads) {
        LinearBackward(batch_, L.in, L.out, acts_[l].data(), L.W.data(), grad_.data(), L.dW.data(), L.db.data(),
                       need_dx ? prev_grad_.data() : nullptr, split);
      } else if (need_dx) {
        LinearInputGradient(batch_, L.in, L.out, L.W.data(), grad_.data(), prev_grad_.data(), split);
      }
      std::swap(grad_, prev_grad_);
    }
    if (dx) {
      const std::span<double> out = dx->MakeReal(grad_.size());
      std::copy(grad_.begin(), grad_.end(), out.begin());
    }
  }

  void AdamStep(const AdamConfig& cfg) override {
    ++adam_t_;
    for (FloatLayer& L : layers_) {
      L.adam_W.Step(cfg, adam_t_, L.W, L.dW);
      L.adam_b.Step(cfg, adam_t_, L.b, L.db);
    }
  }

  void SoftUpdateFrom(const Network& online, double tau) override {
    const auto& o = AsSameKind(online);
    const float t = static_cast<float>(tau);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      auto blend = [t](std::vector<float>& dst, const std::vector<float>& src) {
        for (std::size_t i = 0; i < dst.size(); ++i) dst[i] += t * (src[i] - dst[i]);
      };
      blend(layers_[l].W, o.layers_[l].W);
      blend(layers_[l].b, o.layers_[l].b);
    }
  }

  void CopyParametersFrom(const Network& other) override {
    const auto& o = AsSameKind(other);
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      layers_[l].W = o.layers_[l].W;
      layers_[l].b = o.layers_[l].b;
    }
  }

  std::vector<LayerStats> Stats() const override {
    std::vector<LayerStats> s;
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      LayerStats st;
      st.name = fmt::format("{}.fc{}", spec_.name, l + 1);
      s.push_back(st);
    }
    return s;
  }

  std::vector<double> ParametersAsDouble() const override {
    std::vector<double> p;
    for (const FloatLayer& L : layers_) {
      p.insert(p.end(), L.W.begin(), L.W.end());
      p.insert(p.end(), L.b.begin(), L.b.end());
    }
    return p;
  }
  void SetParametersFromDouble(std::span<const double> p) override {
    CheckParameterCount(p.size());
    std::size_t i = 0;
    for (FloatLayer& L : layers_)
      for (auto* v : {&L.W, &L.b})
        for (auto& x : *v) x = static_cast<float>(p[i++]);
  }
  std::vector<double> GradientsAsDouble() const override {
    std::vector<double> p;
    for (const FloatLayer& L : layers_) {
      p.insert(p.end(), L.dW.begin(), L.dW.end());
      p.insert(p.end(), L.db.begin(), L.db.end());
    }
    return p;
  }

  void Save(util::ByteWriter& w) const override {
    w.Put(adam_t_);
    for (const FloatLayer& L : layers_)
      for (const auto* v : {&L.W, &L.b, &L.adam_W.m, &L.adam_W.v, &L.adam_b.m, &L.adam_b.v}) w.PutVector(*v);
  }
  void Load(util::ByteReader& r) override {
    adam_t_ = r.Get<std::int64_t>();
    for (FloatLayer& L : layers_)
      for (auto* v : {&L.W, &L.b, &L.adam_W.m, &L.adam_W.v, &L.adam_b.m, &L.adam_b.v})
        *v = r.GetVector<float>(v->size());
  }

 private:
  Activation ActivationOf(std::size_t l) const { return l + 1 == layers_.size() ? spec_.output : spec_.hidden; }
  const FloatMlp& AsSameKind(const Network& other) const {
    const auto* o = dynamic_cast<const FloatMlp*>(&other);
    if (!o || o->spec_.sizes != spec_.sizes)
      throw std::invalid_argument(fmt::format("{}: the other network has a different precision or shape", spec_.name));
    return *o;
  }
  // Values as float (a double's nearest float; exact for a float network's values).
  static void ToFloat(TensorView v, float* out) {
    if (!v.is_fixed()) {
      std::copy(v.real().begin(), v.real().end(), out);
      return;
    }
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v.value(i));
  }
  // acts_[0] from the input's blocks, row by row.
  void LoadInput(const InputColumns& x, int batch) {
    acts_[0].resize(x.size());
    float* a = acts_[0].data();
    if (x.one_block()) {
      ToFloat(x.left(), a);
      return;
    }
    const int cl = x.left_cols(), cr = x.right_cols(), c = cl + cr;
    for (int r = 0; r < batch; ++r) {
      ToFloat(x.left().Slice(static_cast<std::size_t>(r) * cl, cl), a + static_cast<std::size_t>(r) * c);
      ToFloat(x.right().Slice(static_cast<std::size_t>(r) * cr, cr), a + static_cast<std::size_t>(r) * c + cl);
    }
  }

  std::vector<FloatLayer> layers_;
  std::vector<std::vector<float>> acts_;  // acts_[0] = input, acts_[l+1] = output of layer l
  std::vector<float> grad_, prev_grad_;
  int batch_ = 0;
  std::int64_t adam_t_ = 0;
};

}  // namespace

std::unique_ptr<Mlp> MakeFloatMlp(const MlpSpec& spec, const PrecisionPolicy& policy, std::uint64_t seed) {
  return std::make_unique<FloatMlp>(spec, policy, seed);
}

}  // namespace fixar::nn
