#include "export/c_header.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "numerics/rounding.h"

namespace fixar::exporting {
namespace {

// The network-independent part of the header: two-word integers, the rounding shift, the
// saturation, FromDouble, FixedTanh and one layer. `@s@` / `@S@` become the symbol
// prefix (as given / upper case). Every function mirrors a C++ primitive named in its comment.
constexpr const char* kRuntime = R"C(
/* ---- integer runtime (mirrors src/numerics/rounding.h and src/nn/fixed_math.cpp) ---- */

#define @S@_FLOOR 0       /* num::Quant::kFloor (AP_TRN) */
#define @S@_TOWARD_ZERO 1 /* num::Quant::kTowardZero (AP_TRN_ZERO) */
#define @S@_HALF_UP 2     /* num::Quant::kHalfUp (AP_RND) */
#define @S@_HALF_EVEN 3   /* num::Quant::kHalfEven (AP_RND_CONV) */
#define @S@_ACT_NONE 0
#define @S@_ACT_RELU 1
#define @S@_ACT_TANH 2
#ifndef @S@_FORCE_WIDE /* define as 1 to take the two-word accumulator in every layer */
#define @S@_FORCE_WIDE 0
#endif

/* A 128-bit two's complement integer in two words: value = hi * 2^64 + lo (mod 2^128). */
typedef struct { uint64_t hi, lo; } @s@_i128;

static inline @s@_i128 @s@_from_i64(int64_t v) {
  @s@_i128 r;
  r.lo = (uint64_t)v;
  r.hi = v < 0 ? UINT64_MAX : 0;
  return r;
}
static inline @s@_i128 @s@_add_i64(@s@_i128 a, int64_t v) {
  @s@_i128 r;
  r.lo = a.lo + (uint64_t)v;
  r.hi = a.hi + (v < 0 ? UINT64_MAX : 0) + (r.lo < a.lo ? 1u : 0u);
  return r;
}
static inline int @s@_negative(@s@_i128 a) { return (int)(a.hi >> 63); }
/* floor(a / 2^s), 1 <= s <= 127 (an arithmetic shift) */
static inline @s@_i128 @s@_shr(@s@_i128 a, int s) {
  const uint64_t fill = @s@_negative(a) ? UINT64_MAX : 0;
  @s@_i128 r;
  if (s >= 64) {
    const int t = s - 64;
    r.lo = t == 0 ? a.hi : (a.hi >> t) | (fill << (64 - t));
    r.hi = fill;
  } else {
    r.lo = (a.lo >> s) | (a.hi << (64 - s));
    r.hi = (a.hi >> s) | (fill << (64 - s));
  }
  return r;
}
/* a mod 2^s (the low s bits, as a non-negative value), 1 <= s <= 127 */
static inline @s@_i128 @s@_low_bits(@s@_i128 a, int s) {
  @s@_i128 r;
  r.lo = s >= 64 ? a.lo : a.lo & (UINT64_MAX >> (64 - s));
  r.hi = s <= 64 ? 0 : a.hi & (UINT64_MAX >> (128 - s));
  return r;
}
/* unsigned comparison: -1, 0, 1 */
static inline int @s@_ucmp(@s@_i128 a, @s@_i128 b) {
  if (a.hi != b.hi) return a.hi < b.hi ? -1 : 1;
  return a.lo == b.lo ? 0 : (a.lo < b.lo ? -1 : 1);
}
static inline @s@_i128 @s@_pow2(int e) { /* 0 <= e <= 126 */
  @s@_i128 r;
  r.hi = e >= 64 ? (uint64_t)1 << (e - 64) : 0;
  r.lo = e < 64 ? (uint64_t)1 << e : 0;
  return r;
}
/* num::RoundingShiftRight(x, s, mode): x / 2^s rounded, 1 <= s <= 126 */
static inline @s@_i128 @s@_round_shift(@s@_i128 x, int s, int mode) {
  const @s@_i128 q = @s@_shr(x, s), rem = @s@_low_bits(x, s);
  int up = 0, c;
  switch (mode) {
    case @S@_TOWARD_ZERO: up = @s@_negative(x) && (rem.hi | rem.lo) != 0; break;
    case @S@_HALF_UP: up = @s@_ucmp(rem, @s@_pow2(s - 1)) >= 0; break;
    case @S@_HALF_EVEN:
      c = @s@_ucmp(rem, @s@_pow2(s - 1));
      up = c > 0 || (c == 0 && (q.lo & 1u) != 0);
      break;
    default: break; /* @S@_FLOOR */
  }
  return up ? @s@_add_i64(q, 1) : q;
}
static inline int64_t @s@_max_raw(int word) { return (int64_t)(((uint64_t)1 << (word - 1)) - 1); }
/* 1 when x fits int64 (its value in *v) */
static inline int @s@_to_i64(@s@_i128 x, int64_t* v) {
  if (x.hi == 0 && x.lo <= (uint64_t)INT64_MAX) {
    *v = (int64_t)x.lo;
    return 1;
  }
  if (x.hi == UINT64_MAX && x.lo > (uint64_t)INT64_MAX) {
    *v = -(int64_t)(~x.lo) - 1;
    return 1;
  }
  return 0;
}
/* num::Saturate into a signed word of 2..64 bits */
static inline int64_t @s@_saturate(@s@_i128 x, int word) {
  const int64_t hi = @s@_max_raw(word), lo = -hi - 1;
  int64_t v;
  if (!@s@_to_i64(x, &v)) return @s@_negative(x) ? lo : hi;
  return v > hi ? hi : (v < lo ? lo : v);
}
/* num::SaturatingShiftLeft(x, t) then num::Saturate, t >= 1 */
static inline int64_t @s@_saturate_shl(@s@_i128 x, int t, int word) {
  const int64_t hi = @s@_max_raw(word), lo = -hi - 1;
  int64_t v;
  if (!@s@_to_i64(x, &v)) return @s@_negative(x) ? lo : hi;
  if (v == 0) return 0;
  if (t >= 63) return v > 0 ? hi : lo;
  if (v > (hi >> t)) return hi;
  if (v < -(int64_t)(((uint64_t)1 << (word - 1)) >> t)) return lo;
  return v * ((int64_t)1 << t);
}
/* num::Requantize(x, from_frac, Signed(word, frac), mode, kSaturate), word <= 64 */
static inline int64_t @s@_requantize(@s@_i128 x, int from_frac, int word, int frac, int mode) {
  const int shift = from_frac - frac;
  if (shift > 0) return @s@_saturate(@s@_round_shift(x, shift > 126 ? 126 : shift, mode), word);
  if (shift < 0) return @s@_saturate_shl(x, -shift, word);
  return @s@_saturate(x, word);
}
/* num::FromDouble(v, Signed(word, frac), mode, kSaturate) for word <= 32; scale = 2^frac.
   NaN gives 0; beyond the format, the nearest end. No libm: |v * scale| <= 2^31 here. */
static inline int64_t @s@_from_double(double v, double scale, int word, int mode) {
  const int64_t hi = @s@_max_raw(word), lo = -hi - 1;
  const double s = v * scale; /* exact: a power-of-two scale (as ldexp) */
  int64_t t, fl, r;
  double frac;
  if (v != v) return 0;
  if (s > (double)hi) return hi;
  if (s < (double)lo) return lo;
  t = (int64_t)s; /* toward zero */
  fl = (double)t > s ? t - 1 : t;
  frac = s - (double)fl;
  switch (mode) {
    case @S@_TOWARD_ZERO: r = t; break;
    case @S@_HALF_UP: r = frac >= 0.5 ? fl + 1 : fl; break;
    case @S@_HALF_EVEN: r = (frac > 0.5 || (frac == 0.5 && (fl & 1) != 0)) ? fl + 1 : fl; break;
    default: r = fl; break; /* @S@_FLOOR */
  }
  return r > hi ? hi : (r < lo ? lo : r);
}
/* nn::FixedTanh(x, Signed(32, in_frac), Signed(out_word, out_frac), mode): the table
   @s@_tanh_table, |x| aligned to @S@_TANH_IN_FRAC bits (floor), interpolation half-even */
static inline int64_t @s@_tanh(int64_t x, int in_frac, int out_word, int out_frac, int mode) {
  const int64_t limit = (int64_t)@S@_TANH_ENTRIES << (@S@_TANH_IN_FRAC - @S@_TANH_STEP_BITS);
  const int index_shift = @S@_TANH_IN_FRAC - @S@_TANH_STEP_BITS;
  int64_t ax = x < 0 ? -x : x, y;
  int big;
  if (in_frac >= @S@_TANH_IN_FRAC) {
    const int s = in_frac - @S@_TANH_IN_FRAC;
    ax = s >= 63 ? 0 : ax >> s;
    big = ax >= limit;
  } else {
    const int s = @S@_TANH_IN_FRAC - in_frac; /* |x| <= 2^31: below 2^63 for s < 32 */
    big = ax != 0 && (s >= 32 || (ax << s) >= limit);
    if (!big) ax <<= s;
  }
  if (big) {
    y = (int64_t)1 << @S@_TANH_TABLE_FRAC;
  } else {
    const int64_t idx = ax >> index_shift, rem = ax & (((int64_t)1 << index_shift) - 1);
    const int64_t t0 = @s@_tanh_table[idx], t1 = @s@_tanh_table[idx + 1];
    y = t0 + @s@_requantize(@s@_from_i64((t1 - t0) * rem), index_shift, 64, 0, @S@_HALF_EVEN);
  }
  if (x < 0) y = -y;
  return @s@_requantize(@s@_from_i64(y), @S@_TANH_TABLE_FRAC, out_word, out_frac, mode);
}

struct @s@_layer {
  int in, out;
  const int32_t* w; /* out x in, row-major */
  int w_frac;
  const int32_t* b;
  int b_frac;
  int in_word, in_frac; /* the layer input's format */
  int act;              /* @S@_ACT_* */
  int wide;             /* 1: the sum needs the two-word accumulator (bound in the layer's comment) */
};

/* One layer for one sample: the exact sum, + bias at the accumulator scale, the output
   stage into the activation format (ReLU after it), tanh by table. */
static inline void @s@_layer_forward(const struct @s@_layer* L, const int32_t* x, int32_t* y) {
  const int acc_frac = L->in_frac + L->w_frac;
  int j, k;
  for (j = 0; j < L->out; ++j) {
    const int32_t* w = L->w + (long)j * L->in;
    const int64_t bias = @s@_requantize(@s@_from_i64(L->b[j]), L->b_frac, 64, acc_frac, @S@_FLOOR);
    @s@_i128 acc;
    int64_t v;
    if (L->wide || @S@_FORCE_WIDE) { /* |x*w| <= 2^62, K < 2^31: |sum| < 2^94, far inside 128 bits */
      acc = @s@_from_i64(bias);
      for (k = 0; k < L->in; ++k) acc = @s@_add_i64(acc, (int64_t)x[k] * w[k]);
    } else { /* the export proved K * max|x| * max|w| + |bias| < 2^63 for this layer */
      int64_t s = bias;
      for (k = 0; k < L->in; ++k) s += (int64_t)x[k] * w[k];
      acc = @s@_from_i64(s);
    }
    v = @s@_requantize(acc, acc_frac, @S@_ACT_WORD_BITS, @S@_ACT_FRAC_BITS, @S@_ROUNDING);
    if (L->act == @S@_ACT_RELU && v < 0) v = 0;
    if (L->act == @S@_ACT_TANH) v = @s@_tanh(v, @S@_ACT_FRAC_BITS, @S@_ACT_WORD_BITS, @S@_ACT_FRAC_BITS, @S@_ROUNDING);
    y[j] = (int32_t)v;
  }
}
)C";

// The entry points, after the network's tables.
constexpr const char* kEntryPoints = R"C(
/* The network input's quantization: obs -> raw in the activation format (@S@_ROUNDING, saturating). */
static inline void @s@_quantize_obs(const double* obs, int32_t* obs_raw) {
  int i;
  for (i = 0; i < @S@_OBS_DIM; ++i)
    obs_raw[i] = (int32_t)@s@_from_double(obs[i], @S@_ACT_SCALE, @S@_ACT_WORD_BITS, @S@_ROUNDING);
}

/* Integer in, integer out: obs_raw and action_raw in the activation format. */
static inline void @s@_int(const int32_t* obs_raw, int32_t* action_raw) {
  int32_t a[@S@_MAX_WIDTH], b[@S@_MAX_WIDTH];
  int i, l;
  const struct @s@_layer* L = @s@_layers;
  for (i = 0; i < @S@_OBS_DIM; ++i) /* into layer 1's input format (the identity before the QAT switch) */
    a[i] = (int32_t)@s@_requantize(@s@_from_i64(obs_raw[i]), @S@_ACT_FRAC_BITS, L->in_word, L->in_frac, @S@_ROUNDING);
  for (l = 0; l < @S@_LAYERS; ++l, ++L) {
    @s@_layer_forward(L, a, b);
    if (l + 1 == @S@_LAYERS) break;
    for (i = 0; i < L->out; ++i) /* narrow into the next layer's input format */
      a[i] = (int32_t)@s@_requantize(@s@_from_i64(b[i]), @S@_ACT_FRAC_BITS, L[1].in_word, L[1].in_frac, @S@_ROUNDING);
  }
  for (i = 0; i < @S@_ACTION_DIM; ++i) action_raw[i] = b[i];
}

/* obs[@S@_OBS_DIM] -> action[@S@_ACTION_DIM]: exactly nn::Mlp::Forward of the exported
   network with batch 1 (rl::Ddpg::Act), the action in the actor's [-1, 1] space. */
static inline void @s@(const double* obs, double* action) {
  int32_t raw[@S@_OBS_DIM], out[@S@_ACTION_DIM];
  int i;
  @s@_quantize_obs(obs, raw);
  @s@_int(raw, out);
  for (i = 0; i < @S@_ACTION_DIM; ++i) action[i] = (double)out[i] * @S@_ACT_LSB;
}
)C";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
  return s;
}

