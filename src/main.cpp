// tend: PID 1 of a container.
//
// main is the setup phase: it may fail loudly (bad options, no epoll). Once
// Init::run() starts, the loop phase must not die: every error from there on
// is logged and handled.
#include <cstdio>
#include <exception>

#include "tend/applets/applets.hpp"
#include "tend/s6/tree.hpp"
#include "tend/config/options.hpp"
#include "tend/control/client.hpp"
#include "tend/core/check.hpp"
#include "tend/core/init.hpp"
#include "tend/applets/run_supercronic.hpp"
#include "tend/log/logger.hpp"
#include "tend/sys/fd.hpp"
#include "tend/sys/signals.hpp"

extern char** environ;

int main(int argc, char** argv) {
    // s6-overlay's commands (with-contenv, s6-setuidgid, halt ...) are this
    // binary under another name. They run before anything else: they exec the
    // caller's program with its signal mask and fds exactly as they came.
    if (argc > 0) {
        auto applet = tend::applets::applet_for(argv[0]);
        // `supercronic` is tend itself with Supercronic's command line.
        if (applet == tend::applets::Applet::Supercronic) {
            try {
                return tend::applets::run_supercronic(argc, argv, environ);
            } catch (const std::exception& error) {
                std::fprintf(stderr, "supercronic: error: %s\n", error.what());
                return 111;
            }
        }
        if (applet) return tend::applets::run_applet(*applet, argc, argv);
    }

    // First: no signal may be lost, and no fd we open may land on 0, 1 or 2.
    tend::sys::block_all_signals();
    tend::sys::ensure_standard_fds();
    tend::sys::close_inherited_fds();

    try {
        using Kind = tend::config::ParsedCommandLine::Kind;
        // One parse: the command line over TEND_* over the S6_* of an
        // s6-overlay tree (detected in the dirs the first two give).
        tend::s6::S6OptionLayer s6_layer(environ);
        auto parsed = tend::config::parse_command_line(argc, argv, &s6_layer);
        if (parsed.usage_error)
            std::fprintf(stderr, "%s\n",
                         tend::log::render(tend::log::Level::Error, *parsed.usage_error, parsed.usage_error_format).c_str());
        switch (parsed.kind) {
            case Kind::Exit: return parsed.exit_code;
            // `tend ctl ...` and `tend health` are clients, not an init.
            case Kind::Client: return tend::control::run_client(parsed.client);
            case Kind::CompatInstall: return tend::applets::install_applet_links(parsed.compat_root);
            // The s6-overlay tree and its S6_* variables, as at start.
            case Kind::Check: return tend::core::run_check(parsed.options, s6_layer.messages().warnings);
            case Kind::Run: break;
        }
        tend::log::setup(parsed.options.verbosity, parsed.options.log_format);
        for (const auto& note : s6_layer.messages().debug) tend::log::debug("{}", note);
        for (const auto& warning : s6_layer.messages().warnings) tend::log::warn("{}", warning);

        auto init = tend::core::Init::create(std::move(parsed.options), environ);
        if (!init) {
            tend::log::error("{}", init.error());
            return 111;
        }
        return (*init)->run();
    } catch (const std::exception& error) {
        // Only reachable from setup or an allocation failure: say so and exit.
        std::fprintf(stderr, "tend: error: %s\n", error.what());
        return 111;
    } catch (...) {
        std::fprintf(stderr, "tend: error: unexpected failure\n");
        return 111;
    }
}
