// `fixar export --c`: the header, compiled with the system C compiler in strict C99,
// computes bit for bit what fixar computes — trained runs past and before the QAT switch,
// other policies and rounding modes, and each integer primitive on random cases.
#include <bit>
#include <cmath>
#include <limits>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "export/c_header.h"
#include "export/run_export.h"
#include "export_test_util.h"
#include "nn/export.h"
#include "nn/fixed_math.h"
#include "nn/mlp.h"
#include "numerics/rounding.h"

namespace fixar::exporting {
namespace {

using namespace testing;

// 1 000 check observations of Pendulum (within and beyond its range) and special values:
// NaN, ±inf, beyond the activation format, ties of the input rounding, subnormals.
std::vector<double> TestObservations(int dims) {
  auto env = envs::make("Pendulum");
  std::vector<double> obs = CheckObservations(env->observation_space(), 1000, 7);
  const double specials[] = {std::numeric_limits<double>::quiet_NaN(), INFINITY, -INFINITY, 1e300, -1e300, 40000.0,
                             -40000.0, 32767.99999, std::ldexp(1.0, -17), std::ldexp(3.0, -17), -std::ldexp(1.0, -17),
                             -std::ldexp(5.0, -17), 0.0, -0.0, 4.9e-324, 7.5, -7.5};
  const std::size_t n = std::size(specials);
  for (std::size_t i = 0; i < n; ++i)  // each special in every dimension, the others from the list
    for (std::size_t k = 0; k < static_cast<std::size_t>(dims); ++k)
      for (int d = 0; d < dims; ++d) obs.push_back(specials[(i + (static_cast<std::size_t>(d) + k) * 5) % n]);
  return obs;
}

// Runs the compiled actor driver on `obs`; returns its actions (bits as written).
std::vector<double> RunActorDriver(const fs::path& exe, const std::vector<double>& obs, int dims, int actions) {
  const fs::path in = exe.string() + ".in";
  {
    std::ofstream f(in);
    for (std::size_t i = 0; i < obs.size(); ++i) f << fmt::format("{:a}{}", obs[i], (i + 1) % dims ? " " : "\n");
  }
  std::string out;
  EXPECT_EQ(RunCommand(exe.string() + " < " + in.string(), &out), 0) << "driver failed (2: int/double variants differ)";
  std::vector<double> result;
  std::istringstream s(out);
  for (std::string hex, raw; s >> hex >> raw;) result.push_back(std::strtod(hex.c_str(), nullptr));
  EXPECT_EQ(result.size(), obs.size() / dims * actions);
  return result;
}

// Compiles the header in `dir` into the actor driver (with the automatic accumulators and
// with the two-word one forced everywhere) and checks both against `net`'s own forward pass.
void ExpectBitExact(nn::Mlp& net, const fs::path& dir) {
  const int S = net.inputs(), A = net.outputs();
  const std::vector<double> obs = TestObservations(S);
  std::vector<double> want;
  std::vector<double> a(A);
  for (std::size_t i = 0; i < obs.size(); i += S) {
    net.Forward(std::span(obs.data() + i, S), 1, a);
    want.insert(want.end(), a.begin(), a.end());
  }
  for (const std::string flags : {"", "-DFIXAR_ACTOR_FORCE_WIDE=1"}) {
    std::string log;
    const fs::path exe = CompileDriver(dir, "actor_driver.c", flags, &log);
    ASSERT_FALSE(exe.empty()) << log;
    const std::vector<double> got = RunActorDriver(exe, obs, S, A);
    ASSERT_EQ(got.size(), want.size());
    int differ = 0;
    for (std::size_t i = 0; i < got.size(); ++i)
      if (std::bit_cast<std::uint64_t>(got[i]) != std::bit_cast<std::uint64_t>(want[i]) && ++differ <= 5)
        ADD_FAILURE() << fmt::format("{} {}: observation {}, action {}: C {:a}, fixar {:a}", net.policy().name,
                                     flags, i / A, i % A, got[i], want[i]);
    EXPECT_EQ(differ, 0) << differ << " of " << got.size() << " actions differ (" << flags << ")";
  }
}

// Exports a run with the `fixar` program. A build without it (FIXAR_CONCEPTS without cli,
// such as scripts/sanitize's) skips the tests that need it: FIXAR_NEEDS_PROGRAM() first.
#ifdef FIXAR_BINARY
#define FIXAR_NEEDS_PROGRAM() static_cast<void>(0)
int ExportWithFixar(const fs::path& run, const std::string& args, std::string* out) {
  return RunCommand(fmt::format("{} export {} {} 2>&1", FIXAR_BINARY, run.string(), args), out);
}
#else
#define FIXAR_NEEDS_PROGRAM() GTEST_SKIP() << "this build has no fixar program"
int ExportWithFixar(const fs::path&, const std::string&, std::string*) { return -1; }
#endif

TEST(CExport, TrainedRunPastTheQatSwitchIsBitExact) {
  FIXAR_NEEDS_PROGRAM();
  const fs::path root = rl::testing::Fresh("fixar_export_c_switched");
  const fs::path run = TrainSmall(root, 800);
  std::string out;
  ASSERT_EQ(ExportWithFixar(run, "--c " + (root / "actor.h").string(), &out), 0) << out;
  EXPECT_NE(out.find("past the QAT switch"), std::string::npos) << out;
  const std::string header = ReadFile(root / "actor.h");
  EXPECT_NE(header.find("input   fixed<16,"), std::string::npos) << "16-bit layer inputs after the switch";
  rl::LoadedRun loaded = rl::LoadRun(run.string(), false);
  ASSERT_TRUE(loaded.agent->actor().quantized());
  ExpectBitExact(loaded.agent->actor(), root);
}

TEST(CExport, TrainedRunBeforeTheQatSwitchIsBitExact) {
  FIXAR_NEEDS_PROGRAM();
  const fs::path root = rl::testing::Fresh("fixar_export_c_before");
  const fs::path run = TrainSmall(root, 400);
  std::string out;
  ASSERT_EQ(ExportWithFixar(run, "--c " + (root / "actor.h").string(), &out), 0) << out;
  rl::LoadedRun loaded = rl::LoadRun(run.string(), false);
  ASSERT_FALSE(loaded.agent->actor().quantized());
  EXPECT_EQ(ReadFile(root / "actor.h").find("input   fixed<16,"), std::string::npos);
  ExpectBitExact(loaded.agent->actor(), root);
}

TEST(CExport, Float32RunIsRefusedWithTheReason) {
  FIXAR_NEEDS_PROGRAM();
  const fs::path root = rl::testing::Fresh("fixar_export_c_float");
  const fs::path run = TrainSmall(root, 400, "float32");
  std::string out;
  EXPECT_NE(ExportWithFixar(run, "--c " + (root / "actor.h").string(), &out), 0);
  EXPECT_NE(out.find("--c writes fixed-point networks only"), std::string::npos) << out;
  EXPECT_NE(out.find("precision.actor = \"float32\""), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root / "actor.h"));
}

// An actor in `policy` whose QAT switch (if any) has happened after recording ranges.
std::unique_ptr<nn::Mlp> SwitchedActor(nn::PrecisionPolicy policy) {
  nn::MlpSpec spec;
  spec.name = "actor";
  spec.sizes = {3, 32, 24, 2};
  spec.output = nn::Activation::kTanh;
  spec.final_layer_limit = 0;  // fan-in init: outputs that reach tanh's saturation
  auto net = nn::Mlp::Create(spec, policy, 11);
  auto env = envs::make("Pendulum");
  const std::vector<double> x = CheckObservations(env->observation_space(), 64, 3);
  std::vector<double> y(64 * 2);
  net->Forward(x, 64, y);
  net->SetTrainingStep(policy.qat_delay);
  return net;
}

TEST(CExport, OtherPoliciesAndRoundingModesAreBitExact) {
  struct Case {
    std::string precision, rounding;
  };
  for (const Case& c : {Case{"fixar", "floor"}, Case{"fixar", "toward_zero"}, Case{"fixar", "half_up"},
                        Case{"w8a8", "half_even"}, Case{"w12a10", "floor"}, Case{"fixed16", "half_even"},
                        Case{"fixed32", "half_even"}}) {
    SCOPED_TRACE(c.precision + " " + c.rounding);
    nn::PrecisionPolicy p = nn::MakePrecision(c.precision, 0);
    p.rounding = num::parse_quant(c.rounding);
    auto net = SwitchedActor(p);
    EXPECT_EQ(net->quantized(), p.has_qat());
    const fs::path dir = rl::testing::Fresh(("fixar_export_c_" + c.precision + "_" + c.rounding).c_str());
    fs::create_directories(dir);
    std::ofstream(dir / "actor.h") << CHeader(nn::ExportFixed(*net), {});
    ExpectBitExact(*net, dir);
  }
}

TEST(CExport, StochasticRoundingAndTheAffineQuantizerAreRefused) {
  nn::PrecisionPolicy p = nn::MakePrecision("fixar", 0);
  p.rounding = num::Quant::kStochastic;
  try {
    CHeader(nn::ExportFixed(*SwitchedActor(p)), {});
    ADD_FAILURE() << "stochastic rounding exported";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("precision.rounding = \"stochastic\""), std::string::npos) << e.what();
  }
  p = nn::MakePrecision("fixar", 0);
  p.qat_quantizer = nn::QatQuantizer::kAffine;
  try {
    CHeader(nn::ExportFixed(*SwitchedActor(p)), {});
    ADD_FAILURE() << "affine quantizer exported";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("precision.qat_quantizer = \"affine\""), std::string::npos) << e.what();
  }
  CHeaderOptions bad;
  bad.symbol = "2bad";
  EXPECT_THROW(CHeader(nn::ExportFixed(*SwitchedActor(nn::MakePrecision("fixar", 0))), bad), std::invalid_argument);
}

