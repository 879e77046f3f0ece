// s6-setuidgid, s6-envuidgid, s6-applyuidgid: switching user inside a run
// script, with users resolved from the image's own /etc/passwd and /etc/group
// by tend's reader (a static binary has no NSS).
#include "tend/applets/uidgid.hpp"

#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tend/applets/applets.hpp"
#include "tend/applets/s6_options.hpp"

namespace tend::applets {
namespace {

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

template <typename Id>
std::optional<Id> parse_id(std::string_view text) {
    if (!all_digits(text)) return std::nullopt;
    unsigned long long value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    if (value >= static_cast<unsigned long long>(static_cast<Id>(-1))) return std::nullopt;
    return static_cast<Id>(value);
}

std::string errno_text(const char* step) { return std::string(step) + ": " + std::strerror(errno); }

// A pipe on fd that this process owns goes to the target user; anything else
// (a terminal, a file, someone else's pipe) is left as it is.
void hand_over_output(int fd, uid_t uid, gid_t gid) {
    struct stat status {};
    if (::fstat(fd, &status) != 0 || !S_ISFIFO(status.st_mode) || status.st_uid != ::geteuid()) return;
    if (status.st_uid == uid) return;
    if (::fchown(fd, uid, gid) == 0) return;
    // Without CAP_CHOWN the owner may still open the pipe to everyone for writing.
    (void)::fchmod(fd, 0622);
}

std::vector<char*> program_argv(char** argv) {
    std::vector<char*> out;
    for (char** arg = argv; *arg != nullptr; ++arg) out.push_back(*arg);
    out.push_back(nullptr);
    return out;
}

}  // namespace

std::expected<process::Credentials, std::string> resolve_setuidgid(std::string_view spec,
                                                                   const process::UserDatabase& db) {
    std::string_view user = spec.substr(0, spec.find(':'));
    auto resolved = process::resolve_user(spec, db);
    if (!resolved) return resolved;
    if (all_digits(user)) resolved->groups.clear();
    return resolved;
}

std::expected<std::vector<gid_t>, std::string> parse_gid_list(std::string_view text) {
    std::vector<gid_t> groups;
    if (text.empty()) return groups;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        auto gid = parse_id<gid_t>(text.substr(start, end - start));
        if (!gid) return std::unexpected("invalid gid '" + std::string(text.substr(start, end - start)) + "'");
        groups.push_back(*gid);
        start = end + 1;
    }
    return groups;
}

std::vector<std::pair<std::string, std::string>> envuidgid_variables(const process::Credentials& credentials) {
    std::string list;
    for (gid_t gid : credentials.groups) list += (list.empty() ? "" : ",") + std::to_string(gid);
    return {{"UID", std::to_string(credentials.uid)}, {"GID", std::to_string(credentials.gid)}, {"GIDLIST", list}};
}

std::expected<ApplyUidGid, std::string> parse_applyuidgid(const std::vector<std::string>& args,
                                                          const std::function<const char*(const char*)>& getenv) {
    ApplyUidGid plan;
    auto first = parse_s6_options(
        args, "ugG",
        [&](char option) -> std::string {
            if (option == 'z') {
                plan.unexport = true;
                return {};
            }
            if (option != 'U') return std::string("unknown option -") + option;
            if (const char* uid = getenv("UID")) {
                plan.uid = parse_id<uid_t>(uid);
                if (!plan.uid) return std::string("invalid UID '") + uid + "'";
            }
            if (const char* gid = getenv("GID")) {
                plan.gid = parse_id<gid_t>(gid);
                if (!plan.gid) return std::string("invalid GID '") + gid + "'";
            }
            if (const char* list = getenv("GIDLIST")) {
                auto groups = parse_gid_list(list);
                if (!groups) return "GIDLIST: " + groups.error();
                plan.groups = std::move(*groups);
            }
            return {};
        },
        [&](char option, const std::string& value) -> std::string {
            if (option == 'u') {
                plan.uid = parse_id<uid_t>(value);
                if (!plan.uid) return "invalid uid '" + value + "'";
            } else if (option == 'g') {
                plan.gid = parse_id<gid_t>(value);
                if (!plan.gid) return "invalid gid '" + value + "'";
            } else {
                auto groups = parse_gid_list(value);
                if (!groups) return groups.error();
                plan.groups = std::move(*groups);
            }
            return {};
        });
    if (!first) return std::unexpected(first.error());
    const std::size_t i = *first;
    if (i >= args.size()) return std::unexpected("no program to run");
    plan.program_index = i;
    return plan;
}

