#include "tend/core/check.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string_view>

#include "tend/s6/script_plan.hpp"
#include "tend/config/crontab_file.hpp"
#include "tend/s6/s6rc.hpp"
#include "tend/config/service_config.hpp"
#include "tend/core/clock.hpp"
#include "tend/core/process_ops.hpp"
#include "tend/core/supervisor.hpp"
#include "tend/log/logger.hpp"
#include "tend/process/child_watch.hpp"
#include "tend/process/credentials.hpp"
#include "tend/process/environment.hpp"
#include "tend/sys/event_loop.hpp"

extern char** environ;

namespace tend::core {
namespace {

// The loaders log what they find as tend would at start; check reports it
// in its own words instead, so their lines go nowhere while they run.
class QuietLog {
public:
    QuietLog() { log::set_line_writer([](void*, std::string_view) {}, nullptr); }
    ~QuietLog() { log::set_line_writer(nullptr, nullptr); }
    QuietLog(const QuietLog&) = delete;
    QuietLog& operator=(const QuietLog&) = delete;
};

void check_scripts(const std::filesystem::path& dir, const config::Options& options,
                   const std::vector<std::string>& envp, CheckReport& report) {
    std::vector<std::string> notes;
    const auto scripts = config::list_scripts(dir, notes, {.shebang_without_exec_bit = options.s6_tree});
    for (auto& note : notes) {
        if (note.ends_with(": hidden, skipped")) continue;  // .gitkeep and the like: as meant
        const bool skipped = note.ends_with(": not executable, skipped") || !note.ends_with("skipped");
        const bool accepted = note.find("run through its #! line") != std::string::npos;
        (skipped && !accepted ? report.problems : report.warnings).push_back(std::move(note));
    }
    for (const auto& script : scripts) {
        if (auto problem = s6::script_start_problem(script, s6::ScriptRole::ContInit, envp, options.default_path))
            report.problems.push_back(script.string() + ": " + *problem);
    }
}

void check_user_option(std::string_view option, const std::string& spec, CheckReport& report) {
    if (auto resolved = process::resolve_user(spec); !resolved)
        report.problems.push_back(std::string(option) + " " + spec + ": " + resolved.error());
}

}  // namespace

CheckReport check_tree(const config::Options& options, char** envp) {
    CheckReport report;
    QuietLog quiet;
    const process::Environment container_env = process::Environment::from_environ(envp);
    const std::vector<std::string> env_strings = container_env.to_strings();

    if (options.cmd_user && !options.as_me) check_user_option("--cmd-user", *options.cmd_user, report);
    if (options.control_group)
        check_user_option("--control-group", std::to_string(::getuid()) + ":" + *options.control_group, report);

    check_scripts(options.cont_init_dir, options, env_strings, report);

    // s6-overlay v3: the s6-rc tree, its oneshots run like cont-init scripts.
    std::vector<Supervisor::ExtraServiceDir> longruns;
    if (options.s6_tree) {
        const s6::S6rcPlan s6rc = s6::load_s6rc();
        if (s6rc.present) {
            for (const auto& error : s6rc.errors) report.problems.push_back(error);
            for (const auto& warning : s6rc.warnings) report.warnings.push_back(warning);
            for (const auto& oneshot : s6rc.oneshots) {
                for (const auto& script : {oneshot.up, oneshot.down}) {
                    if (script.empty()) continue;
                    if (auto problem = s6::script_start_problem(script, s6::ScriptRole::Oneshot, env_strings, options.default_path))
                        report.problems.push_back(script.string() + ": " + *problem);
                }
            }
            for (const auto& longrun : s6rc.longruns)
                longruns.push_back({longrun.dir, longrun.depends, longrun.producer_for});
        }
    }

    // The services: the supervisor's own load, nothing started.
    std::vector<std::string> skipped;
    std::vector<std::string> listing_problems;
    (void)config::list_service_dirs(options.services_dir, skipped, listing_problems);
    for (auto& problem : listing_problems) report.problems.push_back(std::move(problem));
    auto loop = sys::EventLoop::create();
    if (!loop) {
        report.problems.push_back(std::string("tend: cannot create an event loop: ") + std::strerror(loop.error()));
        return report;
    }
    MonotonicClock clock;
    process::ChildWatch children(*loop, clock);  // never used: nothing is started
    SystemProcessOps ops(children);
    SupervisorContext context;
    context.options = &options;
    context.container_env = &container_env;
    context.own_credentials = process::current_credentials();
    context.cmd_given = !options.command.empty();
    Supervisor supervisor(*loop, clock, ops, std::move(context));
    supervisor.load(options.services_dir, longruns);
    for (const ServiceRecord& record : supervisor.services()) {
        if (!record.config) {
            // Refused while parsing: every problem of the dir, not only the first.
            auto problems = config::service_dir_problems(record.dir, {.shebang_without_exec_bit = options.s6_tree});
            if (problems.empty()) report.problems.push_back(record.refusal);
            for (const auto& problem : problems) report.problems.push_back(problem.message());
            continue;
        }
        for (const auto& warning : record.config->warnings) report.warnings.push_back(warning);
        if (record.refused()) report.problems.push_back(record.refusal);
        std::vector<std::string> scripts{record.config->run};
        if (record.config->finish) scripts.push_back(*record.config->finish);
        for (const auto& script : scripts) {
            const std::vector<std::string>& service_env = record.resolved.envp ? *record.resolved.envp : env_strings;
            if (auto problem = s6::script_start_problem(script, s6::ScriptRole::Service, service_env, options.default_path))
                report.problems.push_back(script + ": " + *problem);
        }
    }

    // The crontab: every bad line (the supervisor's load stops at "none runs").
    if (!options.crontab.empty()) {
        const std::optional<std::string> zoneinfo = container_env.get("ZONEINFO");
        auto crontab = config::load_crontab_file(options.crontab, zoneinfo ? std::optional<std::string_view>(*zoneinfo)
                                                                           : std::nullopt);
        if (!crontab)
            for (auto& problem : crontab.error()) report.problems.push_back(std::move(problem));
    }

    check_scripts(options.cont_finish_dir, options, env_strings, report);
    return report;
}

int run_check(const config::Options& options, const std::vector<std::string>& s6_warnings) {
    CheckReport report = check_tree(options, environ);
    report.warnings.insert(report.warnings.begin(), s6_warnings.begin(), s6_warnings.end());
    std::string out;
    for (const auto& problem : report.problems) out += problem + "\n";
    for (const auto& warning : report.warnings) out += "warning: " + warning + "\n";
    std::fwrite(out.data(), 1, out.size(), stderr);
    return report.problems.empty() ? 0 : 1;
}

}  // namespace tend::core
