// Checks every subcommand shares: strict numbers on the command line, files the command is
// asked to write (checked before the long work, written with every error reported), and
// the environment variables the program reads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fixar::cli {

// An integer option's valid values: `o` then accepts only a decimal integer in lo..hi
// (no hex, no octal, no saturation), and the message names the flag, the value and lo..hi.
// Options left without it get StrictNumbers' defaults.
CLI::Option* IntegerIn(CLI::Option* o, std::int64_t lo, std::int64_t hi);

// Adds to every option of `app` and of its subcommands (recursively) whose value is a number
// and that has no IntegerIn: integers (INT) must be decimal and fit in 32 bits, unsigned
// ones (UINT) decimal without a sign, in 0..2^64-1, reals (FLOAT) finite numbers.
// CLI11 alone lets 99999999999999999999 saturate, -1 wrap to 2^64-1 and "nan" through.
void StrictNumbers(CLI::App& app);

// Throws (naming `flag` and `path`) unless `path` can be a file this process writes: not a
// directory, in an existing, writable directory, itself writable if it exists. Writes
// nothing; an empty path is no request and passes.
void CheckOutputFile(const std::string& flag, const std::string& path);
// Throws unless `path` is a directory, or one can be created there: the nearest existing
// ancestor is a writable directory. Creates nothing.
void CheckOutputDirectory(const std::string& flag, const std::string& path);
// Writes `text` to `path` and throws (naming `flag`, `path` and the reason) when any part of
// it fails, down to the final flush (a full disk).
void WriteOutputFile(const std::string& flag, const std::string& path, const std::string& text);

// A comma list ("0,10,25"): its non-empty items.
std::vector<std::string> SplitCommaList(const std::string& s);
// One integer item of the list given to `flag`, decimal, in lo..hi (no saturation, no
// narrowing: 4294967298 is not 2). Throws naming the flag, the item and lo..hi.
long ParseListInteger(const std::string& item, const char* flag, long lo, long hi);
// One real item of the list given to `flag`: a finite number. Throws naming flag and item.
double ParseListReal(const std::string& item, const char* flag);

// Reads every environment variable the program uses (FIXAR_LOG, FIXAR_THREADS,
// FIXAR_KERNEL_PATH) and throws, naming the variable, its value and the valid ones, when one
// is invalid: before a command writes anything.
void CheckEnvironment();

}  // namespace fixar::cli
