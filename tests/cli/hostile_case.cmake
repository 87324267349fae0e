# One hostile-input case of `fixar` (tests/cli/hostile.cmake declares them): the program
# must refuse the input cleanly. Runs `FIXAR ARGS...` in WORKDIR, emptied first and then
# filled with a copy of the fixture run (run/), the input files (in/) and SETUP, and checks:
#   - the exit code is 1..127: an error, not success and not a signal (abort, crash);
#   - stderr has exactly one error line (a line starting with "fixar" that holds "error")
#     and it contains every EXPECT substring (the input's name, its value, what is valid);
#   - no raw library text anywhere in the output (REJECT_DEFAULT below, plus REJECT);
#   - WORKDIR is unchanged: the same entries with the same bytes (nothing left behind, the
#     existing run directory byte-identical).
# Variables (lists joined by '|'):
#   FIXAR, WORKDIR, FIXTURE_RUN (a finished run directory), INPUTS (folder copied to in/)
#   ARGS     the command line
#   ENV      VAR=VALUE pairs set for the program (every other FIXAR_* variable is unset)
#   EXPECT   substrings of the error line
#   REJECT   substrings that must not appear in stdout + stderr
#   SETUP    operations before the run, each OP:ARG[:ARG]:
#              mkdir:PATH            write:PATH:TEXT        truncate:PATH:BYTES
#              copy:FROM:TO          (paths relative to WORKDIR)
foreach(var ARGS ENV EXPECT REJECT SETUP)
  string(REPLACE "|" ";" ${var} "${${var}}")
endforeach()
set(REJECT_DEFAULT "terminate called" "what()" "std::" "stoi" "stol" "stoul" "stod" "vector::" "bad_alloc"
    "basic_string" "[json.exception" "toml::" "Aborted" "Segmentation" "core dumped" "Run with --help")

file(REMOVE_RECURSE ${WORKDIR})
file(MAKE_DIRECTORY ${WORKDIR})
if(NOT IS_DIRECTORY ${FIXTURE_RUN})
  message(FATAL_ERROR "fixture run '${FIXTURE_RUN}' is missing (the cli_hostile_fixture test makes it)")
endif()
file(COPY ${FIXTURE_RUN}/ DESTINATION ${WORKDIR}/run)
file(COPY ${INPUTS}/ DESTINATION ${WORKDIR}/in)
foreach(step IN LISTS SETUP)
  string(REPLACE ":" ";" parts "${step}")
  list(GET parts 0 op)
  list(GET parts 1 path)
  if(op STREQUAL "mkdir")
    file(MAKE_DIRECTORY ${WORKDIR}/${path})
  elseif(op STREQUAL "write")
    string(FIND "${step}" ":" c1)
    math(EXPR c1 "${c1} + 1")
    string(SUBSTRING "${step}" ${c1} -1 rest)
    string(FIND "${rest}" ":" c2)
    math(EXPR c2 "${c2} + 1")
    string(SUBSTRING "${rest}" ${c2} -1 text)
    string(REPLACE "\\n" "\n" text "${text}")
    file(WRITE ${WORKDIR}/${path} "${text}")
  elseif(op STREQUAL "truncate")
    list(GET parts 2 bytes)
    execute_process(COMMAND head -c ${bytes} ${WORKDIR}/${path} OUTPUT_FILE ${WORKDIR}/${path}.cut RESULT_VARIABLE r)
    file(RENAME ${WORKDIR}/${path}.cut ${WORKDIR}/${path})
  elseif(op STREQUAL "copy")
    list(GET parts 2 to)
    file(COPY_FILE ${WORKDIR}/${path} ${WORKDIR}/${to})
  else()
    message(FATAL_ERROR "unknown SETUP operation '${op}'")
  endif()
endforeach()

# Every entry under WORKDIR with the hash of each file's bytes.
function(snapshot out)
  file(GLOB_RECURSE entries LIST_DIRECTORIES true RELATIVE ${WORKDIR} ${WORKDIR}/*)
  list(SORT entries)
  set(text "")
  foreach(e IN LISTS entries)
    if(IS_DIRECTORY ${WORKDIR}/${e})
      string(APPEND text "${e}/\n")
    elseif(e MATCHES "(^|/)\\.lock$")
      # A run's lock file holds the pid of the last process that locked it (src/util/file_lock.h):
      # it must stay there, its bytes change with every command that takes the lock.
      string(APPEND text "${e} (lock)\n")
    else()
      file(SHA256 ${WORKDIR}/${e} h)
      string(APPEND text "${e} ${h}\n")
    endif()
  endforeach()
  set(${out} "${text}" PARENT_SCOPE)
endfunction()
snapshot(before)

# The environment: only what the case sets.
foreach(v FIXAR_LOG FIXAR_THREADS FIXAR_KERNEL_PATH COLUMNS)
  unset(ENV{${v}})
endforeach()
foreach(pair IN LISTS ENV)
  string(FIND "${pair}" "=" eq)
  string(SUBSTRING "${pair}" 0 ${eq} name)
  math(EXPR eq "${eq} + 1")
  string(SUBSTRING "${pair}" ${eq} -1 value)
  set(ENV{${name}} "${value}")
endforeach()

execute_process(COMMAND ${FIXAR} ${ARGS} WORKING_DIRECTORY ${WORKDIR} TIMEOUT 20
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
set(all "${out}${err}")
string(REPLACE ";" " " shown "${ARGS}")
if(ENV)
  string(REPLACE ";" " " shown_env "${ENV}")
  set(shown "${shown_env} fixar ${shown}")
else()
  set(shown "fixar ${shown}")
endif()
set(problems "")

if(NOT rc MATCHES "^[0-9]+$")
  string(APPEND problems "  the program did not exit normally: ${rc}\n")
elseif(rc EQUAL 0 OR rc GREATER 127)
  string(APPEND problems "  exit code ${rc}, expected 1..127\n")
endif()

# The error line(s): lines of stderr that start with "fixar" and hold "error".
string(REPLACE "\r" "\n" text "\n${err}")
string(REPLACE ";" "," text "${text}")  # a ';' would split the line in a CMake list
string(REGEX MATCHALL "\nfixar[^\n]*" candidates "${text}")
set(error_lines "")
foreach(line IN LISTS candidates)
  if(line MATCHES "error")
    string(STRIP "${line}" line)
    list(APPEND error_lines "${line}")
  endif()
endforeach()
list(LENGTH error_lines n_errors)
if(NOT n_errors EQUAL 1)
  string(APPEND problems "  ${n_errors} error lines on stderr, expected exactly one\n")
else()
  foreach(part IN LISTS EXPECT)
    string(FIND "${error_lines}" "${part}" at)
    if(at EQUAL -1)
      string(APPEND problems "  the error line lacks '${part}'\n")
    endif()
  endforeach()
endif()
foreach(part IN LISTS REJECT_DEFAULT REJECT)
  string(FIND "${all}" "${part}" at)
  if(NOT at EQUAL -1)
    string(APPEND problems "  the output holds '${part}'\n")
  endif()
endforeach()

snapshot(after)
if(NOT before STREQUAL after)
  string(APPEND problems "  the working directory changed:\n--- before\n${before}--- after\n${after}")
endif()

if(problems)
  message(FATAL_ERROR "${shown}\n${problems}--- stdout\n${out}--- stderr\n${err}")
endif()
message(STATUS "${shown}\n  exit ${rc}: ${error_lines}")
