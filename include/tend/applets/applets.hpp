// The applets: s6-overlay's commands (and Supercronic) as this binary under
// another name, chosen by argv[0]. Only main uses this module.
//
// main() asks applet_for(argv[0]) before anything else (no signal blocked, no
// fd closed: an applet execs into the caller's program with everything as it
// got it). Any name that is not an applet (`tend`, `init`, `podman-init`,
// `docker-init`) is tend itself.
#pragma once

#include <optional>
#include <filesystem>
#include <span>
#include <string_view>

#include "tend/s6/applet_names.hpp"

namespace tend::applets {

// The names (s6::Applet, s6::applet_for, s6::applet_names) live in s6/, where
// a script plan also needs them: an applet word runs tend's own applet.
using s6::Applet;
using s6::applet_for;
using s6::applet_names;

// Runs the applet; returns its exit code when it does not exec. args are
// argv[1..]. s6's conventions: 100 usage, 111 system error, 126/127 exec.
int run_applet(Applet applet, int argc, char** argv);

// `tend compat install [ROOT]`: symlinks ROOT/command/<applet> and
// ROOT/usr/bin/<applet> to this binary (the command line is parsed by
// config::parse_command_line). Returns the exit code.
int install_applet_links(const std::filesystem::path& root);

// The individual applets (args without argv[0]).
int with_contenv_main(int argc, char** argv);
int printcontenv_main(int argc, char** argv);
int setuidgid_main(int argc, char** argv);
int envuidgid_main(int argc, char** argv);
int applyuidgid_main(int argc, char** argv);
int halt_main(Applet applet, int argc, char** argv);
int service_control_main(Applet applet, int argc, char** argv);
int svstat_main(int argc, char** argv);
int notifyoncheck_main(int argc, char** argv);
int logutil_service_main(int argc, char** argv);
int logutil_newfifo_main(int argc, char** argv);
int cd_main(int argc, char** argv);

// Shared by the applets: exec argv (PATH searched in `envp`'s PATH, or the
// caller's when envp is null); on failure prints `NAME: fatal: unable to exec
// PROG: cause` and returns 127 (not found) or 126.
int exec_program(std::string_view applet_name, char** argv, char** envp);

}  // namespace tend::applets
