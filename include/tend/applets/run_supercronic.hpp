// The `supercronic` applet: Supercronic's command line (applets/supercronic.hpp)
// run by tend itself. How it maps onto tend:
//   - the crontab is the only source of jobs: no services dir, no cont-init
//     or cont-finish dir, no s6-overlay detection; tend's TEND_* variables
//     still apply (TEND_CMD_USER, TEND_RUNTIME_DIR ...);
//   - tend is the init: as PID 1 it reaps every orphan and stops everything
//     cleanly (-no-reap cannot turn that off: a PID 1 that does not reap
//     fills the process table); not PID 1, it is a child subreaper as always;
//   - -test reads the crontab as a start would (config::load_crontab_file)
//     and names every bad line as FILE:LINE, exit 1;
//   - -json is --log-format json; -quiet verbosity 1; -debug verbosity 3;
//     without -passthrough-logs each output line of a job is prefixed with
//     the job's name (--log-prefix), as Supercronic wraps it in a log line;
//   - SIGUSR2 (and -inotify, on a change of the file) reloads: the new
//     crontab is read first (a bad one is named and the current jobs go on),
//     no new run starts, the running ones finish, then tend executes itself
//     again with the same command line (Init, crontab_reload_argv);
//   - -overlapping: a job still running at its next tick gets another run
//     beside it (Options::crontab_overlapping, Jobs); without it the tick is
//     skipped and logged, as Supercronic does.
#pragma once

namespace tend::applets {

// argv as main got it; returns the exit code (Supercronic's: 2 for a usage
// error, 1 for a bad crontab).
int run_supercronic(int argc, char** argv, char** envp);

}  // namespace tend::applets