std::expected<void, std::string> apply_identity(std::optional<uid_t> uid, std::optional<gid_t> gid,
                                                const std::optional<std::vector<gid_t>>& groups) {
    if (uid) {
        hand_over_output(1, *uid, gid.value_or(::getegid()));
        hand_over_output(2, *uid, gid.value_or(::getegid()));
    }
    if (groups && ::setgroups(groups->size(), groups->data()) != 0) return std::unexpected(errno_text("setgroups"));
    if (gid && ::setresgid(*gid, *gid, *gid) != 0) return std::unexpected(errno_text("setgid"));
    if (uid && ::setresuid(*uid, *uid, *uid) != 0) return std::unexpected(errno_text("setuid"));
    // A switch that silently did not happen must not run the program.
    if (uid && (::getuid() != *uid || ::geteuid() != *uid)) return std::unexpected("setuid: ids did not change");
    if (gid && (::getgid() != *gid || ::getegid() != *gid)) return std::unexpected("setgid: ids did not change");
    return {};
}

int setuidgid_main(int argc, char** argv) {
    if (argc < 3) {
        std::fputs("s6-setuidgid: usage: s6-setuidgid USER[:GROUP] PROG [ARGS...]\n", stderr);
        return 100;
    }
    auto credentials = resolve_setuidgid(argv[1]);
    if (!credentials) {
        std::fprintf(stderr, "s6-setuidgid: fatal: %s\n", credentials.error().c_str());
        return 1;
    }
    auto applied = apply_identity(credentials->uid, credentials->gid, credentials->groups);
    if (!applied) {
        std::fprintf(stderr, "s6-setuidgid: fatal: cannot switch to uid %u: %s\n",
                     static_cast<unsigned>(credentials->uid), applied.error().c_str());
        return 111;
    }
    auto program = program_argv(argv + 2);
    return exec_program("s6-setuidgid", program.data(), nullptr);
}

int envuidgid_main(int argc, char** argv) {
    // s6-envuidgid [-i | -D UID:GID[:GIDLIST]] [-u | -g | -B] [-n] ACCOUNT PROG...
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<std::string> defaults;
    bool user_only = false, group_only = false;
    auto first = parse_s6_options(
        args, "D",
        [&](char option) -> std::string {
            if (option == 'u') user_only = true;
            else if (option == 'g') group_only = true;
            else if (option != 'i' && option != 'B' && option != 'n') return std::string("unknown option -") + option;
            return {};
        },
        [&](char, const std::string& value) -> std::string {
            defaults = value;
            return {};
        });
    if (!first) {
        std::fprintf(stderr, "s6-envuidgid: usage: %s\n", first.error().c_str());
        return 100;
    }
    const int i = static_cast<int>(*first) + 1;
    if (argc - i < 2) {
        std::fputs("s6-envuidgid: usage: s6-envuidgid [-i|-D UID:GID:GIDLIST] [-u|-g|-B] ACCOUNT PROG...\n", stderr);
        return 100;
    }
    std::vector<std::pair<std::string, std::string>> variables;
    auto credentials = resolve_setuidgid(argv[i]);
    if (credentials) {
        variables = envuidgid_variables(*credentials);
    } else if (defaults) {
        std::string_view text = *defaults;
        std::string parts[3];
        for (int part = 0; part < 3; ++part) {
            auto colon = text.find(':');
            parts[part] = std::string(text.substr(0, colon));
            text = colon == std::string_view::npos ? std::string_view{} : text.substr(colon + 1);
        }
        variables = {{"UID", parts[0]}, {"GID", parts[1]}, {"GIDLIST", parts[2]}};
    } else {
        std::fprintf(stderr, "s6-envuidgid: fatal: %s\n", credentials.error().c_str());
        return 1;
    }
    for (const auto& [name, value] : variables) {
        if (user_only && name != "UID") continue;
        if (group_only && name == "UID") continue;
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    auto program = program_argv(argv + i + 1);
    return exec_program("s6-envuidgid", program.data(), nullptr);
}

int applyuidgid_main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    auto plan = parse_applyuidgid(args, [](const char* name) { return static_cast<const char*>(std::getenv(name)); });
    if (!plan) {
        std::fprintf(stderr, "s6-applyuidgid: usage: %s\n", plan.error().c_str());
        return 100;
    }
    if (plan->unexport)
        for (const char* name : {"UID", "GID", "GIDLIST"}) ::unsetenv(name);
    auto applied = apply_identity(plan->uid, plan->gid, plan->groups);
    if (!applied) {
        std::fprintf(stderr, "s6-applyuidgid: fatal: %s\n", applied.error().c_str());
        return 111;
    }
    auto program = program_argv(argv + 1 + plan->program_index);
    return exec_program("s6-applyuidgid", program.data(), nullptr);
}

}  // namespace tend::applets
