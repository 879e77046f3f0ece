// The pure parts of s6-setuidgid, s6-envuidgid and s6-applyuidgid.
#pragma once

#include <sys/types.h>

#include <expected>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tend/process/credentials.hpp"

namespace tend::applets {

// s6-setuidgid's USER, extended (docs/s6-overlay.md): a name, or `user:group`
// with names or numbers on either side. `uid` or `uid:gid` (the user part all
// digits) clears the supplementary groups, as s6 does for numbers; a name
// (with or without `:group`) follows tend's `user` rule (its /etc/group
// memberships, the group overriding the primary gid).
std::expected<process::Credentials, std::string> resolve_setuidgid(std::string_view spec,
                                                                   const process::UserDatabase& db = {});

// "1,2,3" -> {1,2,3}; "" -> {}. Decimal only.
std::expected<std::vector<gid_t>, std::string> parse_gid_list(std::string_view text);

// UID, GID, GIDLIST (comma-separated) as s6-envuidgid exports them.
std::vector<std::pair<std::string, std::string>> envuidgid_variables(const process::Credentials& credentials);

// s6-applyuidgid [-u UID] [-g GID] [-G GIDLIST] [-U] [-z] PROG...
struct ApplyUidGid {
    std::optional<uid_t> uid;
    std::optional<gid_t> gid;
    std::optional<std::vector<gid_t>> groups;
    bool unexport = false;       // -z: remove UID, GID, GIDLIST from the environment
    std::size_t program_index = 0;  // index in args of PROG
};
// args without argv[0]; getenv looks up UID/GID/GIDLIST for -U.
std::expected<ApplyUidGid, std::string> parse_applyuidgid(const std::vector<std::string>& args,
                                                          const std::function<const char*(const char*)>& getenv);

// Applies ids in s6's order (setgroups, setgid, setuid) after handing fds 1
// and 2 to the target uid when they are pipes this process owns (fchown with
// CAP_CHOWN, else fchmod 0622), so the new user can reopen /dev/stdout.
// Returns the failing step and errno's text.
std::expected<void, std::string> apply_identity(std::optional<uid_t> uid, std::optional<gid_t> gid,
                                                const std::optional<std::vector<gid_t>>& groups);

}  // namespace tend::applets
