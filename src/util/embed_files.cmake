# Writes OUTPUT, a C++ source holding text files of the source tree (FILES: paths relative
# to SOURCE_DIR, separated by '|') as an array ARRAY of util::EmbeddedFile {path, text}
# (util/embedded_file.h) with COUNT entries, in NAMESPACE; INCLUDE is the header declaring them. Configs built into the
# program this way are found from any directory. OUTPUT is rewritten only when its content
# changes. Called through fixar_embed_files() (top-level CMakeLists.txt).
set(body "// Generated from ${GLOB} by src/util/embed_files.cmake: do not edit.\n")
string(APPEND body "#include \"${INCLUDE}\"\n\nnamespace ${NAMESPACE} {\n\n")
string(APPEND body "const ::fixar::util::EmbeddedFile ${ARRAY}[] = {\n")
set(count 0)
string(REPLACE "|" ";" FILES "${FILES}")
foreach(file IN LISTS FILES)
  file(READ ${SOURCE_DIR}/${file} text)
  string(FIND "${text}" ")fixar_toml\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} contains the raw-string delimiter ')fixar_toml\"'")
  endif()
  string(APPEND body "    {\"${file}\", R\"fixar_toml(${text})fixar_toml\"},\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  string(APPEND body "    {nullptr, nullptr},\n")
endif()
string(APPEND body "};\nconst int ${COUNT} = ${count};\n\n}  // namespace ${NAMESPACE}\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
endif()
if(NOT "${old}" STREQUAL "${body}")
  file(WRITE ${OUTPUT} "${body}")
endif()
