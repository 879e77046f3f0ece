#include "tend/applets/run_supercronic.hpp"

#include <sys/prctl.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tend/applets/supercronic.hpp"
#include "tend/config/crontab_file.hpp"
#include "tend/config/options.hpp"
#include "tend/core/init.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/environment.hpp"
#include "tend/sys/fd.hpp"
#include "tend/sys/signals.hpp"

namespace tend::applets {
namespace {

void print(std::FILE* stream, const std::string& text) { std::fwrite(text.data(), 1, text.size(), stream); }

// -test, and the start: the crontab as tend reads it; every problem on its
// own line, exit 1 (Supercronic's for a crontab it cannot run). `say_valid`:
// -test's confirmation.
int test_crontab(const SupercronicCommandLine& line, const process::Environment& env, bool say_valid) {
    const std::optional<std::string> zoneinfo = env.get("ZONEINFO");
    auto loaded = config::load_crontab_file(line.crontab, zoneinfo ? std::optional<std::string_view>(*zoneinfo)
                                                                   : std::nullopt);
    const log::Format format = line.json ? log::Format::Json : log::Format::Text;
    if (!loaded) {
        for (const auto& problem : loaded.error()) print(stderr, log::render(log::Level::Error, problem, format) + "\n");
        return 1;
    }
    if (say_valid && !line.quiet) {
        const std::size_t jobs = loaded->crontab.jobs.size();
        print(stderr, log::render(log::Level::Info,
                                  line.crontab + ": crontab is valid (" + std::to_string(jobs) +
                                      (jobs == 1 ? " job)" : " jobs)"),
                                  format) + "\n");
    }
    return 0;
}

}  // namespace

int run_supercronic(int argc, char** argv, char** envp) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const SupercronicCommandLine line = parse_supercronic_args(args);
    using Action = SupercronicCommandLine::Action;
    switch (line.action) {
        case Action::Help: print(stderr, supercronic_usage()); return 0;
        case Action::Version: print(stdout, config::version_text() + " (supercronic applet)\n"); return 0;
        case Action::UsageError:
            print(stderr, "supercronic: error: " + line.error + "\n\n" + supercronic_usage());
            return 2;
        case Action::Test: return test_crontab(line, process::Environment::from_environ(envp), true);
        case Action::Run: break;
    }

    // A crontab Supercronic would not start with stops the container here,
    // as it does (a reload keeps the old one instead: see Init).
    if (int code = test_crontab(line, process::Environment::from_environ(envp), false); code != 0) return code;

    // `ps` shows supercronic, also after a reload (execve of /proc/self/exe
    // would name it "exe").
    ::prctl(PR_SET_NAME, "supercronic");
    // From here on tend is an init: as main() does before its own start.
    sys::block_all_signals();
    sys::ensure_standard_fds();
    sys::close_inherited_fds();

    auto parsed = config::parse_options({}, config::variables_with_prefixes(envp, {"TEND_"}));
    if (!parsed) {
        print(stderr, log::render(log::Level::Error, parsed.error().message, parsed.error().format) + "\n");
        return 2;
    }
    config::Options options = std::move(parsed->options);
    options.services_dir.clear();
    options.cont_init_dir.clear();
    options.cont_finish_dir.clear();
    options.crontab = line.crontab;
    if (line.json) options.log_format = config::LogFormat::Json;
    if (line.debug) options.verbosity = 3;
    if (line.quiet) options.verbosity = 1;
    options.log_prefix = !line.passthrough_logs;
    options.watch_crontab = line.inotify;
    options.crontab_overlapping = line.overlapping;
    options.crontab_reload_argv = {argv, argv + argc};
    log::setup(options.verbosity, options.log_format);
    if (line.no_reap) log::debug("supercronic: -no-reap: as PID 1 tend reaps every orphan all the same");
    if (line.split_logs) log::debug("supercronic: -split-logs: job stdout goes to stdout and job stderr to stderr");

    auto init = core::Init::create(std::move(options), envp);
    if (!init) {
        log::error("{}", init.error());
        return 111;
    }
    return (*init)->run();
}

}  // namespace tend::applets
