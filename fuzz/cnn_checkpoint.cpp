// cnn::Model::LoadPayload: a CNN model checkpoint after its header (`fixar quant
// --checkpoint`, AutoQ's cnn target); it holds the model's TOML config, so this also
// reaches cnn::ParseModelConfig and the model's construction. Documents
// std::runtime_error and std::invalid_argument. A model that loads runs one image forward.
#include <stdexcept>

#include "cnn/model.h"
#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    fixar::cnn::Model m = fixar::cnn::Model::LoadPayload({data, size}, "fuzz.bin");
    fixar::cnn::Tensor x;
    x.Resize(1, m.input_shape());
    for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = static_cast<float>(i % 7) - 3.0f;
    m.Forward(x, fixar::cnn::Mode::kEval);
  } catch (const std::runtime_error&) {
  } catch (const std::invalid_argument&) {
  }
  return 0;
}
