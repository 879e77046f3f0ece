# Fails when a layer includes a header of a layer it may not use.
# Run as: cmake -DSOURCE_DIR=<repo> -P cmake/check_layers.cmake
#
# The layers, lowest first, and what each may include besides itself:
#   sys      -                      (system calls, the event loop, the clock)
#   time     sys                    (schedules, time zones, next runs, the wall clock)
#   config   sys time               (parsing; no logging, no processes)
#   log      sys time config
#   process  sys time config
#   control  sys time config log
#   s6       sys time config log process   (s6-overlay: S6_* options, the tree, s6-rc, script plans,
#                                           the container environment, halt and exit-code files)
#   core     sys time config log process control s6   (supervision and Init)
#   applets  sys time config log process control s6 core   (the programs this binary is under
#                                           another argv[0]; only src/main.cpp uses them)
# The CMake libraries (CMakeLists.txt) link the same graph.
# Narrow interfaces: a layer listed here sees the other only through the
# headers named (core sees s6-overlay through s6/overlay.hpp, which brings
# the script plans and the s6-rc tree's types with it).
set(narrow_core_s6 "overlay.hpp")
set(allowed_sys "")
set(allowed_time "sys")
set(allowed_config "sys;time")
set(allowed_log "sys;time;config")
set(allowed_process "sys;time;config")
set(allowed_control "sys;time;config;log")
set(allowed_s6 "sys;time;config;log;process")
set(allowed_core "sys;time;config;log;process;control;s6")
set(allowed_applets "sys;time;config;log;process;control;s6;core")
set(layers sys time config log process control s6 core applets)

set(problems "")
foreach(layer IN LISTS layers)
  file(GLOB files "${SOURCE_DIR}/src/${layer}/*.cpp" "${SOURCE_DIR}/include/tend/${layer}/*.hpp")
  foreach(file IN LISTS files)
    file(STRINGS "${file}" includes REGEX "^#include \"tend/[a-z0-9]+/")
    foreach(line IN LISTS includes)
      string(REGEX REPLACE "^#include \"tend/([a-z0-9]+)/.*" "\\1" used "${line}")
      if(used STREQUAL layer)
        continue()
      endif()
      list(FIND allowed_${layer} "${used}" found)
      if(found EQUAL -1)
        file(RELATIVE_PATH shown "${SOURCE_DIR}" "${file}")
        string(APPEND problems "  ${shown}: layer ${layer} may not include ${line}\n")
      elseif(DEFINED narrow_${layer}_${used})
        string(REGEX REPLACE "^#include \"tend/[a-z0-9]+/([^\"]+)\".*" "\\1" header "${line}")
        list(FIND narrow_${layer}_${used} "${header}" narrow_found)
        if(narrow_found EQUAL -1)
          file(RELATIVE_PATH shown "${SOURCE_DIR}" "${file}")
          string(APPEND problems "  ${shown}: layer ${layer} sees ${used} only through ${narrow_${layer}_${used}}, not ${line}\n")
        endif()
      endif()
    endforeach()
  endforeach()
endforeach()
if(problems)
  message(FATAL_ERROR "layering broken:\n${problems}")
endif()
