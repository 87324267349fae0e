// TOML loading and validation of ReramConfig. Messages follow one pattern:
//   "<source>: <key> = <value> is invalid: <what is valid>"
#include "accel/reram/config.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <toml++/toml.h>
#include <vector>

#include "util/toml_integer.h"

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

// Walks one TOML document: every key read is recorded so that unknown keys (typos)
// are reported instead of silently ignored.
class Reader {
 public:
  Reader(const toml::table& root, std::string source) : root_(root), source_(std::move(source)) {
    for (const auto& [key, node] : root_) {
      const std::string k(key.str());
      if (!node.is_table()) {
        Invalid(source_, k, "(a top-level value)",
                "top-level entries are the tables [crossbar] [signed_weights] [adc] [dac] [shift_add] [edram]");
      }
    }
  }

  // Rejects keys of [section] outside `known`, and unknown sections.
  void CheckKeys(const std::string& section, const std::vector<std::string>& known) const {
    const toml::table* t = root_[section].as_table();
    if (t == nullptr) return;
    for (const auto& [key, node] : *t) {
      const std::string k(key.str());
      bool found = false;
      for (const auto& name : known) found = found || name == k;
      if (!found) {
        std::string list;
        for (const auto& name : known) list += (list.empty() ? "" : ", ") + name;
        Invalid(source_, section + "." + k, "(unknown key)", "keys of [" + section + "] are " + list);
      }
    }
  }
  void CheckSections(const std::vector<std::string>& known) const {
    for (const auto& [key, node] : root_) {
      const std::string k(key.str());
      bool found = false;
      for (const auto& name : known) found = found || name == k;
      if (!found) {
        Invalid(source_, "[" + k + "]", "(unknown table)",
                "tables are [crossbar] [signed_weights] [adc] [dac] [shift_add] [edram]");
      }
    }
  }

  const toml::node* Get(const std::string& section, const std::string& key) const {
    const toml::table* t = root_[section].as_table();
    return t == nullptr ? nullptr : t->get(key);
  }
  bool Has(const std::string& section, const std::string& key) const { return Get(section, key) != nullptr; }

  void Int(const std::string& section, const std::string& key, int& out) const {
    const toml::node* n = Get(section, key);
    if (n == nullptr) return;
    const auto v = util::TomlInteger(*n);
    if (!n->is_integer() || !v) Invalid(source_, section + "." + key, Show(*n), "an integer");
    if (*v < -(1LL << 30) || *v > (1LL << 30)) Invalid(source_, section + "." + key, Show(*n), "an integer of modest size");
    out = static_cast<int>(*v);
  }
  void Real(const std::string& section, const std::string& key, double& out) const {
    const toml::node* n = Get(section, key);
    if (n == nullptr) return;
    if (n->is_integer()) {
      out = static_cast<double>(*n->value<std::int64_t>());
    } else if (n->is_floating_point()) {
      out = *n->value<double>();
    } else {
      Invalid(source_, section + "." + key, Show(*n), "a number");
    }
  }
  std::optional<std::string> String(const std::string& section, const std::string& key) const {
    const toml::node* n = Get(section, key);
    if (n == nullptr) return std::nullopt;
    if (!n->is_string()) Invalid(source_, section + "." + key, Show(*n), "a string");
    return *n->value<std::string>();
  }
  const std::string& source() const { return source_; }

 private:
  static std::string Show(const toml::node& n) {
    if (n.is_string()) return fmt::format("\"{}\"", *n.value<std::string>());
    if (n.is_integer()) return std::to_string(*n.value<std::int64_t>());
    if (n.is_floating_point()) return fmt::format("{}", *n.value<double>());
    if (n.is_boolean()) return *n.value<bool>() ? "true" : "false";
    if (n.is_array()) return "(an array)";
    if (n.is_table()) return "(a table)";
    return "(a date/time)";
  }

  const toml::table& root_;
  std::string source_;
};

