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
  EXPECT_NE(ErrorOf("[array]\npes = 3\n").find("unknown key 'array.pes'"), std::string::npos);
  EXPECT_NE(ErrorOf("[arrays]\n").find("unknown table or key 'arrays'"), std::string::npos);
  EXPECT_NE(ErrorOf("[array]\ncores = 2.5\n").find("array.cores must be an integer"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[array]\nmode_bits = 12\n").find("PE mode 12 bits is not a mode"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[array\n").find("test.toml: malformed TOML"), std::string::npos);
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

}  // namespace
}  // namespace fixar::aap
