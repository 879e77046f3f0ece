// Reading /etc/passwd and /etc/group without NSS, and turning a `user` file
// into numbers. Everything that can fail returns a reason; allocation
// failure is caught at the public boundary because this runs inside PID 1.
#include "tend/process/credentials.hpp"
#include "tend/config/file_reader.hpp"
#include "tend/config/text.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>
#include <new>
#include <optional>
#include <system_error>
#include <utility>


namespace tend::process {
namespace {

// nullopt = the file does not exist, which callers treat as an empty
// database (scratch images often have no /etc/passwd at all).
using DatabaseText = std::expected<std::optional<std::string>, std::string>;

// Through the one bounded reader: O_NONBLOCK, so a FIFO planted at
// /etc/passwd cannot hang PID 1 in open(), and at most kMaxUserDatabaseBytes.
DatabaseText read_database_file(const std::filesystem::path& file) {
    auto text = config::read_small_file_if_present(file, kMaxUserDatabaseBytes);
    if (!text) return std::unexpected("cannot read " + file.string() + ": " + text.error());
    return std::move(*text);
}

// Decimal only: no sign, no blanks, no hex. (uid_t)-1 is refused because
// setresuid/setresgid read it as "leave unchanged".
template <typename Id>
std::optional<Id> parse_id(std::string_view text) {
    static_assert(std::numeric_limits<Id>::is_integer && !std::numeric_limits<Id>::is_signed);
    if (!config::all_digits(text)) {
        return std::nullopt;
    }
    Id value{};
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) {
        return std::nullopt;
    }
    if (value == static_cast<Id>(-1)) {
        return std::nullopt;
    }
    return value;
}

// "12x", "-1", "+5": meant as a number, so the reason says the number is bad.
bool looks_numeric(std::string_view text) {
    auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        text.remove_prefix(1);
    }
    return !text.empty() && is_digit(text.front());
}

// Calls `line_handler` for every line that is neither empty, a comment nor a
// NIS compat entry. A trailing CR is dropped so files edited on Windows work.
template <typename Handler>
void for_each_data_line(std::string_view content, Handler&& line_handler) {
    while (!content.empty()) {
        std::size_t newline = content.find('\n');
        std::string_view line = content.substr(0, newline);
        content = newline == std::string_view::npos ? std::string_view{} : content.substr(newline + 1);
        if (!line.empty() && line.back() == '\r') {
            line.remove_suffix(1);
        }
        if (line.empty() || line.front() == '#' || line.front() == '+' || line.front() == '-') {
            continue;
        }
        line_handler(line);
    }
}

// Splits on ':' into exactly `count` fields; false for any other count.
template <std::size_t count>
bool split_fields(std::string_view line, std::array<std::string_view, count>& fields) {
    std::size_t index = 0;
    for (;;) {
        std::size_t colon = line.find(':');
        if (index == count) {
            return false;
        }
        fields[index++] = line.substr(0, colon);
        if (colon == std::string_view::npos) {
            break;
        }
        line.remove_prefix(colon + 1);
    }
    return index == count;
}

// The parsers. Like every allocation on the event path, a failure here
// reaches the event loop's guard (tend shuts down gracefully).
std::vector<PasswdEntry> passwd_entries(std::string_view content) {
    std::vector<PasswdEntry> entries;
    for_each_data_line(content, [&](std::string_view line) {
        std::array<std::string_view, 7> fields;
        if (!split_fields(line, fields) || fields[0].empty()) {
            return;
        }
        auto uid = parse_id<uid_t>(fields[2]);
        auto gid = parse_id<gid_t>(fields[3]);
        if (!uid || !gid) {
            return;
        }
        entries.push_back(PasswdEntry{std::string(fields[0]), *uid, *gid, std::string(fields[5]),
                                      std::string(fields[6])});
    });
    return entries;
}

// The entry find_user_by_uid(passwd_entries(content), uid) would give,
// without building the others: tend reads its own user at every start-up.
std::optional<PasswdEntry> first_passwd_entry_with_uid(std::string_view content, uid_t uid) {
    std::optional<PasswdEntry> found;
    for_each_data_line(content, [&](std::string_view line) {
        if (found) {
            return;
        }
        std::array<std::string_view, 7> fields;
        if (!split_fields(line, fields) || fields[0].empty()) {
            return;
        }
        auto entry_uid = parse_id<uid_t>(fields[2]);
        auto gid = parse_id<gid_t>(fields[3]);
        if (!entry_uid || !gid || *entry_uid != uid) {
            return;
        }
        found = PasswdEntry{std::string(fields[0]), *entry_uid, *gid, std::string(fields[5]), std::string(fields[6])};
    });
    return found;
}

std::vector<GroupEntry> group_entries(std::string_view content) {
    std::vector<GroupEntry> entries;
    for_each_data_line(content, [&](std::string_view line) {
        std::array<std::string_view, 4> fields;
        if (!split_fields(line, fields) || fields[0].empty()) {
            return;
        }
        auto gid = parse_id<gid_t>(fields[2]);
        if (!gid) {
            return;
        }
        GroupEntry entry{std::string(fields[0]), *gid, {}};
        std::string_view members = fields[3];
        while (!members.empty()) {
            std::size_t comma = members.find(',');
            std::string_view member = members.substr(0, comma);
            if (!member.empty()) {
                entry.members.emplace_back(member);
            }
            members = comma == std::string_view::npos ? std::string_view{} : members.substr(comma + 1);
        }
        entries.push_back(std::move(entry));
    });
    return entries;
}

const PasswdEntry* find_user_by_name(const std::vector<PasswdEntry>& users, std::string_view name) {
    auto it = std::ranges::find(users, name, &PasswdEntry::name);
    return it == users.end() ? nullptr : &*it;
}