ReramConfig FromTable(const toml::table& root, const std::string& source) {
  Reader r(root, source);
  r.CheckSections({"crossbar", "signed_weights", "adc", "dac", "shift_add", "edram"});
  r.CheckKeys("crossbar", {"size", "cell_bits", "power_mw", "area_mm2", "read_ns"});
  r.CheckKeys("signed_weights", {"scheme", "offset_columns"});
  r.CheckKeys("adc", {"resolution", "bits", "reference_bits", "sample_rate_gsps", "dynamic_power_mw",
                      "leakage_power_mw", "area_mm2", "power_scale_per_bit", "area_scale_per_bit",
                      "per_crossbar"});
  r.CheckKeys("dac", {"bits", "power_mw", "area_mm2", "scale_per_bit"});
  r.CheckKeys("shift_add", {"power_mw", "area_mm2", "ops_per_ns", "units_per_crossbar"});
  r.CheckKeys("edram", {"capacity_kb", "power_mw", "area_mm2", "bits_per_ns", "crossbars_per_bank"});

  ReramConfig c = ReramConfig::Isaac();
  c.source = source;
  r.Int("crossbar", "size", c.crossbar_size);
  CheckInt(source, "crossbar.size", c.crossbar_size, 8, 4096);  // before it selects the figures below
  // Crossbar figures depend on the size: start from the published row for that size,
  // then let explicit keys override it. Sizes without a published row must give all three.
  if (auto published = published_crossbar_figures(c.crossbar_size)) {
    c.crossbar = *published;
  } else {
    for (const char* key : {"power_mw", "area_mm2", "read_ns"}) {
      if (!r.Has("crossbar", key)) {
        Invalid(source, std::string("crossbar.") + key, "(missing)",
                fmt::format("required when crossbar.size = {} (published figures exist only for 32, 64, 128, 256)",
                            c.crossbar_size));
      }
    }
  }
  r.Int("crossbar", "cell_bits", c.cell_bits);
  r.Real("crossbar", "power_mw", c.crossbar.power_mw);
  r.Real("crossbar", "area_mm2", c.crossbar.area_mm2);
  r.Real("crossbar", "read_ns", c.crossbar.read_ns);

  if (auto scheme = r.String("signed_weights", "scheme")) {
    if (*scheme == "differential") {
      c.signed_weights = SignedWeights::kDifferential;
    } else if (*scheme == "offset") {
      c.signed_weights = SignedWeights::kOffsetColumn;
    } else {
      Invalid(source, "signed_weights.scheme", fmt::format("\"{}\"", *scheme), "\"differential\" or \"offset\"");
    }
  }
  r.Int("signed_weights", "offset_columns", c.offset_columns);

  if (auto mode = r.String("adc", "resolution")) {
    if (*mode == "fixed") {
      c.adc.resolution = AdcResolution::kFixed;
    } else if (*mode == "lossless") {
      c.adc.resolution = AdcResolution::kLossless;
    } else {
      Invalid(source, "adc.resolution", fmt::format("\"{}\"", *mode), "\"fixed\" or \"lossless\"");
    }
  }
  r.Int("adc", "bits", c.adc.bits);
  r.Int("adc", "reference_bits", c.adc.reference_bits);
  r.Real("adc", "sample_rate_gsps", c.adc.sample_rate_gsps);
  r.Real("adc", "dynamic_power_mw", c.adc.dynamic_power_mw);
  r.Real("adc", "leakage_power_mw", c.adc.leakage_power_mw);
  r.Real("adc", "area_mm2", c.adc.area_mm2);
  r.Real("adc", "power_scale_per_bit", c.adc.power_scale_per_bit);
  r.Real("adc", "area_scale_per_bit", c.adc.area_scale_per_bit);
  r.Int("adc", "per_crossbar", c.adc.per_crossbar);

  r.Int("dac", "bits", c.dac.bits);
  r.Real("dac", "power_mw", c.dac.power_mw);
  r.Real("dac", "area_mm2", c.dac.area_mm2);
  r.Real("dac", "scale_per_bit", c.dac.scale_per_bit);

  r.Real("shift_add", "power_mw", c.shift_add.power_mw);
  r.Real("shift_add", "area_mm2", c.shift_add.area_mm2);
  r.Real("shift_add", "ops_per_ns", c.shift_add.ops_per_ns);
  r.Real("shift_add", "units_per_crossbar", c.shift_add.units_per_crossbar);

  r.Real("edram", "capacity_kb", c.edram.capacity_kb);
  r.Real("edram", "power_mw", c.edram.power_mw);
  r.Real("edram", "area_mm2", c.edram.area_mm2);
  r.Real("edram", "bits_per_ns", c.edram.bits_per_ns);
  r.Int("edram", "crossbars_per_bank", c.edram.crossbars_per_bank);

  c.validate();
  return c;
}

}  // namespace

ReramConfig parse_reram_config(std::string_view toml_text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(fmt::format("reram config {}:{}:{}: not valid TOML: {}", source_name,
                                            e.source().begin.line, e.source().begin.column, e.description()));
  }
  return FromTable(root, source_name);
}

ReramConfig load_reram_config(const std::filesystem::path& path) {
  toml::table root;
  try {
    root = toml::parse_file(path.string());
  } catch (const toml::parse_error& e) {
    // toml++ reports a missing/unreadable file as a parse error too; say which file.
    throw std::invalid_argument(fmt::format("reram config {}:{}:{}: {}", path.string(), e.source().begin.line,
                                            e.source().begin.column, e.description()));
  }
  return FromTable(root, path.string());
}

}  // namespace fixar::reram
