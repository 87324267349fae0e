#include "export/onnx_writer.h"

#include <cmath>
#include <map>
#include <stdexcept>
#include <type_traits>

#include <fmt/format.h>

#include "export/c_header.h"
#include "nn/export.h"
#include "util/build_info.h"

#ifdef FIXAR_HAVE_ONNX
#include <onnx/onnx_pb.h>
#endif

namespace fixar::exporting {

#ifndef FIXAR_HAVE_ONNX

bool OnnxAvailable() { return false; }
OnnxModel BuildOnnx(const nn::Mlp& net, const std::string&) {
  throw std::invalid_argument(fmt::format(
      "{}: this fixar was built without the ONNX writer (Debian's libonnx-dev and libprotobuf-dev were not found at "
      "configure time); install them (scripts/setup) and configure again",
      net.spec().name));
}

#else

namespace {

constexpr int kOpset = 17;      // the newest opset Debian's ONNX 1.12 knows
constexpr int kIrVersion = 8;   // onnx::IR_VERSION of ONNX 1.12
using DataType = onnx::TensorProto_DataType;

// Appends nodes and initializers to a graph; every tensor gets a fresh name.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto* g) : g_(g) {}

  // One node; returns the name of its (single) output, `hint` made unique.
  std::string Node(const std::string& op, const std::vector<std::string>& inputs, const std::string& hint,
                   const std::vector<std::pair<std::string, std::int64_t>>& int_attrs = {}) {
    onnx::NodeProto* n = g_->add_node();
    n->set_op_type(op);
    n->set_name(Fresh(hint + "/" + op));
    for (const auto& in : inputs) n->add_input(in);
    const std::string out = Fresh(hint);
    n->add_output(out);
    for (const auto& [name, value] : int_attrs) {
      onnx::AttributeProto* a = n->add_attribute();
      a->set_name(name);
      a->set_type(onnx::AttributeProto_AttributeType_INT);
      a->set_i(value);
    }
    return out;
  }
  std::string Scalar(double v) {  // a double scalar initializer, one per value
    if (auto it = scalars_.find(v); it != scalars_.end()) return it->second;
    const std::string name = Fresh(fmt::format("const_{}", v));
    scalars_[v] = name;
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto_DataType_DOUBLE);
    t->add_double_data(v);
    return name;
  }
  template <typename T>
  std::string Tensor(const std::string& hint, DataType type, const std::vector<std::int64_t>& dims,
                     const std::vector<T>& values) {
    onnx::TensorProto* t = g_->add_initializer();
    t->set_name(Fresh(hint));
    t->set_data_type(type);
    for (auto d : dims) t->add_dims(d);
    for (const T& v : values) {
      if constexpr (std::is_same_v<T, float>) t->add_float_data(v);
      else t->add_int32_data(v);
    }
    return t->name();
  }
  std::string Cast(const std::string& x, DataType to, const std::string& hint) {
    return Node("Cast", {x}, hint, {{"to", to}});
  }

 private:
  std::string Fresh(const std::string& hint) {
    const int n = used_[hint]++;
    return n == 0 ? hint : fmt::format("{}_{}", hint, n);
  }
  onnx::GraphProto* g_;
  std::map<std::string, int> used_;
  std::map<double, std::string> scalars_;
};

void AddValueInfo(onnx::ValueInfoProto* v, const std::string& name, int width) {
  v->set_name(name);
  auto* t = v->mutable_type()->mutable_tensor_type();
  t->set_elem_type(onnx::TensorProto_DataType_FLOAT);
  t->mutable_shape()->add_dim()->set_dim_param("batch");
  t->mutable_shape()->add_dim()->set_dim_value(width);
}

// ---- float32: Gemm (transB) + activation per layer ----------------------------------

