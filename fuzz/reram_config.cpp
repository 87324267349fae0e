// reram::parse_reram_config (configs/reram/*.toml, `[search] reram_config` of AutoQ);
// documents std::invalid_argument.
#include <stdexcept>

#include "accel/reram/config.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::reram::parse_reram_config(fixar::fuzz::AsText(data, size), "fuzz.toml");
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
