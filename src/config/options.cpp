#include "tend/config/options.hpp"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>

namespace tend::config {
namespace {

// Options in milliseconds are plain non-negative integers (s6 style).
void add_milliseconds(CLI::App& app, const std::string& flag, std::chrono::milliseconds& target,
                      const std::string& env, const std::string& help) {
    app.add_option_function<long long>(
           flag, [&target](long long value) { target = std::chrono::milliseconds(value); }, help)
        ->envname(env)
        ->type_name("MS")
        ->check(CLI::Range(0LL, 86'400'000LL))
        ->default_str(std::to_string(target.count()));
}

}  // namespace

ParsedCommandLine parse_command_line(int argc, char** argv) {
    ParsedCommandLine result;
    Options& o = result.options;

    if (argc > 1 && (std::string(argv[1]) == "ctl" || std::string(argv[1]) == "health")) {
        std::fprintf(stderr,
                     "tend: error: '%s': the control socket is not part of this version of tend; "
                     "to run a program with this name as the CMD, use `tend -- %s`\n",
                     argv[1], argv[1]);
        result.kind = ParsedCommandLine::Kind::Exit;
        result.exit_code = 2;
        return result;
    }

    CLI::App app{"tend: a minimal container init and process supervisor.\n"
                 "  tend [OPTIONS] [--] [CMD [ARGS...]]\n"
                 "Every option can also be set with the environment variable shown as Env.",
                 "tend"};
    app.set_version_flag("--version", std::string("tend ") + TEND_VERSION);
    app.prefix_command();  // the first positional starts the CMD; everything after is its args

    app.add_option("--services-dir", o.services_dir, "Directory of service dirs")
        ->envname("TEND_SERVICES_DIR")->type_name("DIR")->capture_default_str();
    app.add_option("--cont-init-dir", o.cont_init_dir, "Scripts run as root before the services")
        ->envname("TEND_CONT_INIT_DIR")->type_name("DIR")->capture_default_str();
    app.add_option("--cont-finish-dir", o.cont_finish_dir, "Scripts run after the services stopped")
        ->envname("TEND_CONT_FINISH_DIR")->type_name("DIR")->capture_default_str();
    app.add_option("--runtime-dir", o.runtime_dir, "Directory for the control socket (reserved)")
        ->envname("TEND_RUNTIME_DIR")->type_name("DIR")->capture_default_str();
    app.add_option_function<std::string>(
           "--on-init-failure",
           [&o](const std::string& value) {
               o.on_init_failure = value == "continue" ? InitFailure::Continue : InitFailure::Stop;
           },
           "stop: a failing cont-init script ends the boot; continue: warn and go on")
        ->envname("TEND_ON_INIT_FAILURE")
        ->type_name("stop|continue")
        ->transform(CLI::IsMember({"stop", "continue"}, CLI::ignore_case))
        ->default_str("stop");
    app.add_flag("--forward-signals", o.forward_signals, "SIGTERM/SIGINT/SIGQUIT go to the primary; shutdown when it exits")
        ->envname("TEND_FORWARD_SIGNALS");
    app.add_flag("--as-me", o.as_me, "Local testing: run every service as tend's own user, ignoring `user` files")
        ->envname("TEND_AS_ME");
    app.add_option("--cmd-user", o.cmd_user, "Run the CMD as this user (name, name:group, uid, uid:gid)")
        ->envname("TEND_CMD_USER")->type_name("USER");
    add_milliseconds(app, "--services-grace", o.services_grace, "TEND_SERVICES_GRACE",
                     "Default timeout-kill of services and the CMD, in ms");
    add_milliseconds(app, "--finish-timeout", o.finish_timeout, "TEND_FINISH_TIMEOUT",
                     "Time limit of each cont-finish script, in ms");
    add_milliseconds(app, "--kill-grace", o.kill_grace, "TEND_KILL_GRACE",
                     "Time between the final SIGTERM and SIGKILL to every remaining process, in ms");
    app.add_option("--default-path", o.default_path, "PATH of services with a cleared environment")
        ->envname("TEND_DEFAULT_PATH")->type_name("PATH")->capture_default_str();
    app.add_option("--verbosity", o.verbosity, "0 errors, 1 warnings, 2 info, 3 debug, 4 trace")
        ->envname("TEND_VERBOSITY")->type_name("0..4")->check(CLI::Range(0, 4))->capture_default_str();
    app.add_option_function<std::string>(
           "--log-format",
           [&o](const std::string& value) { o.log_format = value == "json" ? log::Format::Json : log::Format::Text; },
           "Format of tend's own messages")
        ->envname("TEND_LOG_FORMAT")
        ->type_name("text|json")
        ->transform(CLI::IsMember({"text", "json"}, CLI::ignore_case))
        ->default_str("text");
    app.add_flag("--log-prefix", o.log_prefix, "Prefix each service output line with its name")
        ->envname("TEND_LOG_PREFIX");
    app.add_flag("--inherit-output", o.inherit_output,
                 "Services write straight to tend's stdout/stderr instead of pipes they own")
        ->envname("TEND_INHERIT_OUTPUT");
    add_milliseconds(app, "--drain-timeout", o.drain_timeout, "TEND_DRAIN_TIMEOUT",
                     "At exit, how long buffered service output may take to be written, in ms");
    app.add_flag("--wait-ready", o.wait_ready, "Start the CMD only when every started service is ready")
        ->envname("TEND_WAIT_READY");
    app.add_option_function<long long>(
           "--ready-timeout", [&o](long long value) { o.ready_timeout = std::chrono::milliseconds(value); },
           "With --wait-ready: give up after this many ms and shut down (default: wait forever)")
        ->envname("TEND_READY_TIMEOUT")
        ->type_name("MS")
        ->check(CLI::Range(0LL, 86'400'000LL));
    app.add_option("--control-group", o.control_group, "Group allowed to use the control socket (reserved)")
        ->envname("TEND_CONTROL_GROUP")->type_name("GROUP");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        result.kind = ParsedCommandLine::Kind::Exit;
        result.exit_code = app.exit(error);
        if (result.exit_code != 0) result.exit_code = 2;
        return result;
    }
    // tend cannot prefix lines it never sees.
    if (o.log_prefix && o.inherit_output) {
        std::fprintf(stderr, "tend: error: --log-prefix needs the services' output to pass through tend; "
                             "it cannot be combined with --inherit-output\n");
        result.kind = ParsedCommandLine::Kind::Exit;
        result.exit_code = 2;
        return result;
    }
    // Services chdir to their own dir before exec, so every path must be absolute.
    for (auto* dir : {&o.services_dir, &o.cont_init_dir, &o.cont_finish_dir, &o.runtime_dir}) {
        std::error_code ignored;
        auto absolute = std::filesystem::absolute(*dir, ignored);
        if (!ignored) *dir = absolute.lexically_normal();
    }
    o.command = app.remaining();
    if (!o.command.empty() && o.command.front() == "--") o.command.erase(o.command.begin());
    return result;
}

}  // namespace tend::config
