#!/bin/sh
# The layer check must fail on a tree that breaks the graph, naming each
# broken include, and must pass the narrow interface itself.
# Usage: run.sh CMAKE SOURCE_DIR
cmake=$1 src=$2
if out=$("$cmake" -DSOURCE_DIR="$src/tests/layering/broken" -P "$src/cmake/check_layers.cmake" 2>&1); then
  echo "check_layers.cmake passed a tree with broken includes"; exit 1
fi
echo "$out"
fail=0
expect() { echo "$out" | grep -qF "$1" || { echo "missing: $1"; fail=1; }; }
expect 'src/s6/reads_core.cpp: layer s6 may not include #include "tend/core/supervisor.hpp"'
expect 'src/core/sees_script_plan.cpp: layer core sees s6 only through overlay.hpp, not #include "tend/s6/script_plan.hpp"'
if echo "$out" | grep -qF 'not #include "tend/s6/overlay.hpp"'; then echo "overlay.hpp refused"; fail=1; fi
exit $fail