// The templates' placeholders -> the symbol prefix: @s@ as given, @S@ in upper case.
std::string WithSymbol(const std::string& text, const std::string& symbol) {
  std::string upper = symbol;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return Replace(Replace(text, "@s@", symbol), "@S@", upper);
}

// `text` in lines of at most `width` characters (breaking at spaces), each after `indent`.
std::string Wrapped(const std::string& text, const std::string& indent, std::size_t width) {
  std::string out, line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent.size() + line.size() + 1 + word.size() > width) {
      out += indent + line + "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  return line.empty() ? out : out + indent + line + "\n";
}

std::string IntLiteral(std::int64_t v) {
  if (v == INT32_MIN) return "INT32_MIN";
  return std::to_string(v);
}

template <typename T>
std::string IntArray(const std::string& name, const std::vector<T>& values, const std::string& comment) {
  std::string s = fmt::format("/* {} */\nstatic const int32_t {}[{}] = {{", comment, name, values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i % 8 == 0) s += "\n ";
    s += fmt::format(" {}{}", IntLiteral(values[i]), i + 1 < values.size() ? "," : "");
  }
  return s + "\n};\n";
}

std::string FormatComment(const num::Format& f) {
  return fmt::format("{} (word {} bits, {} fraction bits)", f.to_string(), f.word_bits, f.frac_bits);
}

