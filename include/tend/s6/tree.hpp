// Is this an s6-overlay image? Decides whether S6_* variables count, whether
// /run/s6/container_environment is written and /run/s6/basedir/bin/halt made.
//
// tend's own defaults are s6-overlay v2's dirs, so "those dirs have content"
// cannot tell an s6 image from a tend one. A tree is "s6" when any of:
//   - an S6_* variable is set (the image configures s6-overlay);
//   - /etc/s6-overlay exists (v3 layout) or /etc/fix-attrs.d does (v2);
//   - a cont-init, cont-finish, run or finish file starts with a
//     with-contenv or execlineb shebang.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "tend/config/options.hpp"

namespace tend::s6 {

struct S6TreeDetection {
    bool detected = false;
    std::string reason;                  // for the debug line: why
    std::vector<std::string> warnings;   // things tend does not run (fix-attrs.d, log/ loggers)
};

// `root` prefixes /etc/s6-overlay and /etc/fix-attrs.d (tests).
S6TreeDetection detect_s6_tree(const config::Options& options, const config::EnvironmentVariables& variables,
                               const std::filesystem::path& root = "/");

// The whole s6-overlay step of option parsing: detect the tree; when it is
// one, map S6_* (variables.hpp) and parse again so flags and TEND_* win.
// Returns the lines to log once logging is set up (debug notes, warnings).
struct S6Messages {
    std::vector<std::string> debug;
    std::vector<std::string> warnings;
};
S6Messages apply_s6_overlay(config::ParsedCommandLine& parsed, int argc, char** argv, char** envp);

}  // namespace tend::s6
