#include "config/section.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fixar::config {

toml::table ParseToml(std::string_view text, const std::string& source) {
  try {
    return toml::parse(text, source);
  } catch (const toml::parse_error& e) {
    throw std::invalid_argument(fmt::format("{}: not valid TOML: {} (line {}, column {})", source, e.description(),
                                            e.source().begin.line, e.source().begin.column));
  }
}

std::string ReadTextFile(const std::string& path, std::string_view what) {
  if (std::filesystem::is_directory(path))  // an ifstream opens it and reads nothing
    throw std::invalid_argument(fmt::format("{} '{}' is a directory, not a TOML file", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument(fmt::format("{} '{}' cannot be read (missing or unreadable)", what, path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void RejectUnknownTables(const toml::table& root, std::string_view source, std::initializer_list<std::string_view> valid,
                         std::initializer_list<std::string_view> values) {
  for (const auto& [k, v] : root) {
    const std::string_view name = k.str();
    const At at{source, name};
    if (std::find(values.begin(), values.end(), name) != values.end()) continue;
    if (std::find(valid.begin(), valid.end(), name) == valid.end())
      Fail(at, &v, fmt::format("unknown table; valid tables: {}", fmt::join(valid, ", ")));
    if (!v.is_table()) Fail(at, &v, fmt::format("expected a table [{}], got {}", name, KindOf(v)));
  }
}

Section::Section(const toml::table* table, std::string source, std::string name)
    : table_(table), source_(std::move(source)), name_(std::move(name)) {}

void Section::Number(std::string_view key, double& field, const NumberRange& range) {
  if (const toml::node* n = Take(key)) field = ReadNumber(*n, At{source_, Key(key)}, range);
}
void Section::Bool(std::string_view key, bool& field) {
  if (const toml::node* n = Take(key)) field = ReadBool(*n, At{source_, Key(key)});
}
void Section::String(std::string_view key, std::string& field) {
  if (const toml::node* n = Take(key)) field = ReadString(*n, At{source_, Key(key)});
}
void Section::Strings(std::string_view key, std::vector<std::string>& field) {
  if (const toml::node* n = Take(key)) field = ReadStrings(*n, At{source_, Key(key)});
}

const toml::node* Section::Take(std::string_view key) {
  known_.emplace(key);
  return table_ ? table_->get(key) : nullptr;
}

std::string Section::Key(std::string_view key) const {
  return name_.empty() ? std::string(key) : fmt::format("{}.{}", name_, key);
}

void Section::RejectUnknown() const {
  if (!table_) return;
  for (const auto& [k, v] : *table_)
    if (!known_.contains(k.str())) {
      const std::string key = Key(k.str());
      const std::string where = name_.empty() ? "" : fmt::format(" in [{}]", name_);
      Fail(At{source_, key}, &v, fmt::format("unknown key; valid keys{}: {}", where, fmt::join(known_, ", ")));
    }
}

Override ParseOverride(std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0)
    throw std::invalid_argument(fmt::format("{} '{}': not of the form section.key=value (e.g. ddpg.batch_size=128)",
                                            kOverrideSource, assignment));
  Override o{std::string(assignment.substr(0, eq)), {}};
  const std::string value(assignment.substr(eq + 1));
  const auto fail = [&](std::string_view problem) {
    throw std::invalid_argument(fmt::format("{}: {} = {}: {}", kOverrideSource, o.key, value, problem));
  };
  try {
    o.holder = toml::parse("v = " + value);
  } catch (const toml::parse_error& e) {
    // A bare word is a string; what starts like a number and is none (99999999999999999999
    // overflows 64 bits, 1.2.3) is an error of its own.
    if (!value.empty() && (std::isdigit(static_cast<unsigned char>(value[0])) || value[0] == '+' || value[0] == '-'))
      fail(fmt::format("not a valid number: {}", e.description()));
    try {
      o.holder = toml::parse("v = \"" + value + "\"");
    } catch (const toml::parse_error&) {
      fail("neither a TOML value nor a plain word");
    }
  }
  if (!o.holder.get("v") || o.holder.size() != 1) fail("not one TOML value");
  return o;
}

}  // namespace fixar::config
