// The TOML loader: the shipped isaac.toml equals the built-in defaults, partial files keep
// defaults, and every kind of bad input names the key, the value, the file and what is valid.
#include <gtest/gtest.h>

#include <string>

#include "accel/reram/config.h"

namespace fixar::reram {
namespace {

std::string ErrorOf(const std::string& toml) {
  try {
    parse_reram_config(toml, "test.toml");
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

void ExpectMentions(const std::string& message, std::initializer_list<const char*> parts) {
  for (const char* p : parts) EXPECT_NE(message.find(p), std::string::npos) << "'" << p << "' missing in: " << message;
}

// Found by fuzz/reram_config: an integer key given a huge float (size = 4.4e86) reached
// toml++'s float -> int64 cast, undefined (UBSan). config::ReadInteger never makes that
// cast: a float is no integer here, and where whole floats are allowed it checks the range first.
TEST(ReramConfig, HugeFloatsForIntegerKeysAreInvalid) {
  for (const char* v : {"4.4e86", "-1e19", "9.3e18", "nan", "inf", "1.5"})
    EXPECT_THROW(parse_reram_config(std::string("[crossbar]\nsize = ") + v + "\n", "huge.toml"), std::invalid_argument)
        << v;
}

TEST(ReramConfig, ShippedIsaacFileEqualsBuiltInDefaults) {
  const ReramConfig f = load_reram_config(std::string(FIXAR_SOURCE_DIR) + "/configs/reram/isaac.toml");
  const ReramConfig d = ReramConfig::Isaac();
  EXPECT_EQ(f.crossbar_size, d.crossbar_size);
  EXPECT_EQ(f.cell_bits, d.cell_bits);
  EXPECT_EQ(f.signed_weights, d.signed_weights);
  EXPECT_EQ(f.offset_columns, d.offset_columns);
  EXPECT_DOUBLE_EQ(f.crossbar.power_mw, d.crossbar.power_mw);
  EXPECT_DOUBLE_EQ(f.crossbar.area_mm2, d.crossbar.area_mm2);
  EXPECT_DOUBLE_EQ(f.crossbar.read_ns, d.crossbar.read_ns);
  EXPECT_EQ(f.adc.resolution, d.adc.resolution);
  EXPECT_EQ(f.adc.bits, d.adc.bits);
  EXPECT_DOUBLE_EQ(f.adc.sample_rate_gsps, d.adc.sample_rate_gsps);
  EXPECT_DOUBLE_EQ(f.adc.dynamic_power_mw, d.adc.dynamic_power_mw);
  EXPECT_DOUBLE_EQ(f.adc.leakage_power_mw, d.adc.leakage_power_mw);
  EXPECT_DOUBLE_EQ(f.adc.area_mm2, d.adc.area_mm2);
  EXPECT_EQ(f.adc.per_crossbar, d.adc.per_crossbar);
  EXPECT_EQ(f.dac.bits, d.dac.bits);
  EXPECT_DOUBLE_EQ(f.dac.power_mw, d.dac.power_mw);
  EXPECT_DOUBLE_EQ(f.dac.area_mm2, d.dac.area_mm2);
  EXPECT_DOUBLE_EQ(f.shift_add.power_mw, d.shift_add.power_mw);
  EXPECT_DOUBLE_EQ(f.shift_add.area_mm2, d.shift_add.area_mm2);
  EXPECT_DOUBLE_EQ(f.edram.power_mw, d.edram.power_mw);
  EXPECT_DOUBLE_EQ(f.edram.area_mm2, d.edram.area_mm2);
  EXPECT_EQ(f.edram.crossbars_per_bank, d.edram.crossbars_per_bank);
}

TEST(ReramConfig, SizeAloneTakesThePublishedCrossbarRow) {
  const ReramConfig c = parse_reram_config("[crossbar]\nsize = 256\n", "t");
  EXPECT_DOUBLE_EQ(c.crossbar.power_mw, 1.2);
  EXPECT_DOUBLE_EQ(c.crossbar.area_mm2, 1.0e-4);
  EXPECT_EQ(c.cell_bits, 2);  // untouched default
  const ReramConfig s = parse_reram_config("[crossbar]\nsize = 32\npower_mw = 0.02\n", "t");
  EXPECT_DOUBLE_EQ(s.crossbar.power_mw, 0.02);       // explicit key wins
  EXPECT_DOUBLE_EQ(s.crossbar.area_mm2, 1.5625e-6);  // published row for 32
}

TEST(ReramConfig, SchemesAndAdcModesParse) {
  const ReramConfig c = parse_reram_config(
      "[signed_weights]\nscheme = \"differential\"\n[adc]\nresolution = \"lossless\"\nsample_rate_gsps = 1\n", "t");
  EXPECT_EQ(c.signed_weights, SignedWeights::kDifferential);
  EXPECT_EQ(c.adc.resolution, AdcResolution::kLossless);
  EXPECT_DOUBLE_EQ(c.adc.sample_rate_gsps, 1.0);  // an integer is accepted for a real
}

TEST(ReramConfig, ErrorsNameKeyValueFileAndWhatIsValid) {
  ExpectMentions(ErrorOf("[crossbar]\nsize = 4\n"), {"test.toml", "crossbar.size = 4", "[8, 4096]"});
  ExpectMentions(ErrorOf("[crossbar]\ncell_bit = 2\n"), {"test.toml", "crossbar.cell_bit", "unknown key", "cell_bits"});
  ExpectMentions(ErrorOf("[adcs]\nbits = 8\n"), {"adcs = (a table)", "unknown table", "adc, dac"});
  ExpectMentions(ErrorOf("[signed_weights]\nscheme = \"twos\"\n"),
                 {"test.toml: signed_weights.scheme = 'twos': unknown value; valid: differential, offset"});
  ExpectMentions(ErrorOf("[adc]\nresolution = \"auto\"\n"), {"adc.resolution = 'auto'", "valid: fixed, lossless"});
  ExpectMentions(ErrorOf("[adc]\nbits = \"8\"\n"), {"adc.bits = '8'", "expected an integer"});
  ExpectMentions(ErrorOf("[adc]\nbits = 8.5\n"), {"test.toml: adc.bits = 8.5: expected an integer in [-1073741824, 1073741824], got a float"});
  ExpectMentions(ErrorOf("[adc]\nsample_rate_gsps = 0\n"), {"adc.sample_rate_gsps = 0", "> 0"});
  ExpectMentions(ErrorOf("[adc]\npower_scale_per_bit = 0.5\n"), {"adc.power_scale_per_bit = 0.5", ">= 1"});
  ExpectMentions(ErrorOf("[dac]\nbits = 9\n"), {"dac.bits = 9", "[1, 8]"});
  ExpectMentions(ErrorOf("[crossbar]\nsize = 100\n"),
                 {"crossbar.power_mw", "missing", "size = 100", "32, 64, 128, 256"});
  ExpectMentions(ErrorOf("bits = 8\n"), {"bits = 8", "unknown table", "crossbar"});
  ExpectMentions(ErrorOf("[crossbar\nsize = 8\n"), {"test.toml", "not valid TOML", "line 1"});
}

TEST(ReramConfig, MissingFileNamesThePath) {
  try {
    load_reram_config("/nonexistent/dir/reram.toml");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/dir/reram.toml"), std::string::npos) << e.what();
  }
}

TEST(ReramConfig, ValidateCatchesProgrammaticMistakes) {
  ReramConfig c = ReramConfig::Isaac();
  c.offset_columns = 0;
  try {
    c.validate();
    FAIL();
  } catch (const std::invalid_argument& e) {
    ExpectMentions(e.what(), {"built-in ISAAC defaults", "signed_weights.offset_columns = 0", "[1, 128]"});
  }
}

}  // namespace
}  // namespace fixar::reram
