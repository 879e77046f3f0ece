// s6-overlay's S6_* variables, mapped to tend's options when an s6 tree is
// detected (docs/s6-overlay.md, "S6_* variables").
//
// A pure step, the values of s6's option layer (tree.hpp): each S6_*
// variable becomes the TEND_* variable it means, which the one option parse
// applies beneath the TEND_* variables and the flags, so the precedence is
// flags > TEND_* > S6_* > defaults (a twin already set is noted for debug).
// Values s6-overlay would not accept either (not a number) are warned about
// and ignored.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tend/config/options.hpp"

namespace tend::s6 {

struct S6Mapping {
    config::EnvironmentVariables tend_variables;  // TEND_* to add (none of them was set)
    std::map<std::string, std::string> sources;    // for each of those, "S6_NAME=value" it came from
    bool keep_env = false;                // S6_KEEP_ENV: every service keep-env
    bool sync_disks = false;              // S6_SYNC_DISKS: sync() before exit
    std::vector<std::string> cmd_arg0;    // S6_CMD_ARG0 split on blanks
    std::vector<std::string> stage2_hook;  // S6_STAGE2_HOOK split on blanks
    // S6_CMD_WAIT_FOR_SERVICES_MAXTIME ran out: the CMD still starts unless
    // S6_BEHAVIOUR_IF_STAGE2_FAILS is 2.
    bool start_cmd_after_ready_timeout = true;
    std::vector<std::string> debug_notes;  // one per mapping, for debug level
    std::vector<std::string> warnings;     // bad values; unsupported names (one line)
};

// `variables` holds every S6_* and TEND_* variable of the environment.
S6Mapping map_s6_variables(const config::EnvironmentVariables& variables);

}  // namespace tend::s6
