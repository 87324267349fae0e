// Configuration of the ReRAM crossbar accelerator that the cost model prices.
//
// The organisation is ISAAC-like (Shafiee et al., ISCA 2016): X x X crossbars holding
// `cell_bits` per cell, bit-serial inputs through `dac.bits`-bit DACs, one or more
// ADCs per crossbar, shift-and-add units merging weight slices and input cycles, and
// eDRAM buffers for activations. Every default comes from the component figures in
// shared/reference/autoq.md (ISAAC / PUMA, 32 nm); configs/reram/isaac.toml repeats
// them with their sources, and docs/reram.md lists which are our assumptions.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace fixar::reram {

// How signed weights are stored in cells that only hold conductances >= 0.
enum class SignedWeights {
  kDifferential,  // PRIME-style: a positive and a negative column per slice (polarity 2)
  kOffsetColumn,  // ISAAC-style: weights biased to unsigned (offset binary) plus
                  // `offset_columns` extra columns per row block whose output, times
                  // the bias, is subtracted digitally (polarity 1)
};

// How the ADC resolution is chosen.
enum class AdcResolution {
  kFixed,     // every layer uses adc.bits (ISAAC: 8 bits)
  kLossless,  // per layer: ceil(log2(rows used)) + c_eff + d_eff - (1 if c_eff = d_eff = 1)
};

// One crossbar (array plus its drivers, without ADC/DAC), as in PUMA's table.
struct CrossbarFigures {
  double power_mw = 0.3;     // while being read
  double area_mm2 = 2.5e-5;
  double read_ns = 128.0;    // one analog read (one input cycle)
};

// Published crossbar figures (autoq.md, PUMA/ISAAC, 32 nm) for X = 32, 64, 128, 256.
// read_ns is PUMA's 128 ns for every size: only the 128 x 128 value is published, and
// we assume the read time does not change with size (documented assumption).
std::optional<CrossbarFigures> published_crossbar_figures(int size);

// ADC. Figures are for `reference_bits`; other resolutions scale geometrically:
//   P(b) = P(ref) * power_scale_per_bit^(b - ref),  A(b) = A(ref) * area_scale_per_bit^(b - ref).
// The default factor 2 is the Walden figure-of-merit rule for a fixed sample rate
// (P = FOM * 2^ENOB * f_s) and a SAR's binary-weighted capacitor array (area ~ 2^b):
// an assumption, not a measurement.
struct AdcFigures {
  AdcResolution resolution = AdcResolution::kFixed;
  int bits = 8;                     // used when resolution == kFixed
  int reference_bits = 8;           // the resolution the figures below were published at
  double sample_rate_gsps = 1.28;   // conversions per ns; held fixed for every resolution
  double dynamic_power_mw = 1.8;    // while converting
  double leakage_power_mw = 0.2;    // while its layer is busy (idle layers power-gated)
  double area_mm2 = 0.0012;
  double power_scale_per_bit = 2.0;
  double area_scale_per_bit = 2.0;
  int per_crossbar = 1;             // ISAAC: 8 ADCs for 8 crossbars per IMA
};

// Input DAC, one per crossbar row. Published for 1 bit; d-bit DACs scale as
// P(d) = P(1) * scale_per_bit^(d - 1) (same assumption as the ADC).
struct DacFigures {
  int bits = 1;                 // input bits applied per cycle (ISAAC: 1)
  double power_mw = 0.0035;
  double area_mm2 = 1.67e-7;
  double scale_per_bit = 2.0;   // power and area
};

struct ShiftAddFigures {
  double power_mw = 0.05;
  double area_mm2 = 6e-5;
  double ops_per_ns = 1.28;         // assumed to keep pace with one ADC (1.28 GS/s)
  double units_per_crossbar = 0.5;  // ISAAC: 4 shift-and-add units per 8-crossbar IMA
};

// Activation buffers. One bank of capacity_kb per `crossbars_per_bank` crossbars
// (ISAAC tile: 12 IMAs x 8 crossbars share one 64 KB eDRAM).
struct EdramFigures {
  double capacity_kb = 64.0;
  double power_mw = 8.6;            // dynamic, while transferring
  double area_mm2 = 0.086;
  double bits_per_ns = 256.0;       // bank bandwidth (assumption); energy/bit = P / bandwidth
  int crossbars_per_bank = 96;
};

struct ReramConfig {
  int crossbar_size = 128;  // X: rows = columns
  int cell_bits = 2;        // c: bits per ReRAM cell (ISAAC: 2)
  SignedWeights signed_weights = SignedWeights::kOffsetColumn;
  int offset_columns = 1;   // extra columns per row block when kOffsetColumn
  CrossbarFigures crossbar;
  AdcFigures adc;
  DacFigures dac;
  ShiftAddFigures shift_add;
  EdramFigures edram;
  std::string source = "built-in ISAAC defaults";  // file it was loaded from, for messages

  // ISAAC/PUMA defaults: 128 x 128, 2 bits per cell, 1-bit DAC, fixed 8-bit ADC,
  // offset column (the same values as configs/reram/isaac.toml).
  static ReramConfig Isaac();

  // Throws std::invalid_argument naming the field, its value, `source`, and the valid range.
  void validate() const;
};

const char* to_string(SignedWeights s);   // "differential" / "offset"
const char* to_string(AdcResolution r);   // "fixed" / "lossless"

// Reads a TOML file (see configs/reram/isaac.toml). Keys left out keep the ISAAC
// defaults, except that crossbar power/area/read default to published_crossbar_figures
// for the chosen size. Unknown keys, wrong types and out-of-range values throw
// std::invalid_argument naming the key, the value, the file and what is valid.
ReramConfig load_reram_config(const std::filesystem::path& path);
// Same, from TOML text; `source_name` is used in messages.
ReramConfig parse_reram_config(std::string_view toml_text, const std::string& source_name);

}  // namespace fixar::reram
