# Runs scdoc on one page (cmake -P script, so no shell redirection is needed
# and a failure removes the half-written output instead of leaving it).
#   cmake -DSCDOC=/usr/bin/scdoc -DIN=page.1.scd -DOUT=page.1 -P scdoc.cmake
execute_process(COMMAND ${SCDOC} INPUT_FILE ${IN} OUTPUT_FILE ${OUT}.tmp
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(REMOVE ${OUT}.tmp)
  message(FATAL_ERROR "scdoc failed on ${IN}: ${err}")
endif()
file(RENAME ${OUT}.tmp ${OUT})
