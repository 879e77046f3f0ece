// Layering test data (never compiled): s6 is beneath core, so this include
// must fail cmake/check_layers.cmake.
#include "tend/core/supervisor.hpp"
