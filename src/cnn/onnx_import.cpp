#include "cnn/onnx_import.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#ifdef FIXAR_HAVE_ONNX_IMPORT
#include <onnx/onnx_pb.h>
#endif

namespace fixar::cnn {

bool OnnxImportAvailable() {
#ifdef FIXAR_HAVE_ONNX_IMPORT
  return true;
#else
  return false;
#endif
}

Model LoadModelFile(const std::filesystem::path& path) {
  return path.extension() == ".onnx" ? ImportOnnx(path) : Model::Load(path);
}

#ifdef FIXAR_HAVE_ONNX_IMPORT
namespace {

// A float tensor of the graph's initializers (raw_data or float_data).
struct Constant {
  std::vector<std::int64_t> dims;
  std::vector<float> values;
};

// What one layer of the sequence gets from the file: its spec and its numbers.
struct ImportedLayer {
  LayerSpec spec;
  std::string node;  // "name (Op)" for messages
  std::vector<float> weight, bias;                    // conv / linear (out x fan_in)
  std::vector<float> gamma, beta, mean, var;          // batchnorm
  float eps = 1e-5f;
};

class Importer {
 public:
  explicit Importer(const std::filesystem::path& path) : file_(path.string()) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw std::invalid_argument(fmt::format("{}: {}", file_, what));
  }
  [[noreturn]] void Fail(const onnx::NodeProto& n, const std::string& what) const {
    Fail(fmt::format("node '{}' ({}): {}", n.name(), n.op_type(), what));
  }

  onnx::ModelProto Read() const {
    std::ifstream in(file_, std::ios::binary);
    if (!in) Fail("cannot open the file");
    onnx::ModelProto model;
    if (!model.ParseFromIstream(&in)) Fail("not an ONNX model (the protobuf does not parse)");
    if (!model.has_graph() || model.graph().node_size() == 0) Fail("the model has no graph nodes");
    return model;
  }

  void CollectConstants(const onnx::GraphProto& g) {
    for (const onnx::TensorProto& t : g.initializer()) constants_[t.name()] = ToConstant(t, "initializer " + t.name());
    for (const onnx::NodeProto& n : g.node())  // Constant nodes are initializers by another name
      if (n.op_type() == "Constant" && n.output_size() == 1)
        for (const onnx::AttributeProto& a : n.attribute())
          if (a.name() == "value" && a.has_t()) constants_[n.output(0)] = ToConstant(a.t(), "Constant " + n.name());
  }

  Constant ToConstant(const onnx::TensorProto& t, const std::string& what) const {
    Constant c;
    c.dims.assign(t.dims().begin(), t.dims().end());
    std::int64_t count = 1;
    for (std::int64_t d : c.dims) {
      if (d < 0 || d > (std::int64_t{1} << 30) || (d > 0 && count > (std::int64_t{1} << 31) / d))
        Fail(fmt::format("{}: shape [{}] is negative or larger than 2^31 values", what, fmt::join(c.dims, ", ")));
      count *= d;
    }
    if (t.data_type() == onnx::TensorProto::FLOAT) {
      if (!t.raw_data().empty()) {
        if (t.raw_data().size() != static_cast<std::size_t>(count) * 4)
          Fail(fmt::format("{}: {} bytes for {} floats", what, t.raw_data().size(), count));
        c.values.resize(static_cast<std::size_t>(count));
        std::memcpy(c.values.data(), t.raw_data().data(), t.raw_data().size());  // little-endian, as ONNX stores it
      } else {
        c.values.assign(t.float_data().begin(), t.float_data().end());
      }
    } else if (t.data_type() == onnx::TensorProto::INT64) {  // shapes (Reshape): kept as floats, only compared
      if (!t.raw_data().empty()) {
        std::vector<std::int64_t> v(t.raw_data().size() / 8);
        std::memcpy(v.data(), t.raw_data().data(), v.size() * 8);
        c.values.assign(v.begin(), v.end());
      } else {
        c.values.assign(t.int64_data().begin(), t.int64_data().end());
      }
    } else {
      return c;  // other types: not used by supported layers; a layer needing it fails below
    }
    if (static_cast<std::int64_t>(c.values.size()) != count)
      Fail(fmt::format("{}: {} values for shape of {}", what, c.values.size(), count));
    return c;
  }

