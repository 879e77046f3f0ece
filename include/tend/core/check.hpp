// `tend check`: everything tend would read at start, read by the loaders tend
// uses at start, every problem printed as `FILE: what is wrong`. For a
// Dockerfile `RUN ["/sbin/tend", "check"]`: a broken tree fails the image
// build instead of the container. Starts nothing and writes nothing.
//
// What is read, and by what:
//   - cont-init and cont-finish dirs: config::list_scripts, then each
//     script's plan and #! line (s6::script_start_problem);
//   - s6-overlay v3 (/etc/s6-overlay, when tend detects an s6 tree):
//     s6::Overlay::check_s6rc (unknown names, dependency cycles; its
//     oneshots' up/down like cont-init scripts), and its longruns with the
//     dependencies Init gives them (Overlay::longrun_dirs);
// s6 is seen only through s6/overlay.hpp, as Init sees it.
//   - the services dir: the Supervisor's own load() (each dir parsed, users
//     and groups resolved against the image's /etc/passwd and /etc/group,
//     capabilities against tend's own, limits against the current hard
//     limits, depends: unknown names and cycles, schedules); a refused
//     service dir is then read again for every problem in it, not only the
//     first (config::service_dir_problems); each run and finish like a script;
//   - --cmd-user and --control-group, resolved as at start;
//   - --crontab: config::load_crontab_file, every bad line as FILE:LINE (a
//     bad CRON_TZ among them); its jobs go through the Supervisor's load.
#pragma once

#include <string>
#include <vector>

#include "tend/config/options.hpp"

namespace tend::core {

struct CheckReport {
    std::vector<std::string> problems;  // each "FILE: what is wrong"; tend would refuse or skip something
    std::vector<std::string> warnings;  // what tend would only warn about at start
};

CheckReport check_tree(const config::Options& options, char** envp);

// Prints the problems, then the warnings ("warning: ..."), to stderr, one a
// line; 1 when there is a problem, else 0 (silent when nothing is wrong).
// `s6_warnings`: what the s6-overlay detection said.
int run_check(const config::Options& options, const std::vector<std::string>& s6_warnings);

}  // namespace tend::core
