// Shared by the fuzz targets: the input as text, and the rule every target follows.
//
// A target calls one parser of outside data with the fuzzer's bytes and catches the
// exception types that parser documents for bad input. Anything else is a finding: a
// crash, an ASan or UBSan report (fatal in this build), another exception type (libFuzzer
// reports it as a deadly signal from std::terminate), a timeout or an out-of-memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace fixar::fuzz {

inline std::string_view AsText(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// An invariant of a parse that succeeded did not hold: stop with a report.
[[noreturn]] inline void Violated() { std::abort(); }

}  // namespace fixar::fuzz