  const Constant& ConstantInput(const onnx::NodeProto& n, int i, const char* role) const {
    if (n.input_size() <= i || n.input(i).empty()) Fail(n, fmt::format("missing input {} ({})", i, role));
    const auto it = constants_.find(n.input(i));
    if (it == constants_.end())
      Fail(n, fmt::format("input '{}' ({}) is computed, not a constant: fixar's layers need constant {}", n.input(i),
                          role, role));
    return it->second;
  }

  static const onnx::AttributeProto* Attr(const onnx::NodeProto& n, const char* name) {
    for (const onnx::AttributeProto& a : n.attribute())
      if (a.name() == name) return &a;
    return nullptr;
  }
  std::vector<std::int64_t> Ints(const onnx::NodeProto& n, const char* name, std::vector<std::int64_t> fallback) const {
    const onnx::AttributeProto* a = Attr(n, name);
    return a ? std::vector<std::int64_t>(a->ints().begin(), a->ints().end()) : fallback;
  }
  std::int64_t Int(const onnx::NodeProto& n, const char* name, std::int64_t fallback) const {
    const onnx::AttributeProto* a = Attr(n, name);
    return a ? a->i() : fallback;
  }
  float Float(const onnx::NodeProto& n, const char* name, float fallback) const {
    const onnx::AttributeProto* a = Attr(n, name);
    return a ? a->f() : fallback;
  }

  // One value from a per-axis list that must hold the same value on every axis.
  int Square(const onnx::NodeProto& n, const char* name, std::vector<std::int64_t> v, int fallback) const {
    if (v.empty()) return fallback;
    if (std::any_of(v.begin(), v.end(), [&](std::int64_t x) { return x != v.front(); }))
      Fail(n, fmt::format("{} {} differ between axes; fixar's layers are square", name, fmt::join(v, "x")));
    if (v.front() < 0 || v.front() > 4096) Fail(n, fmt::format("{} {} is out of range", name, v.front()));
    return static_cast<int>(v.front());
  }

  void CheckPlainWindow(const onnx::NodeProto& n) const {
    const auto dil = Ints(n, "dilations", {});
    if (std::any_of(dil.begin(), dil.end(), [](std::int64_t d) { return d != 1; })) Fail(n, "dilation is not supported");
    const onnx::AttributeProto* pad = Attr(n, "auto_pad");
    if (pad && pad->s() != "NOTSET" && pad->s() != "VALID") Fail(n, fmt::format("auto_pad {} is not supported", pad->s()));
  }