std::int64_t AlignedBias(const nn::FixedLayerExport& L, std::size_t j) {
  return num::Requantize(L.bias[j], L.bias_format.frac_bits,
                         num::Signed(64, L.input_format.frac_bits + L.weight_format.frac_bits), num::Quant::kFloor,
                         num::Overflow::kSaturate);
}

// The ap_fixed name of a deterministic rounding mode and the header's macro suffix for it.
std::pair<const char*, const char*> RoundingNames(num::Quant q) {
  switch (q) {
    case num::Quant::kFloor: return {"AP_TRN", "FLOOR"};
    case num::Quant::kTowardZero: return {"AP_TRN_ZERO", "TOWARD_ZERO"};
    case num::Quant::kHalfUp: return {"AP_RND", "HALF_UP"};
    default: return {"AP_RND_CONV", "HALF_EVEN"};  // kStochastic is refused before
  }
}

const char* ActName(nn::Activation a) {
  return a == nn::Activation::kRelu ? "RELU" : a == nn::Activation::kTanh ? "TANH" : "NONE";
}

// The layer's arrays and its comment: formats and the accumulator choice with its bound.
std::string LayerTables(const nn::FixedLayerExport& L, std::size_t l, const std::string& sym) {
  double log2_bound = 0;
  const bool fits = AccumulatorFitsBits(L, 64, &log2_bound);
  std::string s = fmt::format(
      "\n/* layer {}: {} -> {}, {}\n"
      "   input   {}\n   weights {}\n   biases  {}, aligned to the accumulator's {} fraction bits\n"
      "   accumulator: K * 2^(n-1) * max|w| + |bias| = 2^{:.2f} {} 2^63: {} */\n",
      l + 1, L.in, L.out, nn::to_string(L.activation), FormatComment(L.input_format), FormatComment(L.weight_format),
      FormatComment(L.bias_format), L.input_format.frac_bits + L.weight_format.frac_bits, log2_bound,
      fits ? "<" : ">=", fits ? "int64 suffices" : "two-word (128-bit) accumulation");
  s += IntArray(fmt::format("{}_w{}", sym, l + 1), L.weights, fmt::format("W{}: {} x {}, row-major", l + 1, L.out, L.in));
  s += IntArray(fmt::format("{}_b{}", sym, l + 1), L.bias, fmt::format("b{}", l + 1));
  return s;
}

