// The MJCF files of src/envs/models/, compiled into the library by CMake (see
// src/envs/CMakeLists.txt) so that a binary works from any directory (internal header).
#pragma once

#include <span>
#include <string_view>

namespace fixar::envs::detail {

struct EmbeddedModel {
  std::string_view file_name;  // e.g. "half_cheetah.xml"
  std::string_view xml;
};

std::span<const EmbeddedModel> embedded_models();

}  // namespace fixar::envs::detail