  // One node's layer: its type, shape and constants (a MatMul's bias comes from the Add
  // after it: Layers). Throws naming the node for an operator or attribute fixar lacks.
  void TranslateNode(const onnx::NodeProto& n, ImportedLayer& l) {
    const std::string& op = n.op_type();
    if (op == "Conv") {
      CheckPlainWindow(n);
      if (Int(n, "group", 1) != 1) Fail(n, fmt::format("group = {} (grouped or depthwise conv) is not supported", Int(n, "group", 1)));
      const Constant& w = ConstantInput(n, 1, "weights");
      if (w.dims.size() != 4 || w.dims[2] != w.dims[3]) Fail(n, "weights are not out x in x k x k");
      l.spec.type = LayerType::kConv;
      l.spec.out = static_cast<int>(w.dims[0]);
      l.spec.kernel = Square(n, "kernel_shape", Ints(n, "kernel_shape", {}), static_cast<int>(w.dims[2]));
      l.spec.stride = Square(n, "strides", Ints(n, "strides", {}), 1);
      l.spec.padding = Square(n, "pads", Ints(n, "pads", {}), 0);
      l.weight = w.values;
      l.spec.bias = n.input_size() > 2 && !n.input(2).empty();
      if (l.spec.bias) l.bias = ConstantInput(n, 2, "bias").values;
    } else if (op == "BatchNormalization") {
      if (Int(n, "training_mode", 0) != 0 || n.output_size() > 1) Fail(n, "training-mode BatchNormalization");
      l.spec.type = LayerType::kBatchNorm;
      l.gamma = ConstantInput(n, 1, "scale").values;
      l.beta = ConstantInput(n, 2, "bias").values;
      l.mean = ConstantInput(n, 3, "mean").values;
      l.var = ConstantInput(n, 4, "variance").values;
      l.eps = Float(n, "epsilon", 1e-5f);
    } else if (op == "Relu") {
      l.spec.type = LayerType::kRelu;
    } else if (op == "MaxPool" || op == "AveragePool") {
      CheckPlainWindow(n);
      if (Int(n, "ceil_mode", 0) != 0) Fail(n, "ceil_mode = 1 is not supported");
      if (Square(n, "pads", Ints(n, "pads", {}), 0) != 0) Fail(n, "padded pooling is not supported");
      if (n.output_size() > 1 && !n.output(1).empty()) Fail(n, "MaxPool with indices is not supported");
      l.spec.type = op == "MaxPool" ? LayerType::kMaxPool : LayerType::kAvgPool;
      l.spec.kernel = Square(n, "kernel_shape", Ints(n, "kernel_shape", {}), 0);
      l.spec.stride = Square(n, "strides", Ints(n, "strides", {}), l.spec.kernel);
      if (l.spec.kernel < 1) Fail(n, "no kernel_shape");
    } else if (op == "Flatten") {
      if (Int(n, "axis", 1) != 1) Fail(n, fmt::format("axis = {}; only 1 (keep the batch) is supported", Int(n, "axis", 1)));
      l.spec.type = LayerType::kFlatten;
    } else if (op == "Gemm") {
      if (Float(n, "alpha", 1) != 1 || Float(n, "beta", 1) != 1 || Int(n, "transA", 0) != 0)
        Fail(n, "only alpha = beta = 1 and transA = 0 are supported");
      const Constant& w = ConstantInput(n, 1, "weights");
      if (w.dims.size() != 2) Fail(n, "weights are not a matrix");
      const bool trans_b = Int(n, "transB", 0) != 0;
      l.spec.type = LayerType::kLinear;
      l.spec.out = static_cast<int>(trans_b ? w.dims[0] : w.dims[1]);
      l.weight = trans_b ? w.values : Transposed(w);
      l.spec.bias = n.input_size() > 2 && !n.input(2).empty();
      if (l.spec.bias) l.bias = ConstantInput(n, 2, "bias").values;
    } else if (op == "MatMul") {
      const Constant& w = ConstantInput(n, 1, "weights");
      if (w.dims.size() != 2) Fail(n, "weights are not a matrix");
      l.spec.type = LayerType::kLinear;
      l.spec.out = static_cast<int>(w.dims[1]);
      l.weight = Transposed(w);
      l.spec.bias = false;
    } else {
      Fail(n, "operator not supported; supported: Conv, BatchNormalization, Relu, MaxPool, AveragePool, Flatten, "
              "Gemm, MatMul (+ Add of a constant), Add (identity shortcut), Identity, Dropout");
    }
  }

