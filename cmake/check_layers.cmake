# Fails when a layer includes a header of a layer it may not use.
# Run as: cmake -DSOURCE_DIR=<repo> -P cmake/check_layers.cmake
#
# The layers, lowest first, and what each may include besides itself:
#   sys      -                      (system calls, the event loop, the clock)
#   config   sys                    (parsing; no logging, no processes)
#   log      sys config
#   process  sys config
#   control  sys config log
#   compat   sys config log process control   (s6-overlay compatibility)
#   core     sys config log process control compat
# The CMake libraries (CMakeLists.txt) link the same graph.
set(allowed_sys "")
set(allowed_config "sys")
set(allowed_log "sys;config")
set(allowed_process "sys;config")
set(allowed_control "sys;config;log")
set(allowed_compat "sys;config;log;process;control")
set(allowed_core "sys;config;log;process;control;compat")
set(layers sys config log process control compat core)

set(problems "")
foreach(layer IN LISTS layers)
  file(GLOB files "${SOURCE_DIR}/src/${layer}/*.cpp" "${SOURCE_DIR}/include/tend/${layer}/*.hpp")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" includes REGEX "^#include \"tend/[a-z]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"tend/([a-z]+)/.*" "\\1" used "${line}")
      if(used STREQUAL layer)
        continue()
      endif()
      list(FIND allowed_${layer} "${used}" found)
      if(found EQUAL -1)
        file(RELATIVE_PATH shown "${SOURCE_DIR}" "${file}")
        string(APPEND problems "  ${shown}: layer ${layer} may not include ${line}\n")
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "layering broken:\n${problems}")
endif()