std::string NetworkTables(const nn::FixedExport& net) {
  const auto tanh = nn::ExportFixedTanhTable();
  const num::Format& act = net.policy.activation;
  int max_width = net.layers.front().in;
  for (const auto& L : net.layers) max_width = std::max(max_width, L.out);
  std::string s = fmt::format(
      "\n/* ---- the network ---- */\n"
      "#define @S@_OBS_DIM {}\n#define @S@_ACTION_DIM {}\n#define @S@_LAYERS {}\n#define @S@_MAX_WIDTH {}\n"
      "/* every requantization rounds {} (ap_fixed {}) and saturates */\n#define @S@_ROUNDING @S@_{}\n"
      "/* the activation format, {}: network input, layer outputs, action */\n"
      "#define @S@_ACT_WORD_BITS {}\n#define @S@_ACT_FRAC_BITS {}\n#define @S@_ACT_SCALE {:a} /* 2^{} */\n"
      "#define @S@_ACT_LSB {:a} /* 2^-{} */\n",
      net.layers.front().in, net.layers.back().out, net.layers.size(), max_width, num::to_string(net.policy.rounding),
      RoundingNames(net.policy.rounding).first, RoundingNames(net.policy.rounding).second, FormatComment(act), act.word_bits, act.frac_bits, std::ldexp(1.0, act.frac_bits), act.frac_bits,
      std::ldexp(1.0, -act.frac_bits), act.frac_bits);
  s += fmt::format(
      "\n/* FixedTanh: tanh(i * 2^-{}) in Q{}, i = 0..{}; input aligned to {} fraction bits */\n"
      "#define @S@_TANH_TABLE_FRAC {}\n#define @S@_TANH_IN_FRAC {}\n#define @S@_TANH_STEP_BITS {}\n"
      "#define @S@_TANH_ENTRIES {}\n",
      tanh.step_bits, tanh.table_frac_bits, tanh.entries.size() - 1, tanh.input_frac_bits, tanh.table_frac_bits,
      tanh.input_frac_bits, tanh.step_bits, tanh.entries.size() - 1);
  s += IntArray("@s@_tanh_table", std::vector<std::int64_t>(tanh.entries.begin(), tanh.entries.end()),
                "the FixedTanh table");
  return s;
}