  // The layer sequence: each node reads the previous node's output.
  std::vector<ImportedLayer> Layers(const onnx::GraphProto& g, std::string current) {
    std::vector<ImportedLayer> out;
    std::map<std::string, std::size_t> input_of;  // tensor -> the layer it is the input of (a shortcut's source)
    input_of[current] = 0;
    const auto& nodes = g.node();
    for (int k = 0; k < nodes.size(); ++k) {
      const onnx::NodeProto& n = nodes[k];
      const std::string& op = n.op_type();
      if (op == "Constant") continue;
      const std::string node = fmt::format("'{}' ({})", n.name(), op);
      if (n.output_size() < 1) Fail(n, "has no output");
      ImportedLayer l;
      l.node = node;
      if (op == "Add" && n.input_size() == 2 && (n.input(0) == current || n.input(1) == current)) {
        // A residual shortcut: the other operand is the input of an earlier layer.
        const std::string& other = n.input(0) == current ? n.input(1) : n.input(0);
        const auto source = input_of.find(other);
        if (other == current || source == input_of.end() || source->second >= out.size())
          Fail(n, fmt::format("adds '{}', which is neither the input of an earlier layer nor a constant bias after "
                              "MatMul: fixar's residual layers add an earlier layer's input (an identity shortcut)",
                              other));
        l.spec.type = LayerType::kAdd;
        l.spec.from = static_cast<int>(source->second);
        current = n.output(0);
        out.push_back(std::move(l));
        input_of[current] = out.size();
        continue;
      }
      if (n.input_size() == 0 || n.input(0) != current)
        Fail(n, fmt::format("reads '{}', not the previous node's output '{}': the graph branches (e.g. a shortcut "
                            "with its own layers), and fixar's CNNs are layer sequences with identity shortcuts",
                            n.input_size() ? n.input(0) : "", current));
      if (op == "Identity" || op == "Dropout") {
        input_of[n.output(0)] = input_of.at(current);
        current = n.output(0);
        continue;
      }
      TranslateNode(n, l);
      // A MatMul's following Add of a constant vector is its bias.
      if (op == "MatMul" && k + 1 < nodes.size() && nodes[k + 1].op_type() == "Add" && nodes[k + 1].input_size() == 2 &&
          nodes[k + 1].input(0) == n.output(0) && constants_.count(nodes[k + 1].input(1))) {
        l.spec.bias = true;
        l.bias = ConstantInput(nodes[k + 1], 1, "bias").values;
        ++k;
        current = nodes[k].output(0);
        out.push_back(std::move(l));
        input_of[current] = out.size();
        continue;
      }
      current = n.output(0);
      out.push_back(std::move(l));
      input_of[current] = out.size();
    }
    if (g.output_size() != 1 || g.output(0).name() != current)
      Fail(fmt::format("the graph's output is not the last node's ('{}')", current));
    return out;
  }

  static std::vector<float> Transposed(const Constant& w) {  // in x out -> out x in
    const std::int64_t rows = w.dims[0], cols = w.dims[1];
    std::vector<float> t(w.values.size());
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) t[c * rows + r] = w.values[r * cols + c];
    return t;
  }

  // The one image input: N x C x H x W, N free.
  std::pair<std::string, MapShape> Input(const onnx::GraphProto& g) const {
    std::vector<const onnx::ValueInfoProto*> inputs;
    for (const onnx::ValueInfoProto& v : g.input())
      if (!constants_.count(v.name())) inputs.push_back(&v);
    if (inputs.size() != 1) Fail(fmt::format("{} graph inputs besides constants; fixar's CNNs take one image", inputs.size()));
    const auto& shape = inputs[0]->type().tensor_type().shape();
    if (shape.dim_size() != 4) Fail(fmt::format("input '{}' has {} dimensions, not N x C x H x W", inputs[0]->name(), shape.dim_size()));
    int chw[3];
    for (int i = 0; i < 3; ++i) {
      const auto& d = shape.dim(i + 1);
      if (!d.has_dim_value() || d.dim_value() < 1 || d.dim_value() > 4096)
        Fail(fmt::format("input '{}': dimension {} is not a fixed size in 1 .. 4096", inputs[0]->name(), i + 1));
      chw[i] = static_cast<int>(d.dim_value());
    }
    return {inputs[0]->name(), MapShape{chw[0], chw[1], chw[2]}};
  }

  std::string file_;
  std::map<std::string, Constant> constants_;
};

