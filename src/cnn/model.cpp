#include "cnn/model.h"

#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

#include "util/binary_io.h"

namespace fixar::cnn {
namespace {
constexpr const char* kMagic = "FIXARCNN";
constexpr std::uint32_t kVersion = 1;
}  // namespace

Model::Model(ModelConfig config, std::uint64_t seed) : config_(std::move(config)) {
  config_.Validate();
  Build(seed);
}

void Model::Build(std::uint64_t seed) {
  layers_.clear();
  MapShape s = config_.input;
  int convs = 0, fcs = 0, bns = 0, others = 0;
  for (std::size_t i = 0; i < config_.layers.size(); ++i) {
    const LayerSpec& l = config_.layers[i];
    std::unique_ptr<Layer> layer;
    switch (l.type) {
      case LayerType::kConv: {
        auto c = std::make_unique<Conv2d>(s, l.out, l.kernel, l.stride ? l.stride : 1, l.padding, l.bias);
        c->Initialize(seed * 1000003 + i);
        c->name = fmt::format("conv{}", ++convs);
        layer = std::move(c);
        break;
      }
      case LayerType::kLinear: {
        auto f = std::make_unique<Linear>(s, l.out, l.bias);
        f->Initialize(seed * 1000003 + i);
        f->name = fmt::format("fc{}", ++fcs);
        layer = std::move(f);
        break;
      }
      case LayerType::kBatchNorm:
        layer = std::make_unique<BatchNorm2d>(s);
        layer->name = fmt::format("bn{}", ++bns);
        break;
      case LayerType::kRelu:
        layer = std::make_unique<Relu>(s);
        break;
      case LayerType::kMaxPool:
      case LayerType::kAvgPool:
        layer = std::make_unique<Pool2d>(s, l.type, l.kernel, l.stride ? l.stride : l.kernel);
        break;
      case LayerType::kFlatten:
        layer = std::make_unique<Flatten>(s);
        break;
      case LayerType::kAdd:
        layer = std::make_unique<Add>(s, static_cast<std::size_t>(l.from));
        break;
    }
    if (layer->name.empty()) layer->name = fmt::format("{}{}", to_string(l.type), ++others);
    s = layer->OutputShape();
    layers_.push_back(std::move(layer));
  }
  acts_.assign(layers_.size() + 1, Tensor{});
}

Model::Model(const Model& other) : config_(other.config_), folded_(other.folded_) {
  for (const auto& l : other.layers_) layers_.push_back(l->Clone());
  acts_.assign(layers_.size() + 1, Tensor{});
}

Model& Model::operator=(const Model& other) {
  if (this != &other) *this = Model(other);
  return *this;
}

std::vector<std::size_t> Model::weight_layer_indices() const {
  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (dynamic_cast<const WeightLayer*>(layers_[i].get())) idx.push_back(i);
  return idx;
}

WeightLayer& Model::weight_layer(std::size_t k) {
  const auto idx = weight_layer_indices();
  if (k >= idx.size())
    throw std::out_of_range(fmt::format("weight layer {} does not exist; the model has {}", k, idx.size()));
  return static_cast<WeightLayer&>(*layers_[idx[k]]);
}
const WeightLayer& Model::weight_layer(std::size_t k) const { return const_cast<Model*>(this)->weight_layer(k); }

const Tensor& Model::Forward(const Tensor& x, Mode mode) {
  if (x.shape != config_.input)
    throw std::invalid_argument(fmt::format("model '{}': input samples are {}x{}x{}, expected {}x{}x{}", config_.name,
                                            x.shape.c, x.shape.h, x.shape.w, config_.input.c, config_.input.h,
                                            config_.input.w));
  acts_[0] = x;
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    if (auto* add = dynamic_cast<Add*>(layers_[i].get())) add->skip = &acts_[add->from];
    layers_[i]->Forward(acts_[i], acts_[i + 1], mode);
  }
  return acts_.back();
}

void Model::Backward(const Tensor& dlogits) {
  const Tensor* dy = &dlogits;
  Tensor* bufs[2] = {&grad_a_, &grad_b_};
  // Shortcuts: the gradient an add sends back to the input of layer `from`, added once the
  // backward pass reaches that tensor.
  std::vector<Tensor> shortcut(layers_.size());
  std::vector<bool> has_shortcut(layers_.size(), false);
  for (std::size_t i = layers_.size(); i-- > 0;) {
    Tensor* dx = i == 0 ? nullptr : bufs[i % 2];
    if (const auto* add = dynamic_cast<const Add*>(layers_[i].get()); add && add->from > 0) {
      Tensor& g = shortcut[add->from];
      if (!has_shortcut[add->from]) g = *dy;
      else for (std::size_t k = 0; k < g.data.size(); ++k) g.data[k] += dy->data[k];
      has_shortcut[add->from] = true;
    }
    layers_[i]->Backward(acts_[i], acts_[i + 1], *dy, dx);
    if (dx && has_shortcut[i])
      for (std::size_t k = 0; k < dx->data.size(); ++k) dx->data[k] += shortcut[i].data[k];
    dy = dx;
  }
}

