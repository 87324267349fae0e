// The integer a TOML node holds, without toml++'s float -> int64 conversion, which casts
// before checking the range (undefined for 4.4e86; found by fuzz/reram_config). An
// integer node gives its value; a float node gives its value when it is a whole number
// that int64 holds (what node::value<int64_t>() means to do); anything else gives nothing.
// Header-only: include it where toml++ is linked.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>

#include <toml++/toml.h>

namespace fixar::util {

inline std::optional<std::int64_t> TomlInteger(const toml::node& n) {
  if (const auto* i = n.as_integer()) return i->get();
  if (const auto* f = n.as_floating_point()) {
    const double v = f->get();
    if (v >= -0x1p63 && v < 0x1p63 && v == std::floor(v)) return static_cast<std::int64_t>(v);
  }
  return std::nullopt;
}

}  // namespace fixar::util
