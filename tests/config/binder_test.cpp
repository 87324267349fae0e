// The config binder's rules, each with the message it gives.
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "config/section.h"
#include "config/value.h"

namespace fixar::config {
namespace {

template <typename F>
std::string Message(F&& f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

struct Settings {
  int batch_size = 64;
  std::uint64_t seed = 0;
  double gamma = 0.99;
  double scale = 1.0;
  bool td3 = false;
  std::string task = "Pendulum";
  std::vector<int> hidden = {400, 300};
  std::vector<std::string> agents = {"ppo"};
  enum class Noise { kGaussian, kOu } noise = Noise::kGaussian;
};

Settings Bind(std::string_view text) {
  const toml::table root = ParseToml(text, "configs/x.toml");
  RejectUnknownTables(root, "configs/x.toml", {"ddpg"});
  Settings s;
  Section d(root["ddpg"].as_table(), "configs/x.toml", "ddpg");
  d.Integer("batch_size", s.batch_size, {1, 1048576});
  d.Integer("seed", s.seed);
  d.Number("gamma", s.gamma, NumberRange::Closed(0, 1));
  d.Number("scale", s.scale, {.finite = false});
  d.Bool("td3", s.td3);
  d.String("task", s.task);
  d.Integers("hidden", s.hidden, {1, 65536});
  d.Strings("agents", s.agents);
  d.Choice("noise", s.noise, {{"gaussian", Settings::Noise::kGaussian}, {"ou", Settings::Noise::kOu}});
  d.RejectUnknown();
  return s;
}

TEST(ConfigBinder, KeysLeftOutKeepTheCallersDefaults) {
  const Settings s = Bind("[ddpg]\ngamma = 0.5\n");
  EXPECT_EQ(s.batch_size, 64);
  EXPECT_EQ(s.gamma, 0.5);
  EXPECT_EQ(s.hidden, (std::vector<int>{400, 300}));
  EXPECT_EQ(Bind("").task, "Pendulum");
}

TEST(ConfigBinder, EveryTypeIsBound) {
  const Settings s = Bind(
      "[ddpg]\nbatch_size = 128\nseed = 9223372036854775807\ngamma = 1\ntd3 = true\ntask = \"Hopper\"\n"
      "hidden = [64, 32]\nagents = [\"ddpg\", \"random\"]\nnoise = \"ou\"\n");
  EXPECT_EQ(s.batch_size, 128);
  EXPECT_EQ(s.seed, 9223372036854775807ULL);
  EXPECT_EQ(s.gamma, 1.0);  // an integer is a number
  EXPECT_TRUE(s.td3);
  EXPECT_EQ(s.task, "Hopper");
  EXPECT_EQ(s.hidden, (std::vector<int>{64, 32}));
  EXPECT_EQ(s.agents, (std::vector<std::string>{"ddpg", "random"}));
  EXPECT_EQ(s.noise, Settings::Noise::kOu);
}

TEST(ConfigBinder, IntegersAreNeverNarrowedSilently) {
  EXPECT_EQ(Message([] { Bind("[ddpg]\nbatch_size = 4294967360\n"); }),
            "configs/x.toml: ddpg.batch_size = 4294967360: out of range; valid: an integer in [1, 1048576]");
  // The field's own type bounds a range given wider than it.
  int narrow = 0;
  const toml::table t = ParseToml("n = 4294967298", "f.toml");
  Section s(&t, "f.toml", "");
  EXPECT_EQ(Message([&] { s.Integer("n", narrow); }),
            "f.toml: n = 4294967298: out of range; valid: an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(narrow, 0);
  EXPECT_EQ(Message([] { Bind("[ddpg]\nseed = -1\n"); }),
            "configs/x.toml: ddpg.seed = -1: out of range; valid: an integer >= 0");
}

TEST(ConfigBinder, FloatsAreNotIntegersUnlessWholeFloatsAreAllowed) {
  EXPECT_EQ(Message([] { Bind("[ddpg]\nbatch_size = 64.0\n"); }),
            "configs/x.toml: ddpg.batch_size = 64.0: expected an integer in [1, 1048576], got a float");
  const toml::table t = ParseToml("a = 28.0\nb = 28.5\nc = 4.4e86", "f.toml");
  const IntRange whole{.lo = 1, .hi = 4096, .whole_floats = true};
  EXPECT_EQ(ReadInteger(*t.get("a"), {"f.toml", "a"}, whole), 28);
  EXPECT_EQ(Message([&] { ReadInteger(*t.get("b"), {"f.toml", "b"}, whole); }),
            "f.toml: b = 28.5: not a whole number; valid: an integer in [1, 4096]");
  EXPECT_NE(Message([&] { ReadInteger(*t.get("c"), {"f.toml", "c"}, whole); }).find("not a whole number"),
            std::string::npos);  // no undefined float -> int64 cast
}

TEST(ConfigBinder, NonFiniteNumbersAreRejectedUnlessAllowed) {
  EXPECT_EQ(Message([] { Bind("[ddpg]\ngamma = nan\n"); }),
            "configs/x.toml: ddpg.gamma = nan: not a finite number; valid: a number in [0, 1]");
  EXPECT_EQ(Message([] { Bind("[ddpg]\ngamma = -inf\n"); }),
            "configs/x.toml: ddpg.gamma = -inf: not a finite number; valid: a number in [0, 1]");
  EXPECT_EQ(Message([] { Bind("[ddpg]\ngamma = 1.5\n"); }),
            "configs/x.toml: ddpg.gamma = 1.5: out of range; valid: a number in [0, 1]");
  EXPECT_TRUE(std::isinf(Bind("[ddpg]\nscale = inf\n").scale));
  const toml::table t = ParseToml("r = 0", "f.toml");
  EXPECT_EQ(Message([&] { ReadNumber(*t.get("r"), {"f.toml", "r"}, NumberRange::Above(0)); }),
            "f.toml: r = 0: out of range; valid: a finite number > 0");
}

TEST(ConfigBinder, WrongTypesNameWhatWasGivenAndWhatIsValid) {
  EXPECT_EQ(Message([] { Bind("[ddpg]\nbatch_size = \"big\"\n"); }),
            "configs/x.toml: ddpg.batch_size = 'big': expected an integer in [1, 1048576], got a string");
  EXPECT_EQ(Message([] { Bind("[ddpg]\ntd3 = 1\n"); }),
            "configs/x.toml: ddpg.td3 = 1: expected true or false, got an integer");
  EXPECT_EQ(Message([] { Bind("[ddpg]\ntask = 3\n"); }),
            "configs/x.toml: ddpg.task = 3: expected a string, got an integer");
  EXPECT_EQ(Message([] { Bind("[ddpg]\nhidden = 64\n"); }),
            "configs/x.toml: ddpg.hidden = 64: expected an array of integers, got an integer");
  EXPECT_EQ(Message([] { Bind("[ddpg]\nhidden = [64, 0]\n"); }),
            "configs/x.toml: ddpg.hidden[1] = 0: out of range; valid: an integer in [1, 65536]");
  EXPECT_EQ(Message([] { Bind("[ddpg]\nnoise = \"pink\"\n"); }),
            "configs/x.toml: ddpg.noise = 'pink': unknown value; valid: gaussian, ou");
}

TEST(ConfigBinder, UnknownKeysAndTablesAreRejectedListingTheValidOnes) {
  EXPECT_EQ(Message([] { Bind("[ddpg]\nbatchsize = 1\n"); }),
            "configs/x.toml: ddpg.batchsize = 1: unknown key; valid keys in [ddpg]: agents, batch_size, gamma, "
            "hidden, noise, scale, seed, task, td3");
  EXPECT_EQ(Message([] { Bind("[dpg]\nx = 1\n"); }),
            "configs/x.toml: dpg = (a table): unknown table; valid tables: ddpg");
  EXPECT_EQ(Message([] { Bind("ddpg = 3\n"); }),
            "configs/x.toml: ddpg = 3: expected a table [ddpg], got an integer");
}

TEST(ConfigBinder, SyntaxErrorsNameTheFileAndLine) {
  const std::string m = Message([] { ParseToml("a = 1\nb = 99999999999999999999\n", "f.toml"); });
  EXPECT_EQ(m.rfind("f.toml: not valid TOML: ", 0), 0u) << m;
  EXPECT_NE(m.find("(line 2, column"), std::string::npos) << m;
}

TEST(ConfigBinder, OverridesAreParsedAsTomlAndBoundByTheSameRules) {
  const Override o = ParseOverride("ddpg.batch_size=4294967360");
  EXPECT_EQ(o.key, "ddpg.batch_size");
  EXPECT_EQ(Message([&] { ReadInteger(o.value(), {kOverrideSource, o.key}, {1, 1048576}); }),
            "--set: ddpg.batch_size = 4294967360: out of range; valid: an integer in [1, 1048576]");
  EXPECT_EQ(ReadString(ParseOverride("run.task=Hopper").value(), {"--set", "run.task"}), "Hopper");  // a bare word
  EXPECT_EQ(ReadIntegers(ParseOverride("ddpg.hidden=[1, 2]").value(), {"--set", "ddpg.hidden"}),
            (std::vector<std::int64_t>{1, 2}));
  EXPECT_NE(Message([] { ParseOverride("nonsense"); }).find("section.key=value"), std::string::npos);
  EXPECT_NE(Message([] { ParseOverride("run.total_steps=99999999999999999999"); })
                .find("--set: run.total_steps = 99999999999999999999: not a valid number"),
            std::string::npos);
  EXPECT_NE(Message([] { ParseOverride("run.task= \"Pendulum"); }).find("neither a TOML value nor a plain word"),
            std::string::npos);
  EXPECT_NE(Message([] { ParseOverride("run.seed=1\nw = 2"); }).find("not one TOML value"), std::string::npos);
}

TEST(ConfigBinder, FilesThatCannotBeReadAreNamed) {
  EXPECT_EQ(Message([] { ReadTextFile("/nonexistent/x.toml", "config file"); }),
            "config file '/nonexistent/x.toml' cannot be read (missing or unreadable)");
  EXPECT_EQ(Message([] { ReadTextFile("/", "config file"); }), "config file '/' is a directory, not a TOML file");
}

}  // namespace
}  // namespace fixar::config
