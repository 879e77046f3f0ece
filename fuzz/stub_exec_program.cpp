// applets/uidgid.cpp's applet mains end in applets::exec_program, which lives in
// applets/applets.cpp with the whole applet dispatch (halt, with-contenv, the
// control client). The fuzz targets call only the pure parsers of uidgid, so
// the fuzz build links this instead; reaching it is a bug of the target.
#include <cstdlib>
#include <string_view>

#include "tend/applets/applets.hpp"

namespace tend::applets {

int exec_program(std::string_view, char**, char**) { std::abort(); }

}  // namespace tend::applets
