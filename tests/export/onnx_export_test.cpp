// `fixar export --onnx`: the models pass libonnx's checker, and a small evaluator of the
// operators they use (below; onnxruntime runs them in tools/validate_onnx_export.py)
// reproduces fixar's actions: bit for bit for a fixed-point run past the QAT switch,
// within float32 rounding for a float32 run.
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <nlohmann/json.hpp>

#include "export/onnx_writer.h"
#include "export/run_export.h"
#include "export_test_util.h"

namespace fixar::exporting {
namespace {

using namespace testing;

// A tensor of rank <= 2, every element held as double (the models' integers fit).
struct Tensor {
  std::vector<std::int64_t> shape;
  std::vector<double> v;
  bool is_float = false;  // float32: results round to float
};

double At(const Tensor& t, std::size_t r, std::size_t c) {  // numpy broadcasting for rank <= 2
  if (t.shape.empty()) return t.v[0];
  if (t.shape.size() == 1) return t.v[t.shape[0] == 1 ? 0 : c];
  return t.v[(t.shape[0] == 1 ? 0 : r) * t.shape[1] + (t.shape[1] == 1 ? 0 : c)];
}

template <typename F>
Tensor Elementwise(const std::vector<const Tensor*>& in, F f) {
  Tensor out = *in[0];
  for (const Tensor* t : in)
    if (t->shape.size() > out.shape.size() || (t->shape.size() == out.shape.size() && t->v.size() > out.v.size()))
      out.shape = t->shape;
  const std::size_t rows = out.shape.size() == 2 ? out.shape[0] : 1, cols = out.shape.empty() ? 1 : out.shape.back();
  out.v.assign(rows * cols, 0.0);
  std::vector<double> args(in.size());
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c) {
      for (std::size_t i = 0; i < in.size(); ++i) args[i] = At(*in[i], r, c);
      const double y = f(args);
      out.v[r * cols + c] = out.is_float ? static_cast<float>(y) : y;
    }
  return out;
}

Tensor FromInitializer(const onnx::TensorProto& t) {
  Tensor x;
  for (auto d : t.dims()) x.shape.push_back(d);
  x.is_float = t.data_type() == onnx::TensorProto_DataType_FLOAT;
  for (float f : t.float_data()) x.v.push_back(f);
  for (auto i : t.int32_data()) x.v.push_back(i);
  for (double d : t.double_data()) x.v.push_back(d);
  return x;
}

Tensor MatMul(const Tensor& a, const Tensor& b, bool trans_b, const Tensor* bias) {
  const std::int64_t n = a.shape[0], k = a.shape[1], m = trans_b ? b.shape[0] : b.shape[1];
  Tensor y{{n, m}, std::vector<double>(n * m), a.is_float};
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < m; ++j) {
      double s = 0;
      float sf = 0;
      for (std::int64_t q = 0; q < k; ++q) {
        const double p = a.v[i * k + q] * b.v[trans_b ? j * k + q : q * m + j];
        s += p;
        sf += static_cast<float>(p);
      }
      if (bias) sf += static_cast<float>(bias->v[j]);
      y.v[i * m + j] = a.is_float ? sf : s;
    }
  return y;
}

// Evaluates the operators fixar's models use (ONNX semantics: Round is half to even).
Tensor RunNode(const onnx::NodeProto& n, const std::vector<const Tensor*>& in) {
  const std::string& op = n.op_type();
  if (op == "Cast") {
    Tensor y = *in[0];
    y.is_float = n.attribute(0).i() == onnx::TensorProto_DataType_FLOAT;
    for (double& v : y.v) v = y.is_float ? static_cast<float>(v) : n.attribute(0).i() == onnx::TensorProto_DataType_INT64 ? std::trunc(v) : v;
    return y;
  }
  if (op == "Mul") return Elementwise(in, [](auto& a) { return a[0] * a[1]; });
  if (op == "Add") return Elementwise(in, [](auto& a) { return a[0] + a[1]; });
  if (op == "Sub") return Elementwise(in, [](auto& a) { return a[0] - a[1]; });
  if (op == "Min") return Elementwise(in, [](auto& a) { return std::min(a[0], a[1]); });
  if (op == "Clip") return Elementwise(in, [](auto& a) { return std::clamp(a[0], a[1], a[2]); });
  if (op == "GreaterOrEqual") return Elementwise(in, [](auto& a) { return a[0] >= a[1] ? 1.0 : 0.0; });
  if (op == "Where") return Elementwise({in[1], in[2], in[0]}, [](auto& a) { return a[2] != 0 ? a[0] : a[1]; });
  if (op == "Round") return Elementwise(in, [](auto& a) { return std::nearbyint(a[0]); });
  if (op == "Floor") return Elementwise(in, [](auto& a) { return std::floor(a[0]); });
  if (op == "Abs") return Elementwise(in, [](auto& a) { return std::fabs(a[0]); });
  if (op == "Tanh") return Elementwise(in, [](auto& a) { return static_cast<double>(std::tanh(static_cast<float>(a[0]))); });
  if (op == "Relu") return Elementwise(in, [](auto& a) { return std::max(a[0], 0.0); });
  if (op == "Sign") return Elementwise(in, [](auto& a) { return static_cast<double>((a[0] > 0) - (a[0] < 0)); });
  if (op == "Identity") return *in[0];
  if (op == "MatMul") return MatMul(*in[0], *in[1], false, nullptr);
  if (op == "Gemm") return MatMul(*in[0], *in[1], true, in[2]);
  if (op == "Gather") {
    Tensor y = *in[1];
    y.is_float = in[0]->is_float;
    for (double& i : y.v) i = in[0]->v.at(static_cast<std::size_t>(i));
    return y;
  }
  throw std::runtime_error("the test evaluator has no operator " + op);
}

