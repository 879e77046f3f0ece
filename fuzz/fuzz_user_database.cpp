// /etc/passwd and /etc/group lines: parsed entries have a name without ':'
// or a newline, ids that are not -1, and resolving one of the parsed names
// against the same text succeeds.
#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "fuzz_input.hpp"
#include "tend/process/credentials.hpp"

namespace {

// The input split in two at the first 0xFF byte: passwd, then group.
struct Databases {
    std::string_view passwd;
    std::string_view group;
};

Databases split(std::string_view text) {
    const auto cut = text.find('\xff');
    if (cut == std::string_view::npos) return {text, text};
    return {text.substr(0, cut), text.substr(cut + 1)};
}

void write_file(const std::filesystem::path& path, std::string_view content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace tend::process;
    const Databases text = split(tend::fuzz::as_text(data, size));
    const auto users = parse_passwd(text.passwd);
    for (const auto& user : users) {
        tend::fuzz::require(!user.name.empty(), "a user has a name");
        tend::fuzz::require(user.name.find_first_of(":\n") == std::string::npos, "a name is one field");
        tend::fuzz::require(user.uid != static_cast<uid_t>(-1), "uid -1 is skipped");
    }
    const auto groups = parse_group(text.group);
    for (const auto& group : groups) {
        tend::fuzz::require(!group.name.empty(), "a group has a name");
        tend::fuzz::require(group.gid != static_cast<gid_t>(-1), "gid -1 is skipped");
    }
    if (users.empty()) return 0;

    // resolve_user reads files: one pair per fuzzing process, rewritten each run.
    const std::filesystem::path& dir = tend::fuzz::scratch_dir();
    const UserDatabase db{dir / "db-passwd", dir / "db-group"};
    write_file(db.passwd, text.passwd);
    write_file(db.group, text.group);
    const auto& first = users.front();
    const auto resolved = resolve_user(first.name, db);
    // A name that is all digits is read as a uid, by rule.
    const bool numeric = first.name.find_first_not_of("0123456789") == std::string::npos;
    if (!numeric) {
        tend::fuzz::require(resolved.has_value(), "a parsed user resolves");
        tend::fuzz::require(resolved->uid == first.uid, "its uid");
    }
    return 0;
}