std::string FloatGraph(const nn::Mlp& net, GraphBuilder& b, std::vector<std::string>& lines) {
  const auto params = net.ParametersAsDouble();
  const auto& sizes = net.spec().sizes;
  std::string x = "obs";
  std::size_t at = 0;
  for (std::size_t l = 0; l + 1 < sizes.size(); ++l) {
    const int in = sizes[l], out = sizes[l + 1];
    const std::string layer = fmt::format("fc{}", l + 1);
    std::vector<float> W(params.begin() + at, params.begin() + at + static_cast<long>(in) * out);
    at += W.size();
    std::vector<float> bias(params.begin() + at, params.begin() + at + out);
    at += bias.size();
    const std::string w = b.Tensor(layer + ".weight", onnx::TensorProto_DataType_FLOAT, {out, in}, W);
    const std::string c = b.Tensor(layer + ".bias", onnx::TensorProto_DataType_FLOAT, {out}, bias);
    x = b.Node("Gemm", {x, w, c}, layer, {{"transB", 1}});
    const nn::Activation act = l + 2 == sizes.size() ? net.spec().output : net.spec().hidden;
    if (act == nn::Activation::kRelu) x = b.Node("Relu", {x}, layer + ".relu");
    if (act == nn::Activation::kTanh) x = b.Node("Tanh", {x}, layer + ".tanh");
    lines.push_back(fmt::format("{}: {} -> {}, float32 Gemm + {} (float32 rounding; summation order may differ)",
                                layer, in, out, nn::to_string(act)));
  }
  return x;
}

// ---- fixed point: raw integers held in double ---------------------------------------

// Builds the integer-valued double graph of one FixedExport (file comment of onnx_writer.h).
class FixedGraph {
 public:
  FixedGraph(const nn::FixedExport& net, GraphBuilder& b) : net_(net), b_(b) {}

  std::string Build(const std::string& obs, std::vector<std::string>& lines, bool* exact);

 private:
  // num::Requantize(x, from_frac, f, rounding, saturate) on raw integers held in double.
  std::string Requantize(const std::string& x, int from_frac, const num::Format& f, const std::string& hint,
                         num::Quant q) {
    const int shift = from_frac - f.frac_bits;
    std::string y = x;
    if (shift != 0) y = b_.Node("Mul", {x, b_.Scalar(std::ldexp(1.0, -shift))}, hint + ".scale");
    if (shift > 0) y = b_.Node(q == num::Quant::kFloor ? "Floor" : "Round", {y}, hint + ".round");
    return b_.Node("Clip", {y, b_.Scalar(static_cast<double>(f.min_raw())), b_.Scalar(static_cast<double>(f.max_raw()))},
                   hint + ".sat");
  }
  std::string Layer(std::size_t l, const std::string& x);
  std::string Tanh(const std::string& v, const std::string& hint);

  const nn::FixedExport& net_;
  GraphBuilder& b_;
  std::string table0_, table1_;  // FixedTanh entries [0, n) and [1, n], as double
};

std::string FixedGraph::Layer(std::size_t l, const std::string& x) {
  const nn::FixedLayerExport& L = net_.layers[l];
  const std::string name = fmt::format("fc{}", l + 1);
  const int acc_frac = L.input_format.frac_bits + L.weight_format.frac_bits;
  // W transposed (in × out) so that MatMul(x, W) = x·Wᵀ.
  std::vector<std::int32_t> wt(L.weights.size());
  for (int j = 0; j < L.out; ++j)
    for (int k = 0; k < L.in; ++k) wt[static_cast<std::size_t>(k) * L.out + j] = L.weights[static_cast<std::size_t>(j) * L.in + k];
  const std::string w = b_.Cast(b_.Tensor(name + ".weight_t", onnx::TensorProto_DataType_INT32, {L.in, L.out}, wt),
                                onnx::TensorProto_DataType_DOUBLE, name + ".weight_t.double");
  // The bias at the accumulator scale: b·2^(acc − b_frac), floor when that is a right shift.
  std::string bias = b_.Cast(b_.Tensor(name + ".bias", onnx::TensorProto_DataType_INT32, {L.out}, L.bias),
                             onnx::TensorProto_DataType_DOUBLE, name + ".bias.double");
  const int align = acc_frac - L.bias_format.frac_bits;
  if (align != 0) bias = b_.Node("Mul", {bias, b_.Scalar(std::ldexp(1.0, align))}, name + ".bias_acc");
  if (align < 0) bias = b_.Node("Floor", {bias}, name + ".bias_acc.floor");
  std::string y = b_.Node("Add", {b_.Node("MatMul", {x, w}, name + ".acc"), bias}, name + ".acc_bias");
  y = Requantize(y, acc_frac, net_.policy.activation, name + ".out", net_.policy.rounding);
  if (L.activation == nn::Activation::kRelu) y = b_.Node("Relu", {y}, name + ".relu");
  if (L.activation == nn::Activation::kTanh) y = Tanh(y, name + ".tanh");
  return y;
}

