// Reading one TOML value into a typed setting, with one message format for every config
// file and every `--set` override:
//
//   <source>: <section.key> = <value given>: <what is wrong; what is valid>
//   configs/x.toml: ddpg.batch_size = 4294967360: out of range; valid: an integer in [-2147483648, 2147483647]
//
// Integers are read as TOML's 64-bit integers and range-checked before any narrowing; a
// float is not an integer (unless the caller allows whole-number floats); numbers are finite
// unless the caller allows inf/nan. Every failure throws std::invalid_argument.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <toml++/toml.h>

namespace fixar::config {

// Where a value comes from: the file (or "--set") and the key as "section.key".
struct At {
  std::string_view source;
  std::string_view key;
};

// The allowed integers, both ends included.
struct IntRange {
  std::int64_t lo = std::numeric_limits<std::int64_t>::min();
  std::int64_t hi = std::numeric_limits<std::int64_t>::max();
  bool whole_floats = false;  // also accept 28.0 for 28 (cnn model input shapes)
  // Every value of T that TOML's int64 can hold.
  template <typename T>
  static constexpr IntRange Of() {
    IntRange r;
    if constexpr (std::cmp_greater(std::numeric_limits<T>::min(), std::numeric_limits<std::int64_t>::min()))
      r.lo = std::numeric_limits<T>::min();
    if constexpr (std::cmp_less(std::numeric_limits<T>::max(), std::numeric_limits<std::int64_t>::max()))
      r.hi = static_cast<std::int64_t>(std::numeric_limits<T>::max());
    return r;
  }
  std::string Describe() const;  // "an integer in [1, 65536]"
};

// The allowed numbers; integers are numbers too.
struct NumberRange {
  double lo = -std::numeric_limits<double>::infinity();
  double hi = std::numeric_limits<double>::infinity();
  bool lo_open = false, hi_open = false;  // the bound itself is not allowed
  bool finite = true;                     // false: inf and nan pass (the caller checks later)
  static NumberRange Closed(double lo, double hi) { return {lo, hi}; }
  static NumberRange AtLeast(double lo) { return {.lo = lo}; }
  static NumberRange Above(double lo) { return {.lo = lo, .lo_open = true}; }
  std::string Describe() const;  // "a number in (0, 1]", "a finite number"
};

// The value as TOML writes it, cut at 60 characters.
std::string Show(const toml::node& value);
// "a string", "an integer", "a float", ...
std::string_view KindOf(const toml::node& value);

// The one message: "<source>: <key> = <value>: <problem>" (no " = <value>" without one).
std::string Message(const At& at, const toml::node* value, std::string_view problem);
[[noreturn]] void Fail(const At& at, const toml::node* value, std::string_view problem);

std::int64_t ReadInteger(const toml::node& value, const At& at, const IntRange& range = {});
double ReadNumber(const toml::node& value, const At& at, const NumberRange& range = {});
bool ReadBool(const toml::node& value, const At& at);
std::string ReadString(const toml::node& value, const At& at);
// One of `names`; returns its index.
std::size_t ReadChoice(const toml::node& value, const At& at, std::span<const std::string_view> names);
// Arrays: each element is checked as above; messages name it as key[i].
std::vector<std::int64_t> ReadIntegers(const toml::node& value, const At& at, const IntRange& each = {});
std::vector<double> ReadNumbers(const toml::node& value, const At& at, const NumberRange& each = {});
std::vector<std::string> ReadStrings(const toml::node& value, const At& at);

}  // namespace fixar::config