// A header included and nothing used: no warning (unused static functions or tables).
TEST(CExport, HeaderAloneCompilesWithoutWarnings) {
  const fs::path dir = rl::testing::Fresh("fixar_export_c_alone");
  fs::create_directories(dir);
  std::ofstream(dir / "actor.h") << CHeader(nn::ExportFixed(*SwitchedActor(nn::MakePrecision("fixar", 0))), {});
  std::ofstream(dir / "alone.c") << "#include \"actor.h\"\nint fixar_alone(void) { return 0; }\n";
  std::string log;
  EXPECT_EQ(RunCommand(std::string(FIXAR_C_COMPILER) + " -std=c99 -O2 -Wall -Wextra -pedantic -Werror -c " +
                           (dir / "alone.c").string() + " -o " + (dir / "alone.o").string() + " 2>&1",
                       &log),
            0)
      << log;
}

// A random 128-bit value of up to `bits` magnitude bits, either sign.
num::int128 RandomWide(std::mt19937_64& rng, int bits) {
  const num::uint128 raw = (static_cast<num::uint128>(rng()) << 64) | rng();
  num::int128 v = static_cast<num::int128>(bits >= 127 ? raw >> 1 : raw & ((num::uint128{1} << bits) - 1));
  return rng() & 1 ? -v : v;
}

