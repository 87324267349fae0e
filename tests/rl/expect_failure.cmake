# Runs `fixar train ARGS --out OUT --no-progress`; passes when it exits non-zero, prints
# MESSAGE, and leaves no run directory under OUT.
file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${FIXAR} train ${ARGS} --out ${OUT} --no-progress --steps 10
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "expected a failure, got exit code 0\n${out}${err}")
endif()
string(FIND "${out}${err}" "${MESSAGE}" found)
if(found EQUAL -1)
  message(FATAL_ERROR "expected the message '${MESSAGE}', got:\n${out}${err}")
endif()
if(EXISTS ${OUT})
  file(GLOB leftovers ${OUT}/*)
  if(leftovers)
    message(FATAL_ERROR "a failed run left files behind: ${leftovers}")
  endif()
endif()
