#include "config/value.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fixar::config {
namespace {

// key[i] for an array element.
std::string ElementKey(const At& at, std::size_t i) { return fmt::format("{}[{}]", at.key, i); }

// Every element of an array read by `read_one(element, at_of_element)`, in order.
template <typename T, typename ReadOne>
std::vector<T> ReadArray(const toml::node& value, const At& at, std::string_view of, ReadOne read_one) {
  const toml::array* a = value.as_array();
  if (!a) Fail(at, &value, fmt::format("expected an array of {}, got {}", of, KindOf(value)));
  std::vector<T> out;
  for (std::size_t i = 0; i < a->size(); ++i) {
    const std::string key = ElementKey(at, i);
    out.push_back(read_one((*a)[i], At{at.source, key}));
  }
  return out;
}

}  // namespace

std::string IntRange::Describe() const {
  const std::int64_t min = std::numeric_limits<std::int64_t>::min(), max = std::numeric_limits<std::int64_t>::max();
  if (lo == min && hi == max) return "an integer";
  if (hi == max) return fmt::format("an integer >= {}", lo);
  if (lo == min) return fmt::format("an integer <= {}", hi);
  return fmt::format("an integer in [{}, {}]", lo, hi);
}

std::string NumberRange::Describe() const {
  const char* number = finite ? "a finite number" : "a number";
  const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
  if (has_lo && has_hi) return fmt::format("a number in {}{}, {}{}", lo_open ? '(' : '[', lo, hi, hi_open ? ')' : ']');
  if (has_lo) return fmt::format("{} {} {}", number, lo_open ? ">" : ">=", lo);
  if (has_hi) return fmt::format("{} {} {}", number, hi_open ? "<" : "<=", hi);
  return number;
}

std::string Show(const toml::node& value) {
  if (value.is_table()) return "(a table)";
  // Floats as the shortest text that reads back the same (0.4, not toml++'s 0.40000000000000002).
  if (const auto* f = value.as_floating_point()) {
    std::string text = fmt::format("{}", f->get());
    if (text.find_first_of(".eni") == std::string::npos) text += ".0";  // 64.0 stays a float
    return text;
  }
  std::ostringstream os;
  value.visit([&os](const auto& v) { os << v; });
  std::string s = os.str();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string_view KindOf(const toml::node& value) {
  if (value.is_string()) return "a string";
  if (value.is_integer()) return "an integer";
  if (value.is_floating_point()) return "a float";
  if (value.is_boolean()) return "a boolean";
  if (value.is_array()) return "an array";
  if (value.is_table()) return "a table";
  return "a date/time";
}

std::string Message(const At& at, const toml::node* value, std::string_view problem) {
  if (!value) return fmt::format("{}: {}: {}", at.source, at.key, problem);
  return fmt::format("{}: {} = {}: {}", at.source, at.key, Show(*value), problem);
}

void Fail(const At& at, const toml::node* value, std::string_view problem) {
  throw std::invalid_argument(Message(at, value, problem));
}

std::int64_t ReadInteger(const toml::node& value, const At& at, const IntRange& range) {
  std::int64_t v = 0;
  if (const auto* i = value.as_integer()) {
    v = i->get();
  } else if (const auto* f = value.as_floating_point(); f && range.whole_floats) {
    // No toml++ float -> int64 cast: it casts before checking the range (undefined for 4.4e86).
    const double d = f->get();
    if (!(d >= -0x1p63 && d < 0x1p63 && d == std::floor(d)))
      Fail(at, &value, fmt::format("not a whole number; valid: {}", range.Describe()));
    v = static_cast<std::int64_t>(d);
  } else {
    Fail(at, &value, fmt::format("expected {}, got {}", range.Describe(), KindOf(value)));
  }
  if (v < range.lo || v > range.hi) Fail(at, &value, fmt::format("out of range; valid: {}", range.Describe()));
  return v;
}

double ReadNumber(const toml::node& value, const At& at, const NumberRange& range) {
  double v = 0;
  if (const auto* i = value.as_integer()) v = static_cast<double>(i->get());
  else if (const auto* f = value.as_floating_point()) v = f->get();
  else Fail(at, &value, fmt::format("expected {}, got {}", range.Describe(), KindOf(value)));
  if (std::isnan(v) || std::isinf(v)) {
    if (range.finite) Fail(at, &value, fmt::format("not a finite number; valid: {}", range.Describe()));
    return v;
  }
  const bool below = range.lo_open ? v <= range.lo : v < range.lo;
  const bool above = range.hi_open ? v >= range.hi : v > range.hi;
  if (below || above) Fail(at, &value, fmt::format("out of range; valid: {}", range.Describe()));
  return v;
}

bool ReadBool(const toml::node& value, const At& at) {
  const auto* b = value.as_boolean();
  if (!b) Fail(at, &value, fmt::format("expected true or false, got {}", KindOf(value)));
  return b->get();
}

std::string ReadString(const toml::node& value, const At& at) {
  const auto* s = value.as_string();
  if (!s) Fail(at, &value, fmt::format("expected a string, got {}", KindOf(value)));
  return s->get();
}

std::size_t ReadChoice(const toml::node& value, const At& at, std::span<const std::string_view> names) {
  const auto* s = value.as_string();
  if (!s) Fail(at, &value, fmt::format("expected one of {}, got {}", fmt::join(names, ", "), KindOf(value)));
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == s->get()) return i;
  Fail(at, &value, fmt::format("unknown value; valid: {}", fmt::join(names, ", ")));
}

std::vector<std::int64_t> ReadIntegers(const toml::node& value, const At& at, const IntRange& each) {
  return ReadArray<std::int64_t>(value, at, "integers",
                                 [&](const toml::node& v, const At& a) { return ReadInteger(v, a, each); });
}

std::vector<double> ReadNumbers(const toml::node& value, const At& at, const NumberRange& each) {
  return ReadArray<double>(value, at, "numbers", [&](const toml::node& v, const At& a) { return ReadNumber(v, a, each); });
}

std::vector<std::string> ReadStrings(const toml::node& value, const At& at) {
  return ReadArray<std::string>(value, at, "strings", [](const toml::node& v, const At& a) { return ReadString(v, a); });
}

}  // namespace fixar::config
