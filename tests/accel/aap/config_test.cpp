// Accelerator config files: parsing, validation, error messages.
#include <gtest/gtest.h>

#include <string>

#include "accel/aap/config.h"
#include "accel/aap/network.h"

namespace fixar::aap {
namespace {

std::string ErrorOf(const std::string& toml) {
  try {
    ParseAccelConfig(toml, "test.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Config, ParsesOverridesAndKeepsDefaults) {
  const AccelConfig c = ParseAccelConfig(
      "name = \"x\"\n[array]\ncores = 4\nmode_bits = 16\n[power]\nstatic_w = 5.5\n", "test.toml");
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.array.cores, 4);
  EXPECT_EQ(c.array.mode, PeMode::k16);
  EXPECT_DOUBLE_EQ(c.power.static_w, 5.5);
  EXPECT_EQ(c.array.rows, 16);  // default kept
}

TEST(Config, ErrorsNameTheKeyTheValueAndTheFile) {
  EXPECT_NE(
      ErrorOf("[array]\ncores = 0\n").find("test.toml: array.cores = 0 is out of range; valid: 1"),
      std::string::npos);
  EXPECT_NE(ErrorOf("[array]\npes = 3\n").find("test.toml: array.pes = 3: unknown key; valid keys in [array]: accumulator_bits, clock_mhz, cols, cores"), std::string::npos);
  EXPECT_NE(ErrorOf("[arrays]\n").find("test.toml: arrays = (a table): unknown table; valid tables: array, memory"), std::string::npos);
  EXPECT_NE(ErrorOf("[array]\ncores = 2.5\n").find("test.toml: array.cores = 2.5: expected an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[array]\nmode_bits = 12\n").find("test.toml: array.mode_bits = 12: not a PE mode; valid: 32"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[array\n").find("test.toml: not valid TOML"), std::string::npos);
  EXPECT_NE(ErrorOf("[memory]\nweight_bank_bits = 500\n").find("not a power of two"),
            std::string::npos);
  EXPECT_THROW(LoadAccelConfig("/nonexistent/u50.toml"), std::invalid_argument);
}

TEST(Config, NetworkToml) {
  const auto n = ParseNetworkToml("[network]\ntask = \"hopper\"\nhidden = [64, 64]\n", "net.toml");
  EXPECT_EQ(n.state_dim, 11);
  EXPECT_EQ(n.hidden, (std::vector<int>{64, 64}));
  const auto m = ParseNetworkToml("[network]\nstate_dim = 5\naction_dim = 1\n", "net.toml");
  EXPECT_EQ(m.CriticDims(), (std::vector<int>{6, 400, 300, 1}));
  EXPECT_THROW(ParseNetworkToml("[network]\ntask = \"ant\"\n", "net.toml"), std::invalid_argument);
  EXPECT_THROW(ParseNetworkToml("[network]\nstate_dim = 0\naction_dim = 1\n", "net.toml"),
               std::invalid_argument);
  EXPECT_THROW(ParseNetworkToml("[network]\nlayers = 3\n", "net.toml"), std::invalid_argument);
}

// The network file binds through the config binder: one message naming file, key, value and what is valid.
TEST(Config, NetworkTomlErrorsHaveTheBindersFormat) {
  const auto error = [](const std::string& text) {
    try {
      ParseNetworkToml(text, "net.toml");
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_EQ(error("[network]\nlayers = 3\n"),
            "net.toml: network.layers = 3: unknown key; valid keys in [network]: action_dim, hidden, state_dim, task");
  EXPECT_EQ(error("[network]\nstate_dim = 4294967313\n"),
            "net.toml: network.state_dim = 4294967313: out of range; valid: an integer in [-2147483648, 2147483647]");
  EXPECT_EQ(error("[network]\nhidden = [64, 1.5]\n"),
            "net.toml: network.hidden[1] = 1.5: expected an integer in [-2147483648, 2147483647], got a float");
  EXPECT_EQ(error("[network]\ntask = \"ant\"\n").rfind("net.toml: network.task = 'ant': unknown task 'ant'", 0), 0u);
}

}  // namespace
}  // namespace fixar::aap
