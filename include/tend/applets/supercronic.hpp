// The `supercronic` applet's command line: Supercronic's own, read the way Go's
// flag package reads it, so an image's `CMD ["supercronic", "-json",
// "/etc/crontab"]` means the same with tend.
//
// Go's rules: flags come before the crontab; `-x`, `--x`, `-x=v` and (for a
// flag with a value) `-x v`; a boolean flag takes `=true`, `=false`, `=1`,
// `=0`, `=t`, `=f` ...; `--` ends the flags; the first word that is not a flag
// ends them too. Then exactly one word, the crontab, must be left.
//
// Flags tend honours or maps (run_supercronic.hpp says how): -test, -json,
// -split-logs, -passthrough-logs, -quiet, -debug, -inotify, -no-reap,
// -overlapping, -version. Flags naming services tend does not have (Sentry,
// Prometheus) are refused by name, as is any flag Supercronic does not know:
// a container must not start without what its command line asked for.
// Pure.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tend::applets {

struct SupercronicCommandLine {
    enum class Action { Run, Test, Version, Help, UsageError } action = Action::Run;
    std::string crontab;
    bool overlapping = false;
    bool json = false;
    bool split_logs = false;
    bool passthrough_logs = false;
    bool quiet = false;
    bool debug = false;
    bool inotify = false;
    bool no_reap = false;
    std::string error;  // UsageError: one sentence naming the flag or word
};

// args: argv without argv[0].
SupercronicCommandLine parse_supercronic_args(const std::vector<std::string>& args);

// Supercronic's usage text, with tend's answer for each flag.
std::string supercronic_usage();

}  // namespace tend::applets