std::vector<double> Evaluate(const onnx::ModelProto& m, const std::vector<double>& obs, int dims) {
  std::map<std::string, Tensor> values;
  for (const auto& t : m.graph().initializer()) values[t.name()] = FromInitializer(t);
  Tensor x{{static_cast<std::int64_t>(obs.size() / dims), dims}, {}, true};
  for (double v : obs) x.v.push_back(static_cast<float>(v));
  values["obs"] = x;
  for (const auto& n : m.graph().node()) {
    std::vector<const Tensor*> in;
    for (const auto& name : n.input()) in.push_back(&values.at(name));
    values[n.output(0)] = RunNode(n, in);
  }
  return values.at("action").v;
}

// Exports `run` to ONNX with check data; checks the model and returns the largest
// difference between the evaluated model and fixar's actions.
double ExportAndCompare(const fs::path& run, const fs::path& dir, bool* exact) {
  ExportOptions o;
  o.run_dir = run.string();
  o.onnx = (dir / "actor.onnx").string();
  o.check_data = (dir / "check.csv").string();
  const nlohmann::json r = ExportRun(o);
  *exact = r["onnx"]["exact"].get<bool>();
  onnx::ModelProto model;
  EXPECT_TRUE(model.ParseFromString(ReadFile(o.onnx)));
  EXPECT_NO_THROW(onnx::checker::check_model(model));
  std::ifstream csv(o.check_data);
  std::string line;
  std::getline(csv, line);
  const int dims = 3;
  std::vector<double> obs, want;
  while (std::getline(csv, line)) {
    std::istringstream s(line);
    int col = 0;
    for (std::string cell; std::getline(s, cell, ','); ++col) (col < dims ? obs : want).push_back(std::stod(cell));
  }
  EXPECT_EQ(obs.size(), 1000u * dims);
  const std::vector<double> got = Evaluate(model, obs, dims);
  EXPECT_EQ(got.size(), want.size());
  double max_diff = 0;
  for (std::size_t i = 0; i < got.size() && i < want.size(); ++i) max_diff = std::max(max_diff, std::fabs(got[i] - want[i]));
  return max_diff;
}

TEST(OnnxExport, FixedPointRunPastTheSwitchIsExactInDouble) {
  const fs::path root = rl::testing::Fresh("fixar_export_onnx_fixar");
  bool exact = false;
  EXPECT_EQ(ExportAndCompare(TrainSmall(root, 800), root, &exact), 0.0);
  EXPECT_TRUE(exact);
}

TEST(OnnxExport, Float32RunIsAFloatGraphWithinRounding) {
  const fs::path root = rl::testing::Fresh("fixar_export_onnx_float");
  bool exact = true;
  EXPECT_LT(ExportAndCompare(TrainSmall(root, 400, "float32"), root, &exact), 1e-5);
  EXPECT_FALSE(exact);
}

TEST(OnnxExport, RoundingModesOnnxCannotExpressAreRefused) {
  const fs::path root = rl::testing::Fresh("fixar_export_onnx_halfup");
  rl::TrainOptions o = rl::testing::Small(root.string(), 400);
  o.config.rounding = "half_up";
  const std::string run = rl::Train(o).run_dir;
  try {
    ExportOptions e;
    e.run_dir = run;
    e.onnx = (root / "a.onnx").string();
    ExportRun(e);
    ADD_FAILURE() << "half_up exported to ONNX";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("precision.rounding = \"half_up\""), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(root / "a.onnx"));
}

}  // namespace
}  // namespace fixar::exporting