// The header's requantization, FixedTanh and FromDouble against numerics' and nn's own.
TEST(CExport, IntegerPrimitivesMatchTheNumerics) {
  const fs::path dir = rl::testing::Fresh("fixar_export_c_runtime");
  fs::create_directories(dir);
  std::ofstream(dir / "actor.h") << CHeader(nn::ExportFixed(*SwitchedActor(nn::MakePrecision("fixar", 0))), {});
  std::string log;
  const fs::path exe = CompileDriver(dir, "runtime_driver.c", "", &log);
  ASSERT_FALSE(exe.empty()) << log;
  const num::Quant modes[] = {num::Quant::kFloor, num::Quant::kTowardZero, num::Quant::kHalfUp, num::Quant::kHalfEven};
  std::mt19937_64 rng(5);
  std::ofstream cases(dir / "cases.txt");
  std::vector<std::int64_t> want;
  for (int i = 0; i < 20000; ++i) {
    const int mode = static_cast<int>(rng() % 4), word = 2 + static_cast<int>(rng() % 63);
    const int frac = static_cast<int>(rng() % 100) - 30, from = frac + static_cast<int>(rng() % 200) - 70;
    num::int128 x = RandomWide(rng, static_cast<int>(rng() % 127));
    if (i % 7 == 0) x = (x >> 8) * 256 + 128;  // ties of an 8-bit shift
    const auto u = static_cast<num::uint128>(x);
    cases << fmt::format("r {} {} {} {} {} {}\n", static_cast<std::uint64_t>(u >> 64), static_cast<std::uint64_t>(u),
                         from, word, frac, mode);
    want.push_back(num::Requantize(x, from, num::Signed(word, frac), modes[mode], num::Overflow::kSaturate));
  }
  for (int i = 0; i < 5000; ++i) {
    const int mode = static_cast<int>(rng() % 4), in_frac = static_cast<int>(rng() % 60) - 20;
    const int out_word = 8 + static_cast<int>(rng() % 25), out_frac = static_cast<int>(rng() % 40) - 5;
    const auto x = static_cast<std::int32_t>(rng() >> (32 + rng() % 32));
    cases << fmt::format("t {} {} {} {} {}\n", x, in_frac, out_word, out_frac, mode);
    std::uint64_t sat = 0;
    want.push_back(nn::FixedTanh(x, num::Signed(32, in_frac), num::Signed(out_word, out_frac), modes[mode], &sat));
  }
  for (int i = 0; i < 5000; ++i) {
    const int mode = static_cast<int>(rng() % 4), word = 2 + static_cast<int>(rng() % 31);
    const int frac = static_cast<int>(rng() % 60) - 20;
    double v = std::ldexp(static_cast<double>(static_cast<std::int64_t>(rng())), -static_cast<int>(rng() % 120));
    if (i % 5 == 0) v = std::ldexp(std::round(v) + 0.5, -frac);  // a tie of the rounding
    if (i == 0) v = NAN;
    if (i == 1) v = -INFINITY;
    cases << fmt::format("d {:a} {:a} {} {}\n", v, std::ldexp(1.0, frac), word, mode);
    want.push_back(num::FromDouble(v, num::Signed(word, frac), modes[mode], num::Overflow::kSaturate));
  }
  cases.close();
  std::string out;
  ASSERT_EQ(RunCommand(exe.string() + " < " + (dir / "cases.txt").string(), &out), 0);
  std::istringstream s(out);
  std::size_t i = 0, differ = 0;
  for (long long got; s >> got; ++i)
    if (i < want.size() && got != want[i] && ++differ <= 5) ADD_FAILURE() << "case " << i << ": C " << got << ", fixar " << want[i];
  EXPECT_EQ(i, want.size());
  EXPECT_EQ(differ, 0u);
}

}  // namespace
}  // namespace fixar::exporting