std::vector<ParamRef> Model::Params() {
  std::vector<ParamRef> all;
  for (auto& l : layers_)
    for (auto& p : l->Params()) all.push_back(p);
  return all;
}

std::int64_t Model::NumParams() const {
  std::int64_t n = 0;
  for (auto& l : layers_)
    for (auto& p : l->Params()) n += static_cast<std::int64_t>(p.value.size());
  return n;
}

int Model::FoldBatchNorm() {
  int folded = 0;
  for (std::size_t i = 1; i < layers_.size();) {
    auto* bn = dynamic_cast<BatchNorm2d*>(layers_[i].get());
    auto* wl = dynamic_cast<WeightLayer*>(layers_[i - 1].get());
    // A shortcut from the batchnorm's input (the raw conv output) keeps it: folding would
    // hand the shortcut the normalised tensor instead.
    bool shortcut_from_here = false;
    for (const auto& l : layers_)
      if (const auto* add = dynamic_cast<const Add*>(l.get())) shortcut_from_here |= add->from == i;
    if (!bn || !wl || wl->out_features() != bn->InputShape().c || shortcut_from_here) {
      ++i;
      continue;
    }
    const auto scale = bn->EvalScale(), shift = bn->EvalShift();
    wl->EnableBias();
    auto w = wl->weights();
    auto b = wl->bias();
    const std::size_t per = w.size() / scale.size();
    for (std::size_t o = 0; o < scale.size(); ++o) {
      for (std::size_t k = 0; k < per; ++k) w[o * per + k] *= scale[o];
      b[o] = b[o] * scale[o] + shift[o];
    }
    layers_.erase(layers_.begin() + static_cast<std::ptrdiff_t>(i));
    for (auto& l : layers_)  // later tensors moved down by one
      if (auto* add = dynamic_cast<Add*>(l.get()); add && add->from > i) --add->from;
    ++folded;
  }
  if (folded) folded_ = true;
  acts_.assign(layers_.size() + 1, Tensor{});
  return folded;
}

void Model::Save(const std::filesystem::path& path) const {
  util::ByteWriter w;
  w.PutString(config_.toml_text);
  w.PutString(config_.source);
  w.Put<std::uint8_t>(folded_ ? 1 : 0);
  w.Put<std::uint64_t>(layers_.size());
  for (const auto& l : layers_) {
    w.PutString(l->name);
    l->SaveState(w);
  }
  util::WriteCheckedFile(path.string(), kMagic, kVersion, w.bytes());
}

Model Model::Load(const std::filesystem::path& path) {
  const auto bytes = util::ReadCheckedFile(path.string(), kMagic, kVersion);
  return LoadPayload(bytes, path.string());
}

Model Model::LoadPayload(std::span<const std::uint8_t> payload, const std::string& where) {
  util::ByteReader r(payload.data(), payload.size(), "model checkpoint " + where);
  const std::string text = r.GetString();
  const std::string source = r.GetString();
  ModelConfig config = ParseModelConfig(text, source + " (stored in " + where + ")");
  Model m(std::move(config), 0);
  if (r.Get<std::uint8_t>()) m.FoldBatchNorm();
  const auto n = r.Get<std::uint64_t>();
  if (n != m.layers_.size())
    throw std::runtime_error(fmt::format("model checkpoint {}: stores {} layers, its config builds {}", where, n,
                                         m.layers_.size()));
  for (auto& l : m.layers_) {
    const std::string name = r.GetString();
    if (name != l->name)
      throw std::runtime_error(
          fmt::format("model checkpoint {}: layer '{}' found where '{}' was expected", where, name, l->name));
    l->LoadState(r);
  }
  if (!r.at_end()) throw std::runtime_error(fmt::format("model checkpoint {}: trailing bytes", where));
  return m;
}

std::string Model::Summary() const {
  std::string s = fmt::format("model '{}' ({}), input {}x{}x{}, {} classes{}\n", config_.name, config_.source,
                              config_.input.c, config_.input.h, config_.input.w, config_.classes,
                              folded_ ? ", batchnorm folded" : "");
  s += fmt::format("  {:<10} {:<24} {:>14} {:>10}\n", "layer", "operation", "output (CxHxW)", "params");
  for (const auto& l : layers_) {
    std::int64_t p = 0;
    for (auto& ref : const_cast<Layer&>(*l).Params()) p += static_cast<std::int64_t>(ref.value.size());
    const MapShape o = l->OutputShape();
    s += fmt::format("  {:<10} {:<24} {:>14} {:>10}\n", l->name, l->Describe(), fmt::format("{}x{}x{}", o.c, o.h, o.w),
                     p);
  }
  s += fmt::format("  total parameters: {}\n", NumParams());
  return s;
}

}  // namespace fixar::cnn
