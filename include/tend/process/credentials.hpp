// Resolving a service's `user` file to numeric credentials.
//
// tend is a static binary, so there is no NSS: it reads the image's
// /etc/passwd and /etc/group itself. Resolution happens in the parent before
// fork, so the child only has to apply plain numbers.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tend::process {

struct PasswdEntry {
    std::string name;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string home;
    std::string shell;
};

struct GroupEntry {
    std::string name;
    gid_t gid = 0;
    std::vector<std::string> members;
};

// Larger database files are refused rather than read into PID 1's memory.
inline constexpr std::size_t kMaxUserDatabaseBytes = 16 * 1024 * 1024;

// Where the user database lives; tests point these at temp files.
struct UserDatabase {
    std::filesystem::path passwd = "/etc/passwd";
    std::filesystem::path group = "/etc/group";
};

// Parsed database files, in file order. Malformed lines are skipped (as libc
// does): wrong field count, empty name, ids that are not decimal or are
// (uid_t)-1, comments ('#') and NIS compat lines ('+'/'-'). Never throw: on
// allocation failure they return an empty list.
std::vector<PasswdEntry> parse_passwd(std::string_view content);
std::vector<GroupEntry> parse_group(std::string_view content);

struct Credentials {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;            // supplementary groups, exactly
    std::optional<std::string> user_name; // passwd name of uid, if any
    std::string home = "/";               // passwd home of uid, else "/" (also for an empty field)
};

// Resolve `name`, `name:group`, `uid`, `uid:gid` (group may be a name or a
// number). Rules (docs/service-directory.md, users and groups):
//  - a name must exist in passwd; its gid is the passwd gid unless a group is given;
//  - supplementary groups = exactly the /etc/group entries that list the
//    user's passwd name as a member (the primary gid is not added); none for
//    numeric ids without a passwd entry, and none when a name:group or uid:gid override is given
//    for a numeric uid without passwd entry;
//  - a bare number uses that uid's passwd gid when an entry exists, else the same number;
//  - HOME/user_name come from the passwd entry of the target uid when there
//    is one (for a name, that name's entry; for a number, the first entry
//    with that uid, as getpwuid does); with duplicates, the first entry wins;
//  - ids are decimal only; overflow and (uid_t)-1 are refused; an all-digit
//    token is always an id, never a name; a token that is neither a known
//    name nor a valid id is "invalid uid" when it starts like a number
//    (a digit, or a sign and a digit) and "unknown user" otherwise
//    (likewise for groups);
//  - uid:gid / name:group with a uid that has a passwd entry keeps that
//    name's memberships: the override replaces the primary gid only, so
//    `app` and `app:web` differ in exactly one gid;
//  - a missing passwd/group file is an empty database (scratch images run
//    numeric users); any other read failure is an error.
// Errors are reasons ("unknown user 'www'", "unknown group 'web'",
// "invalid uid '12x'", "cannot read /etc/passwd: ..."). Never throws.
std::expected<Credentials, std::string> resolve_user(std::string_view spec, const UserDatabase& db = {});

// Credentials of tend's own process (for services without `user`): the real
// uid/gid, getgroups(), and name/home from the passwd entry of getuid().
// Never throws; an unreadable database leaves no name and HOME=/.
Credentials current_credentials(const UserDatabase& db = {});

}  // namespace tend::process
