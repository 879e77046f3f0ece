// compat/uidgid.cpp's applet mains end in compat::exec_program, which lives in
// compat/applets.cpp with the whole applet dispatch (halt, with-contenv, the
// control client). The fuzz targets call only the pure parsers of uidgid, so
// the fuzz build links this instead; reaching it is a bug of the target.
#include <cstdlib>
#include <string_view>

#include "tend/compat/applets.hpp"

namespace tend::compat {

int exec_program(std::string_view, char**, char**) { std::abort(); }

}  // namespace tend::compat