// nn::FixedTanh on raw values v of the activation format, into the activation format.
std::string FixedGraph::Tanh(const std::string& v, const std::string& hint) {
  const auto t = nn::ExportFixedTanhTable();
  const int n = static_cast<int>(t.entries.size()) - 1, index_shift = t.input_frac_bits - t.step_bits;
  if (table0_.empty()) {
    std::vector<std::int32_t> t0(t.entries.begin(), t.entries.end() - 1), t1(t.entries.begin() + 1, t.entries.end());
    table0_ = b_.Tensor("tanh_table_lo", onnx::TensorProto_DataType_INT32, {n}, t0);
    table1_ = b_.Tensor("tanh_table_hi", onnx::TensorProto_DataType_INT32, {n}, t1);
  }
  // |v| aligned to input_frac_bits: floor for a right shift, exact for a left one.
  const int align = t.input_frac_bits - net_.policy.activation.frac_bits;
  std::string ax = b_.Node("Abs", {v}, hint + ".abs");
  if (align != 0) ax = b_.Node("Mul", {ax, b_.Scalar(std::ldexp(1.0, align))}, hint + ".align");
  if (align < 0) ax = b_.Node("Floor", {ax}, hint + ".align.floor");
  const std::string big =
      b_.Node("GreaterOrEqual", {ax, b_.Scalar(std::ldexp(static_cast<double>(n), index_shift))}, hint + ".beyond");
  std::string idx = b_.Node("Floor", {b_.Node("Mul", {ax, b_.Scalar(std::ldexp(1.0, -index_shift))}, hint + ".idx")},
                            hint + ".idx.floor");
  idx = b_.Node("Min", {idx, b_.Scalar(n - 1)}, hint + ".idx.clamp");
  const std::string rem =
      b_.Node("Sub", {ax, b_.Node("Mul", {idx, b_.Scalar(std::ldexp(1.0, index_shift))}, hint + ".base")}, hint + ".rem");
  const std::string i64 = b_.Cast(idx, onnx::TensorProto_DataType_INT64, hint + ".idx.int64");
  const std::string t0 = b_.Cast(b_.Node("Gather", {table0_, i64}, hint + ".t0"), onnx::TensorProto_DataType_DOUBLE,
                                 hint + ".t0.double");
  const std::string t1 = b_.Cast(b_.Node("Gather", {table1_, i64}, hint + ".t1"), onnx::TensorProto_DataType_DOUBLE,
                                 hint + ".t1.double");
  std::string step = b_.Node("Mul", {b_.Node("Sub", {t1, t0}, hint + ".diff"), rem}, hint + ".diff_rem");
  step = b_.Node("Round", {b_.Node("Mul", {step, b_.Scalar(std::ldexp(1.0, -index_shift))}, hint + ".interp")},
                 hint + ".interp.round");  // FixedTanh rounds the interpolation half to even, whatever the policy
  std::string y = b_.Node("Add", {t0, step}, hint + ".y");
  y = b_.Node("Where", {big, b_.Scalar(std::ldexp(1.0, t.table_frac_bits)), y}, hint + ".y.cap");
  y = b_.Node("Mul", {y, b_.Node("Sign", {v}, hint + ".sign")}, hint + ".y.signed");
  return Requantize(y, t.table_frac_bits, net_.policy.activation, hint + ".out", net_.policy.rounding);
}

