// Binding a TOML document to a config struct: parse it, bind each table's keys to typed
// fields (a key left out keeps the caller's default), reject keys nobody bound. Values are
// read and checked by config/value.h, so every message has its one format:
//   <source>: <section.key> = <value>: <what is wrong; what is valid>
#pragma once

#include <algorithm>
#include <concepts>
#include <initializer_list>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <toml++/toml.h>

#include "config/value.h"

namespace fixar::config {

// Parses TOML text; a syntax error reads "<source>: not valid TOML: <what> (line L, column C)".
toml::table ParseToml(std::string_view text, const std::string& source);
// The whole file as text; a missing, unreadable or directory path throws naming `what` and the path.
std::string ReadTextFile(const std::string& path, std::string_view what);
// Rejects top-level entries of `root` not in `valid` (and, unless in `values`, ones that are not tables).
void RejectUnknownTables(const toml::table& root, std::string_view source, std::initializer_list<std::string_view> valid,
                         std::initializer_list<std::string_view> values = {});

// The keys of one table. A missing table binds nothing (every field keeps its default).
class Section {
 public:
  // `name` is the table's name ("ddpg"; "" for the top level), used in keys as name.key.
  Section(const toml::table* table, std::string source, std::string name);

  template <std::integral T>
  void Integer(std::string_view key, T& field, IntRange range = IntRange::Of<T>()) {
    const IntRange type = IntRange::Of<T>();  // never wider than the field
    range.lo = std::max(range.lo, type.lo), range.hi = std::min(range.hi, type.hi);
    if (const toml::node* n = Take(key)) field = static_cast<T>(ReadInteger(*n, At{source_, Key(key)}, range));
  }
  template <std::integral T>
  void Integers(std::string_view key, std::vector<T>& field, IntRange each = IntRange::Of<T>()) {
    const IntRange type = IntRange::Of<T>();
    each.lo = std::max(each.lo, type.lo), each.hi = std::min(each.hi, type.hi);
    if (const toml::node* n = Take(key)) {  // read every element first: a bad one leaves the field as it was
      const std::vector<std::int64_t> values = ReadIntegers(*n, At{source_, Key(key)}, each);
      field.assign(values.begin(), values.end());
    }
  }
  void Number(std::string_view key, double& field, const NumberRange& range = {});
  void Bool(std::string_view key, bool& field);
  void String(std::string_view key, std::string& field);
  void Strings(std::string_view key, std::vector<std::string>& field);
  // A string from a fixed set, stored as the value paired with it.
  template <typename E>
  void Choice(std::string_view key, E& field, std::initializer_list<std::pair<std::string_view, E>> options) {
    if (const toml::node* n = Take(key)) {
      std::vector<std::string_view> names;
      for (const auto& o : options) names.push_back(o.first);
      field = std::data(options)[ReadChoice(*n, At{source_, Key(key)}, names)].second;
    }
  }
  // By the field's type: Bool, Integer (the type's range), Number (finite) or String.
  template <typename T>
  void Value(std::string_view key, T& field) {
    if constexpr (std::is_same_v<T, bool>) Bool(key, field);
    else if constexpr (std::integral<T>) Integer(key, field);
    else if constexpr (std::is_same_v<T, double>) Number(key, field);
    else String(key, field);
  }
  // An array of strings or of integers (each in the element type's range).
  template <typename T>
  void List(std::string_view key, std::vector<T>& field) {
    if constexpr (std::is_same_v<T, std::string>) Strings(key, field);
    else Integers(key, field);
  }
  // Marks `key` as known and returns its value (null when absent), for fields read by hand.
  const toml::node* Take(std::string_view key);
  // "section.key" (or "key" at the top level).
  std::string Key(std::string_view key) const;
  const std::string& source() const { return source_; }
  // Throws for the first key of the table that nothing took, listing the ones that were.
  void RejectUnknown() const;

 private:
  const toml::table* table_;
  std::string source_, name_;
  std::set<std::string, std::less<>> known_;
};

// One `--set section.key=value`: the value parsed as TOML (a bare word is a string).
struct Override {
  std::string key;     // "section.key"
  toml::table holder;  // holds the value under "v"
  const toml::node& value() const { return *holder.get("v"); }
};
inline constexpr std::string_view kOverrideSource = "--set";
Override ParseOverride(std::string_view assignment);

}  // namespace fixar::config
