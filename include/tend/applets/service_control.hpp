// s6-svc, s6-svwait and s6-svok under tend: each becomes requests on the
// control socket (`start`, `stop`, `restart`, `signal`, `wait-up`,
// `wait-ready`, `wait-down`, `status`). A service is named by its name or by
// an s6 path to it (/var/run/s6/services/NAME, /run/service/NAME, `.` in a
// finish script, whose working directory is the service dir): the basename.
//
// Exit codes, as s6's where they mean the same: 0 done; 1 a wait timed out
// (s6-svc -T, s6-svwait -t) or, for s6-svok, the service is not supervised;
// 100 usage (also options tend does not support); 111 control unreachable,
// an unknown service, or tend said no (the message is tend's).
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace tend::applets {

// "/var/run/s6/services/app/" -> "app"; "app" -> "app"; "." -> the basename
// of cwd; ".../app/log" -> "app-log" (its logger). Pure (cwd given).
std::string service_name_for(std::string_view argument, const std::filesystem::path& cwd);

enum class WaitFor { Nothing, Up, Ready, Down, Finished };

// Control's word for a wait.
std::string_view wait_command(WaitFor wait);

struct ServiceCommandPlan {
    // Requests for each service, in the order the options were given
    // (without the service name, which follows the command word, e.g.
    // {"signal", SIG}: the name is inserted after the first word).
    std::vector<std::vector<std::string>> actions;
    WaitFor wait = WaitFor::Nothing;
    std::chrono::milliseconds timeout{0};  // 0: no limit, as in s6
    std::vector<std::string> services;     // names, already mapped from paths
};

// s6-svc [-T MS] [-u|-d|-r|-k|-t|-h|-i|-q|-a|-b|-1|-2|-p|-c|-y] [-wu|-wU|-wd|-wD] SERVICE...
// args without argv[0]. The error is the usage message.
std::expected<ServiceCommandPlan, std::string> parse_svc(const std::vector<std::string>& args,
                                                         const std::filesystem::path& cwd);

// s6-rc [-v N] [-t MS] -u|-d change SERVICE...: start (then wait until
// ready) or stop (then wait until down) services tend supervises. Other
// subcommands and options are refused naming them.
std::expected<ServiceCommandPlan, std::string> parse_s6rc(const std::vector<std::string>& args);

// s6-svwait [-u|-U|-d|-D] [-a] [-t MS] SERVICE...
std::expected<ServiceCommandPlan, std::string> parse_svwait(const std::vector<std::string>& args,
                                                            const std::filesystem::path& cwd);

}  // namespace tend::applets