std::string LayerList(const nn::FixedExport& net, const std::string& sym) {
  std::string s = fmt::format("\nstatic const struct {}_layer {}_layers[{}] = {{\n", sym, sym, net.layers.size());
  for (std::size_t l = 0; l < net.layers.size(); ++l) {
    const auto& L = net.layers[l];
    s += fmt::format("  {{{}, {}, {}_w{}, {}, {}_b{}, {}, {}, {}, {}_ACT_{}, {}}},\n", L.in, L.out, sym, l + 1,
                     L.weight_format.frac_bits, sym, l + 1, L.bias_format.frac_bits, L.input_format.word_bits,
                     L.input_format.frac_bits, "@S@", ActName(L.activation), AccumulatorFitsBits(L, 64) ? 0 : 1);
  }
  return s + "};\n";
}

void CheckSymbol(const std::string& symbol) {
  const bool ok = !symbol.empty() && !std::isdigit(static_cast<unsigned char>(symbol[0])) &&
                  std::all_of(symbol.begin(), symbol.end(),
                              [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  if (!ok)
    throw std::invalid_argument(fmt::format(
        "C symbol '{}' is not a C identifier; valid: letters, digits and '_', not starting with a digit", symbol));
}

}  // namespace

bool AccumulatorFitsBits(const nn::FixedLayerExport& L, int bits, double* log2_bound) {
  std::int64_t max_w = 0, max_b = 0;
  for (auto w : L.weights) max_w = std::max<std::int64_t>(max_w, std::abs(static_cast<std::int64_t>(w)));
  for (std::size_t j = 0; j < L.bias.size(); ++j) max_b = std::max(max_b, std::abs(AlignedBias(L, j)));
  const num::int128 bound = static_cast<num::int128>(L.in) * (num::int128{1} << (L.input_format.word_bits - 1)) * max_w +
                            max_b;  // < 2^31 · 2^31 · 2^31 + 2^63: no overflow
  if (log2_bound) *log2_bound = bound > 0 ? std::log2(static_cast<double>(bound)) : 0.0;
  return bound < (num::int128{1} << (bits - 1));
}

void CheckIntegerExportable(const nn::FixedExport& net, const std::string& what) {
  const auto& p = net.policy;
  if (p.rounding == num::Quant::kStochastic)
    throw std::invalid_argument(fmt::format(
        "{}: precision.rounding = \"stochastic\" cannot be exported with {}: its rounding bits depend on the "
        "network's call counter, which a stateless inference function does not have; valid: floor, toward_zero, "
        "half_up, half_even",
        net.name, what));
  if (p.overflow != num::Overflow::kSaturate)
    throw std::invalid_argument(fmt::format("{}: overflow mode '{}' cannot be exported with {}; valid: saturate",
                                            net.name, num::to_string(p.overflow), what));
  if (net.affine_inputs)
    throw std::invalid_argument(fmt::format(
        "{}: precision.qat_quantizer = \"affine\" cannot be exported with {}: after the QAT switch its layer inputs "
        "are fake-quantized in double arithmetic, not integers; valid: power_of_two",
        net.name, what));
  if (net.switch_pending)
    throw std::invalid_argument(fmt::format(
        "{}: the QAT switch is pending (the delay precision.qat_delay = {} has passed but no range was recorded), so "
        "the next forward pass changes the network; continue the run past the switch, then export with {}",
        net.name, p.qat_delay, what));
  for (const auto& L : net.layers)
    for (const auto* f : {&L.input_format, &L.weight_format, &L.bias_format})
      if (f->word_bits > 32)
        throw std::invalid_argument(
            fmt::format("{}: a {}-bit format cannot be exported with {}; valid: at most 32 bits", net.name,
                        f->word_bits, what));
}

std::string CHeader(const nn::FixedExport& net, const CHeaderOptions& options) {
  CheckSymbol(options.symbol);
  CheckIntegerExportable(net, "--c");
  const std::string& sym = options.symbol;
  std::string guard = sym;
  std::transform(guard.begin(), guard.end(), guard.begin(), [](unsigned char c) { return std::toupper(c); });
  std::string s = "/* " + sym + ": generated by `fixar export --c`; do not edit.\n";
  for (const auto& line : options.provenance) s += "   " + line + "\n";
  s += fmt::format(
      "   Network {}{}:\n{}"
      "   {}(obs, action) computes exactly what nn::Mlp::Forward computes in fixar for one\n"
      "   sample (rl::Ddpg::Act): integer arithmetic only, C99, <stdint.h> alone. Semantics,\n"
      "   accumulator widths and what cannot be exported: docs/export.md of the fixar repository. */\n"
      "#ifndef {}_H\n#define {}_H\n\n#include <stdint.h>\n",
      net.name, net.quantized ? ", past the QAT switch (layer inputs in their narrow formats)" : ", before any QAT switch",
      Wrapped(net.policy.describe() + ".", "   ", 92), sym, guard, guard);
  s += WithSymbol(NetworkTables(net), sym);
  s += WithSymbol(kRuntime, sym);
  for (std::size_t l = 0; l < net.layers.size(); ++l) s += LayerTables(net.layers[l], l, sym);
  s += WithSymbol(LayerList(net, sym), sym);
  s += WithSymbol(kEntryPoints, sym);
  return s + fmt::format("\n#endif /* {}_H */\n", guard);
}

}  // namespace fixar::exporting