std::string FixedGraph::Build(const std::string& obs, std::vector<std::string>& lines, bool* exact) {
  const num::Format& act = net_.policy.activation;
  std::string x = b_.Cast(obs, onnx::TensorProto_DataType_DOUBLE, "obs.double");
  // num::FromDouble into the activation format: scale, round, saturate (NaN: see docs/export.md).
  x = b_.Node("Mul", {x, b_.Scalar(std::ldexp(1.0, act.frac_bits))}, "obs.scale");
  x = b_.Node(net_.policy.rounding == num::Quant::kFloor ? "Floor" : "Round", {x}, "obs.round");
  x = b_.Node("Clip", {x, b_.Scalar(static_cast<double>(act.min_raw())), b_.Scalar(static_cast<double>(act.max_raw()))},
              "obs.raw");
  // The action's raw value must fit float32's 24-bit significand: |raw| <= 2^frac after tanh.
  const bool tanh_out = net_.layers.back().activation == nn::Activation::kTanh;
  *exact = act.word_bits <= 25 || (tanh_out && act.frac_bits <= 24);
  for (std::size_t l = 0; l < net_.layers.size(); ++l) {
    const auto& L = net_.layers[l];
    if (!(L.input_format == act))  // the narrowing into the layer's input format
      x = Requantize(x, act.frac_bits, L.input_format, fmt::format("fc{}.input", l + 1), net_.policy.rounding);
    x = Layer(l, x);
    double log2_bound = 0;
    const bool fits = AccumulatorFitsBits(L, 54, &log2_bound);
    *exact = *exact && fits;
    lines.push_back(fmt::format("fc{}: {} -> {}, input {}, weights {}: sums bounded by 2^{:.2f}: {}", l + 1, L.in,
                                L.out, L.input_format.to_string(), L.weight_format.to_string(), log2_bound,
                                fits ? "exact in double" : "exact only while the sums stay below 2^53"));
  }
  return b_.Node("Mul", {x, b_.Scalar(std::ldexp(1.0, -act.frac_bits))}, "action.double");
}

void CheckOnnxRounding(const nn::FixedExport& net) {
  CheckIntegerExportable(net, "--onnx");
  const num::Quant q = net.policy.rounding;
  if (q != num::Quant::kFloor && q != num::Quant::kHalfEven)
    throw std::invalid_argument(fmt::format(
        "{}: precision.rounding = \"{}\" cannot be exported with --onnx: ONNX has Floor and Round (half to even) "
        "only; valid: floor, half_even (the C export, --c, also takes toward_zero and half_up)",
        net.name, num::to_string(q)));
}

}  // namespace

bool OnnxAvailable() { return true; }

OnnxModel BuildOnnx(const nn::Mlp& net, const std::string& doc) {
  onnx::ModelProto model;
  model.set_ir_version(kIrVersion);
  model.set_producer_name("fixar");
  model.set_producer_version(util::GetBuildInfo().describe());
  model.set_doc_string(doc);
  auto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOpset);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name(net.spec().name);
  AddValueInfo(g->add_input(), "obs", net.inputs());
  GraphBuilder b(g);
  OnnxModel result;
  std::string y;
  if (net.policy().is_float) {
    y = FloatGraph(net, b, result.layers);
  } else {
    const nn::FixedExport fixed = nn::ExportFixed(net);
    CheckOnnxRounding(fixed);
    y = b.Cast(FixedGraph(fixed, b).Build("obs", result.layers, &result.exact), onnx::TensorProto_DataType_FLOAT,
               "action.float");
  }
  // The graph's output is named "action": an Identity from the last tensor.
  b.Node("Identity", {y}, "action");
  AddValueInfo(g->add_output(), "action", net.outputs());
  auto* meta = model.add_metadata_props();
  meta->set_key("fixar.precision");
  meta->set_value(net.policy().describe());
  meta = model.add_metadata_props();
  meta->set_key("fixar.quantized");
  meta->set_value(net.quantized() ? "true" : "false");
  meta = model.add_metadata_props();
  meta->set_key("fixar.exact");  // tools/validate_onnx_export.py then expects 0 difference
  meta->set_value(result.exact ? "true" : "false");
  if (!model.SerializeToString(&result.bytes))
    throw std::runtime_error(fmt::format("{}: the ONNX model could not be serialized", net.spec().name));
  return result;
}

#endif

}  // namespace fixar::exporting