const PasswdEntry* find_user_by_uid(const std::vector<PasswdEntry>& users, uid_t uid) {
    auto it = std::ranges::find(users, uid, &PasswdEntry::uid);
    return it == users.end() ? nullptr : &*it;
}

// Groups listing `name`, in file order, each gid once.
std::vector<gid_t> memberships_of(const std::vector<GroupEntry>& groups, std::string_view name) {
    std::vector<gid_t> gids;
    for (const GroupEntry& group : groups) {
        if (std::ranges::find(group.members, name) != group.members.end() &&
            std::ranges::find(gids, group.gid) == gids.end()) {
            gids.push_back(group.gid);
        }
    }
    return gids;
}

// Loads a database on first use, so e.g. `4242:100` never needs /etc/group.
template <typename Entry>
class LazyDatabase {
public:
    using Parser = std::vector<Entry> (*)(std::string_view);
    LazyDatabase(const std::filesystem::path& file, Parser parser) : file_(file), parser_(parser) {}

    std::expected<const std::vector<Entry>*, std::string> get() {
        if (!loaded_) {
            auto text = read_database_file(file_);
            if (!text) {
                return std::unexpected(text.error());
            }
            if (*text) {
                entries_ = parser_(**text);
            }
            loaded_ = true;
        }
        return &entries_;
    }

private:
    const std::filesystem::path& file_;
    Parser parser_;
    bool loaded_ = false;
    std::vector<Entry> entries_;
};

// An empty home field means "/", as login(1) does; HOME= would be useless.
std::string home_of(const PasswdEntry& entry) {
    return entry.home.empty() ? std::string("/") : entry.home;
}


std::expected<Credentials, std::string> resolve_user_with(std::string_view spec,
                                                              const UserDatabase& db) {
    const std::string invalid_spec = "invalid user " + config::in_quotes(spec) +
                                     " (expected name, name:group, uid or uid:gid)";
    std::size_t colon = spec.find(':');
    std::string_view user_part = spec.substr(0, colon);
    std::optional<std::string_view> group_part;
    if (colon != std::string_view::npos) {
        group_part = spec.substr(colon + 1);
        if (group_part->empty() || group_part->find(':') != std::string_view::npos) {
            return std::unexpected(invalid_spec);
        }
    }
    if (user_part.empty()) {
        return std::unexpected(invalid_spec);
    }

    LazyDatabase<PasswdEntry> users(db.passwd, &passwd_entries);
    LazyDatabase<GroupEntry> groups(db.group, &group_entries);
    auto passwd = users.get();
    if (!passwd) {
        return std::unexpected(passwd.error());
    }

    Credentials result;
    const PasswdEntry* entry = nullptr;
    if (config::all_digits(user_part)) {
        auto uid = parse_id<uid_t>(user_part);
        if (!uid) {
            return std::unexpected("invalid uid " + config::in_quotes(user_part));
        }
        result.uid = *uid;
        entry = find_user_by_uid(**passwd, *uid);
        result.gid = entry ? entry->gid : static_cast<gid_t>(*uid);
    } else {
        entry = find_user_by_name(**passwd, user_part);
        if (!entry) {
            return std::unexpected((looks_numeric(user_part) ? "invalid uid " : "unknown user ") +
                                   config::in_quotes(user_part));
        }
        result.uid = entry->uid;
        result.gid = entry->gid;
    }

    if (group_part) {
        if (config::all_digits(*group_part)) {
            auto gid = parse_id<gid_t>(*group_part);
            if (!gid) {
                return std::unexpected("invalid gid " + config::in_quotes(*group_part));
            }
            result.gid = *gid;
        } else {
            auto group_list = groups.get();
            if (!group_list) {
                return std::unexpected(group_list.error());
            }
            auto it = std::ranges::find(**group_list, *group_part, &GroupEntry::name);
            if (it == (*group_list)->end()) {
                return std::unexpected((looks_numeric(*group_part) ? "invalid gid " : "unknown group ") +
                                       config::in_quotes(*group_part));
            }
            result.gid = it->gid;
        }
    }

    if (entry) {
        // docs/service-directory.md (users and groups): supplementary groups come with a user *name*; numeric ids get
        // none, even when a passwd entry exists for the uid.
        if (!config::all_digits(user_part)) {
            auto group_list = groups.get();
            if (!group_list) {
                return std::unexpected(group_list.error());
            }
            result.groups = memberships_of(**group_list, entry->name);
        }
        result.user_name = entry->name;
        result.home = home_of(*entry);
    }
    return result;
}

}  // namespace

std::vector<PasswdEntry> parse_passwd(std::string_view content) {
    return passwd_entries(content);
}

std::vector<GroupEntry> parse_group(std::string_view content) {
    return group_entries(content);
}

std::expected<Credentials, std::string> resolve_user(std::string_view spec, const UserDatabase& db) {
    return resolve_user_with(spec, db);
}

Credentials current_credentials(const UserDatabase& db) {
    Credentials result;
    result.uid = ::getuid();
    result.gid = ::getgid();
    int count = ::getgroups(0, nullptr);
    if (count > 0) {
        std::vector<gid_t> gids(static_cast<std::size_t>(count));
        count = ::getgroups(count, gids.data());
        if (count >= 0) {
            gids.resize(static_cast<std::size_t>(count));
            result.groups = std::move(gids);
        }
    }
    auto text = read_database_file(db.passwd);
    if (text && *text) {
        if (auto entry = first_passwd_entry_with_uid(**text, result.uid)) {
            result.user_name = entry->name;
            result.home = home_of(*entry);
        }
    }
    return result;
}

}  // namespace tend::process
