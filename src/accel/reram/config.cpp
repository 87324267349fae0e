// TOML loading and validation of ReramConfig. Messages follow one pattern:
//   "<source>: <key> = <value> is invalid: <what is valid>"
#include "accel/reram/config.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <toml++/toml.h>
#include <vector>

#include "config/section.h"

namespace fixar::reram {

std::optional<CrossbarFigures> published_crossbar_figures(int size) {
  // autoq.md, "Component figures published with the ISAAC / PUMA models (32 nm)".
  switch (size) {
    case 32: return CrossbarFigures{0.01875, 1.5625e-6, 128.0};
    case 64: return CrossbarFigures{0.075, 6.25e-6, 128.0};
    case 128: return CrossbarFigures{0.3, 2.5e-5, 128.0};
    case 256: return CrossbarFigures{1.2, 1.0e-4, 128.0};
    default: return std::nullopt;
  }
}

ReramConfig ReramConfig::Isaac() { return ReramConfig{}; }

const char* to_string(SignedWeights s) {
  return s == SignedWeights::kDifferential ? "differential" : "offset";
}
const char* to_string(AdcResolution r) { return r == AdcResolution::kFixed ? "fixed" : "lossless"; }

namespace {

[[noreturn]] void Invalid(const std::string& source, const std::string& key, const std::string& value,
                          const std::string& valid) {
  throw std::invalid_argument(fmt::format("reram config {}: {} = {} is invalid: {}", source, key, value, valid));
}

void CheckInt(const std::string& source, const char* key, long long v, long long lo, long long hi) {
  if (v < lo || v > hi) Invalid(source, key, std::to_string(v), fmt::format("an integer in [{}, {}]", lo, hi));
}
// lo_open: the bound itself is not allowed (e.g. a positive rate).
void CheckReal(const std::string& source, const char* key, double v, double lo, bool lo_open) {
  const bool bad = !std::isfinite(v) || (lo_open ? v <= lo : v < lo);
  if (bad) Invalid(source, key, fmt::format("{}", v), fmt::format("a finite number {} {}", lo_open ? ">" : ">=", lo));
}

}  // namespace

void ReramConfig::validate() const {
  const std::string& s = source;
  CheckInt(s, "crossbar.size", crossbar_size, 8, 4096);
  CheckInt(s, "crossbar.cell_bits", cell_bits, 1, 8);
  CheckReal(s, "crossbar.power_mw", crossbar.power_mw, 0.0, false);
  CheckReal(s, "crossbar.area_mm2", crossbar.area_mm2, 0.0, true);
  CheckReal(s, "crossbar.read_ns", crossbar.read_ns, 0.0, true);
  CheckInt(s, "signed_weights.offset_columns", offset_columns, 1, crossbar_size);
  CheckInt(s, "adc.bits", adc.bits, 1, 16);
  CheckInt(s, "adc.reference_bits", adc.reference_bits, 1, 16);
  CheckReal(s, "adc.sample_rate_gsps", adc.sample_rate_gsps, 0.0, true);
  CheckReal(s, "adc.dynamic_power_mw", adc.dynamic_power_mw, 0.0, false);
  CheckReal(s, "adc.leakage_power_mw", adc.leakage_power_mw, 0.0, false);
  CheckReal(s, "adc.area_mm2", adc.area_mm2, 0.0, true);
  // A factor below 1 would make a coarser ADC cost more; the model promises the opposite.
  CheckReal(s, "adc.power_scale_per_bit", adc.power_scale_per_bit, 1.0, false);
  CheckReal(s, "adc.area_scale_per_bit", adc.area_scale_per_bit, 1.0, false);
  CheckInt(s, "adc.per_crossbar", adc.per_crossbar, 1, crossbar_size);
  CheckInt(s, "dac.bits", dac.bits, 1, 8);
  CheckReal(s, "dac.power_mw", dac.power_mw, 0.0, false);
  CheckReal(s, "dac.area_mm2", dac.area_mm2, 0.0, false);
  CheckReal(s, "dac.scale_per_bit", dac.scale_per_bit, 1.0, false);
  CheckReal(s, "shift_add.power_mw", shift_add.power_mw, 0.0, false);
  CheckReal(s, "shift_add.area_mm2", shift_add.area_mm2, 0.0, false);
  CheckReal(s, "shift_add.ops_per_ns", shift_add.ops_per_ns, 0.0, true);
  CheckReal(s, "shift_add.units_per_crossbar", shift_add.units_per_crossbar, 0.0, true);
  CheckReal(s, "edram.capacity_kb", edram.capacity_kb, 0.0, true);
  CheckReal(s, "edram.power_mw", edram.power_mw, 0.0, false);
  CheckReal(s, "edram.area_mm2", edram.area_mm2, 0.0, false);
  CheckReal(s, "edram.bits_per_ns", edram.bits_per_ns, 0.0, true);
  CheckInt(s, "edram.crossbars_per_bank", edram.crossbars_per_bank, 1, 1 << 20);
}

namespace {

// Integers of modest size: every integer key here is a count or a width.
constexpr config::IntRange kModest{-(1LL << 30), 1LL << 30};
// Numbers are checked by validate() (finite, signs), so inf and nan pass here.
constexpr config::NumberRange kAnyNumber{.finite = false};

// [crossbar]: the size first, since it selects the published figures the other keys override.
void BindCrossbar(const toml::table& root, const std::string& source, ReramConfig& c) {
  config::Section t(root["crossbar"].as_table(), source, "crossbar");
  t.Integer("size", c.crossbar_size, kModest);
  CheckInt(source, "crossbar.size", c.crossbar_size, 8, 4096);  // before it selects the figures below
  // Sizes without a published row must give all three figures.
  if (auto published = published_crossbar_figures(c.crossbar_size)) {
    c.crossbar = *published;
  } else {
    for (const char* key : {"power_mw", "area_mm2", "read_ns"})
      if (!t.Take(key))
        Invalid(source, std::string("crossbar.") + key, "(missing)",
                fmt::format("required when crossbar.size = {} (published figures exist only for 32, 64, 128, 256)",
                            c.crossbar_size));
  }
  t.Integer("cell_bits", c.cell_bits, kModest);
  t.Number("power_mw", c.crossbar.power_mw, kAnyNumber);
  t.Number("area_mm2", c.crossbar.area_mm2, kAnyNumber);
  t.Number("read_ns", c.crossbar.read_ns, kAnyNumber);
  t.RejectUnknown();
}

void BindConverters(const toml::table& root, const std::string& source, ReramConfig& c) {
  config::Section sw(root["signed_weights"].as_table(), source, "signed_weights");
  sw.Choice("scheme", c.signed_weights,
            {{"differential", SignedWeights::kDifferential}, {"offset", SignedWeights::kOffsetColumn}});
  sw.Integer("offset_columns", c.offset_columns, kModest);
  sw.RejectUnknown();
  config::Section adc(root["adc"].as_table(), source, "adc");
  adc.Choice("resolution", c.adc.resolution, {{"fixed", AdcResolution::kFixed}, {"lossless", AdcResolution::kLossless}});
  adc.Integer("bits", c.adc.bits, kModest);
  adc.Integer("reference_bits", c.adc.reference_bits, kModest);
  adc.Number("sample_rate_gsps", c.adc.sample_rate_gsps, kAnyNumber);
  adc.Number("dynamic_power_mw", c.adc.dynamic_power_mw, kAnyNumber);
  adc.Number("leakage_power_mw", c.adc.leakage_power_mw, kAnyNumber);
  adc.Number("area_mm2", c.adc.area_mm2, kAnyNumber);
  adc.Number("power_scale_per_bit", c.adc.power_scale_per_bit, kAnyNumber);
  adc.Number("area_scale_per_bit", c.adc.area_scale_per_bit, kAnyNumber);
  adc.Integer("per_crossbar", c.adc.per_crossbar, kModest);
  adc.RejectUnknown();
  config::Section dac(root["dac"].as_table(), source, "dac");
  dac.Integer("bits", c.dac.bits, kModest);
  dac.Number("power_mw", c.dac.power_mw, kAnyNumber);
  dac.Number("area_mm2", c.dac.area_mm2, kAnyNumber);
  dac.Number("scale_per_bit", c.dac.scale_per_bit, kAnyNumber);
  dac.RejectUnknown();
}

void BindPeripherals(const toml::table& root, const std::string& source, ReramConfig& c) {
  config::Section sa(root["shift_add"].as_table(), source, "shift_add");
  sa.Number("power_mw", c.shift_add.power_mw, kAnyNumber);
  sa.Number("area_mm2", c.shift_add.area_mm2, kAnyNumber);
  sa.Number("ops_per_ns", c.shift_add.ops_per_ns, kAnyNumber);
  sa.Number("units_per_crossbar", c.shift_add.units_per_crossbar, kAnyNumber);
  sa.RejectUnknown();
  config::Section e(root["edram"].as_table(), source, "edram");
  e.Number("capacity_kb", c.edram.capacity_kb, kAnyNumber);
  e.Number("power_mw", c.edram.power_mw, kAnyNumber);
  e.Number("area_mm2", c.edram.area_mm2, kAnyNumber);
  e.Number("bits_per_ns", c.edram.bits_per_ns, kAnyNumber);
  e.Integer("crossbars_per_bank", c.edram.crossbars_per_bank, kModest);
  e.RejectUnknown();
}

ReramConfig FromTable(const toml::table& root, const std::string& source) {
  config::RejectUnknownTables(root, source, {"crossbar", "signed_weights", "adc", "dac", "shift_add", "edram"});
  ReramConfig c = ReramConfig::Isaac();
  c.source = source;
  BindCrossbar(root, source, c);
  BindConverters(root, source, c);
  BindPeripherals(root, source, c);
  c.validate();
  return c;
}

}  // namespace

ReramConfig parse_reram_config(std::string_view toml_text, const std::string& source_name) {
  return FromTable(config::ParseToml(toml_text, source_name), source_name);
}

ReramConfig load_reram_config(const std::filesystem::path& path) {
  const std::string source = path.string();
  return FromTable(config::ParseToml(config::ReadTextFile(source, "reram config"), source), source);
}

}  // namespace fixar::reram