// The TOML text of a layer sequence (the configs/models format), parsed back by
// ParseModelConfig so an imported model is validated like any other.
std::string ToToml(const std::string& name, MapShape in, int classes, const std::vector<ImportedLayer>& layers) {
  std::string t = fmt::format("# imported from ONNX\n[model]\nname = \"{}\"\ninput = [{}, {}, {}]\nclasses = {}\n", name,
                              in.c, in.h, in.w, classes);
  for (const ImportedLayer& l : layers) {
    std::string node = l.node;  // a comment: no line breaks from the file's node names
    std::replace_if(node.begin(), node.end(), [](char ch) { return static_cast<unsigned char>(ch) < 0x20; }, '?');
    t += fmt::format("\n[[layer]]  # {}\ntype = \"{}\"\n", node, to_string(l.spec.type));
    switch (l.spec.type) {
      case LayerType::kConv:
        t += fmt::format("out = {}\nkernel = {}\nstride = {}\npadding = {}\nbias = {}\n", l.spec.out, l.spec.kernel,
                         l.spec.stride, l.spec.padding, l.spec.bias);
        break;
      case LayerType::kLinear:
        t += fmt::format("out = {}\nbias = {}\n", l.spec.out, l.spec.bias);
        break;
      case LayerType::kMaxPool:
      case LayerType::kAvgPool:
        t += fmt::format("kernel = {}\nstride = {}\n", l.spec.kernel, l.spec.stride);
        break;
      case LayerType::kAdd:
        t += fmt::format("from = {}\n", l.spec.from + 1);
        break;
      default:
        break;
    }
  }
  return t;
}

}  // namespace

Model ImportOnnx(const std::filesystem::path& path) {
  Importer im(path);
  const onnx::ModelProto proto = im.Read();
  const onnx::GraphProto& g = proto.graph();
  im.CollectConstants(g);
  const auto [input_name, input] = im.Input(g);
  const std::vector<ImportedLayer> layers = im.Layers(g, input_name);
  const auto last = std::find_if(layers.rbegin(), layers.rend(), [](const ImportedLayer& l) {
    return l.spec.type == LayerType::kLinear || l.spec.type == LayerType::kConv;
  });
  if (last == layers.rend()) im.Fail("no Conv, Gemm or MatMul: nothing to quantize");
  const std::string name = path.stem().string();
  // The config path validates shapes (each layer against what flows into it) and names the file.
  ModelConfig config = ParseModelConfig(ToToml(name, input, last->spec.out, layers), path.string());
  Model model(config, /*seed=*/1);
  std::size_t weight_index = 0;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const ImportedLayer& l = layers[i];
    auto size_check = [&](const std::vector<float>& v, std::size_t want, const char* what) {
      if (v.size() != want)
        im.Fail(fmt::format("node {}: {} has {} values; the layer needs {}", l.node, what, v.size(), want));
    };
    if (l.spec.type == LayerType::kConv || l.spec.type == LayerType::kLinear) {
      WeightLayer& w = model.weight_layer(weight_index++);
      size_check(l.weight, w.weights().size(), "the weights");
      std::copy(l.weight.begin(), l.weight.end(), w.weights().begin());
      if (l.spec.bias) {
        size_check(l.bias, w.bias().size(), "the bias");
        std::copy(l.bias.begin(), l.bias.end(), w.bias().begin());
      }
    } else if (l.spec.type == LayerType::kBatchNorm) {
      auto& bn = dynamic_cast<BatchNorm2d&>(model.layer(i));
      for (const auto& [v, dst, what] : {std::tuple{&l.gamma, &bn.gamma, "scale"}, std::tuple{&l.beta, &bn.beta, "bias"},
                                         std::tuple{&l.mean, &bn.running_mean, "mean"},
                                         std::tuple{&l.var, &bn.running_var, "variance"}}) {
        size_check(*v, dst->size(), what);
        *dst = *v;
      }
      bn.eps = l.eps;
    }
  }
  return model;
}

#else  // built without libonnx-dev

Model ImportOnnx(const std::filesystem::path& path) {
  throw std::invalid_argument(fmt::format(
      "{}: this build reads no ONNX (scripts/setup installs libonnx-dev libprotobuf-dev; then rebuild)", path.string()));
}

#endif

}  // namespace fixar::cnn
