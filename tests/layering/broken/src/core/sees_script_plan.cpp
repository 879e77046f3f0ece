// Layering test data (never compiled): core sees s6 only through
// s6/overlay.hpp, so this include must fail cmake/check_layers.cmake.
#include "tend/s6/script_plan.hpp"
#include "tend/s6/overlay.hpp"
