// resolve_user, parse_passwd/parse_group and current_credentials against
// Debian-like passwd/group files written to a temp dir.
#include "tend/process/credentials.hpp"

#include <gtest/gtest.h>
#include <fcntl.h>

#include "without_dac.hpp"
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace {

using tend::process::Credentials;
using tend::process::parse_group;
using tend::process::parse_passwd;
using tend::process::resolve_user;
using tend::process::UserDatabase;

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/bin/bash\n"
    "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
    "sync:x:4:65534:sync:/bin:/bin/sync\n"  // uid and gid differ
    "www-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
    "alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash\n"
    "app:x:1500:1500::/srv/app:/bin/sh\n"
    "\n"
    "# a comment:x:2000:2000::/:/bin/sh\n"
    "+nisuser:x:2001:2001::/:/bin/sh\n"
    "-nisminus:x:2002:2002::/:/bin/sh\n"
    "+\n"
    "short:x:2003:2003:/home/short\n"
    "long:x:2004:2004::/home/long:/bin/sh:extra\n"
    "badnum:x:12x:2005::/home/badnum:/bin/sh\n"
    "badgid:x:2006:-5::/:/bin/sh\n"
    "hexid:x:0x10:0::/:/bin/sh\n"
    "overflow:x:99999999999:1::/:/bin/sh\n"
    "minusone:x:4294967295:1::/:/bin/sh\n"
    ":x:2007:2007::/:/bin/sh\n"
    "toor:x:0:0:second root:/toor:/bin/sh\n"
    "dup:x:1600:1600::/first:/bin/sh\n"
    "dup:x:1601:1601::/second:/bin/sh\n"
    "nohome:x:1700:1700:::/bin/sh\n"
    "crlf:x:1800:1800::/home/crlf:/bin/sh\r\n"
    "12ab:x:1900:1900::/home/12ab:/bin/sh\n"
    "last:x:1950:1950::/home/last:/bin/sh";  // no final newline

constexpr const char* kGroup =
    "root:x:0:\n"
    "daemon:x:1:\n"
    "adm:x:4:alice\n"
    "www-data:x:33:\n"
    "users:x:100:alice,app\n"
    "audio:x:29:alice\n"
    "video:x:44:alicex,xalice\n"  // near misses: not alice's
    "nogroup:x:65534:\n"
    "alice:x:1000:\n"
    "app:x:1500:\n"
    "web:x:2000:app\n"
    "# comment:x:3000:alice\n"
    "+:::\n"
    "-adm2:x:3001:alice\n"
    "shortg:x:3002\n"
    "badgidg:x:abc:alice\n"
    "longg:x:3003:alice:extra\n"
    "staff:x:50:bob,,alice,\n"
    "users2:x:100:alice\n"  // same gid as users: listed once
    "12grp:x:3100:\n";

class TempDir {
public:
    TempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "tend-cred-XXXXXX").string();
        if (::mkdtemp(pattern.data()) == nullptr) {
            throw std::runtime_error("mkdtemp failed");
        }
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }

    std::filesystem::path write(const std::string& name, const std::string& content) const {
        std::filesystem::path file = path_ / name;
        std::ofstream out(file, std::ios::binary);
        out << content;
        return file;
    }

private:
    std::filesystem::path path_;
};

class CredentialsTest : public ::testing::Test {
protected:
    CredentialsTest() {
        db_.passwd = dir_.write("passwd", kPasswd);
        db_.group = dir_.write("group", kGroup);
    }

    TempDir dir_;
    UserDatabase db_;
};

// ---- parsing ----------------------------------------------------------

TEST(ParsePasswd, KeepsWellFormedLinesInFileOrder) {
    auto entries = parse_passwd(kPasswd);
    std::vector<std::string> names;
    for (const auto& entry : entries) {
        names.push_back(entry.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"root", "daemon", "sync", "www-data", "nobody", "alice", "app",
                                               "toor", "dup", "dup", "nohome", "crlf", "12ab", "last"}));
}

TEST(ParsePasswd, ReadsEveryField) {
    auto entries = parse_passwd("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].name, "nobody");
    EXPECT_EQ(entries[0].uid, 65534u);
    EXPECT_EQ(entries[0].gid, 65534u);
    EXPECT_EQ(entries[0].home, "/nonexistent");
    EXPECT_EQ(entries[0].shell, "/usr/sbin/nologin");
}

TEST(ParsePasswd, DropsCarriageReturn) {
    auto entries = parse_passwd("crlf:x:1800:1800::/home/crlf:/bin/sh\r\n");
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].shell, "/bin/sh");
}

TEST(ParsePasswd, EmptyAndGarbageGiveNothing) {
    EXPECT_TRUE(parse_passwd("").empty());
    EXPECT_TRUE(parse_passwd("\n\n\n").empty());
    EXPECT_TRUE(parse_passwd(std::string_view("\0\x01\xff:::::", 9)).empty());
}

TEST(ParseGroup, KeepsWellFormedLinesAndMembers) {
    auto entries = parse_group(kGroup);
    std::vector<std::string> names;
    for (const auto& entry : entries) {
        names.push_back(entry.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"root", "daemon", "adm", "www-data", "users", "audio", "video",
                                               "nogroup", "alice", "app", "web", "staff", "users2", "12grp"}));
    auto users = std::ranges::find(entries, "users", &tend::process::GroupEntry::name);
    ASSERT_NE(users, entries.end());
    EXPECT_EQ(users->gid, 100u);
    EXPECT_EQ(users->members, (std::vector<std::string>{"alice", "app"}));
    auto staff = std::ranges::find(entries, "staff", &tend::process::GroupEntry::name);
    ASSERT_NE(staff, entries.end());
    EXPECT_EQ(staff->members, (std::vector<std::string>{"bob", "alice"}));  // empty members dropped
}

// ---- resolve_user: successes ------------------------------------------

struct ResolveCase {
    const char* spec;
    uid_t uid;
    gid_t gid;
    std::vector<gid_t> groups;
    std::optional<std::string> user_name;
    std::string home;
};

void PrintTo(const ResolveCase& c, std::ostream* out) { *out << "user '" << c.spec << "'"; }

class ResolveUserOk : public CredentialsTest, public ::testing::WithParamInterface<ResolveCase> {};

TEST_P(ResolveUserOk, Resolves) {
    const ResolveCase& c = GetParam();
    auto result = resolve_user(c.spec, db_);
    ASSERT_TRUE(result.has_value()) << c.spec << ": " << result.error();
    EXPECT_EQ(result->uid, c.uid) << c.spec;
    EXPECT_EQ(result->gid, c.gid) << c.spec;
    EXPECT_EQ(result->groups, c.groups) << c.spec;
    EXPECT_EQ(result->user_name, c.user_name) << c.spec;
    EXPECT_EQ(result->home, c.home) << c.spec;
}

const std::vector<gid_t> kAliceGroups{4, 100, 29, 50};  // adm, users, audio, staff in file order

INSTANTIATE_TEST_SUITE_P(
    Table, ResolveUserOk,
    ::testing::Values(
        // name: passwd uid and gid, exactly its memberships, passwd home
        ResolveCase{"root", 0, 0, {}, "root", "/root"},
        ResolveCase{"nobody", 65534, 65534, {}, "nobody", "/nonexistent"},
        ResolveCase{"www-data", 33, 33, {}, "www-data", "/var/www"},
        ResolveCase{"sync", 4, 65534, {}, "sync", "/bin"},
        ResolveCase{"alice", 1000, 1000, kAliceGroups, "alice", "/home/alice"},
        ResolveCase{"app", 1500, 1500, {100, 2000}, "app", "/srv/app"},
        // name:group: group by name or number, memberships unchanged
        ResolveCase{"alice:web", 1000, 2000, kAliceGroups, "alice", "/home/alice"},
        ResolveCase{"alice:33", 1000, 33, kAliceGroups, "alice", "/home/alice"},
        ResolveCase{"app:nogroup", 1500, 65534, {100, 2000}, "app", "/srv/app"},
        ResolveCase{"nobody:4242", 65534, 4242, {}, "nobody", "/nonexistent"},
        // bare uid with a passwd entry: its gid, name and home; numeric ids get no groups (SPEC)
        ResolveCase{"33", 33, 33, {}, "www-data", "/var/www"},
        ResolveCase{"4", 4, 65534, {}, "sync", "/bin"},
        ResolveCase{"1000", 1000, 1000, {}, "alice", "/home/alice"},
        ResolveCase{"0", 0, 0, {}, "root", "/root"},  // first entry wins over toor
        ResolveCase{"0001000", 1000, 1000, {}, "alice", "/home/alice"},  // leading zeros are decimal
        // bare uid without entry: gid = same number, no groups, HOME=/
        ResolveCase{"4242", 4242, 4242, {}, std::nullopt, "/"},
        ResolveCase{"4294967294", 4294967294u, 4294967294u, {}, std::nullopt, "/"},
        // uid:gid: exactly those numbers, never supplementary groups
        ResolveCase{"4242:100", 4242, 100, {}, std::nullopt, "/"},
        ResolveCase{"4242:web", 4242, 2000, {}, std::nullopt, "/"},
        ResolveCase{"1000:2000", 1000, 2000, {}, "alice", "/home/alice"},
        ResolveCase{"33:0", 33, 0, {}, "www-data", "/var/www"},
        // duplicates: first entry; empty home field: "/"
        ResolveCase{"dup", 1600, 1600, {}, "dup", "/first"},
        ResolveCase{"1601", 1601, 1601, {}, "dup", "/second"},  // the entry of that uid
        ResolveCase{"nohome", 1700, 1700, {}, "nohome", "/"},
        // a name that starts with a digit is still a name when it exists
        ResolveCase{"12ab", 1900, 1900, {}, "12ab", "/home/12ab"},
        ResolveCase{"last:12grp", 1950, 3100, {}, "last", "/home/last"},
        ResolveCase{"crlf", 1800, 1800, {}, "crlf", "/home/crlf"}));

// ---- resolve_user: errors ---------------------------------------------

struct ResolveErrorCase {
    const char* spec;
    const char* reason;
};

void PrintTo(const ResolveErrorCase& c, std::ostream* out) { *out << "user '" << c.spec << "'"; }

class ResolveUserError : public CredentialsTest, public ::testing::WithParamInterface<ResolveErrorCase> {};

TEST_P(ResolveUserError, FailsWithReason) {
    const ResolveErrorCase& c = GetParam();
    auto result = resolve_user(c.spec, db_);
    ASSERT_FALSE(result.has_value()) << c.spec << " resolved to uid " << result->uid;
    EXPECT_EQ(result.error(), c.reason) << c.spec;
}

INSTANTIATE_TEST_SUITE_P(
    Table, ResolveUserError,
    ::testing::Values(
        ResolveErrorCase{"www", "unknown user 'www'"},
        ResolveErrorCase{"Alice", "unknown user 'Alice'"},
        ResolveErrorCase{"alice:webx", "unknown group 'webx'"},
        ResolveErrorCase{"4242:nosuch", "unknown group 'nosuch'"},
        ResolveErrorCase{"nosuch:web", "unknown user 'nosuch'"},
        // malformed lines are not users or groups
        ResolveErrorCase{"short", "unknown user 'short'"},
        ResolveErrorCase{"long", "unknown user 'long'"},
        ResolveErrorCase{"badnum", "unknown user 'badnum'"},
        ResolveErrorCase{"badgid", "unknown user 'badgid'"},
        ResolveErrorCase{"hexid", "unknown user 'hexid'"},
        ResolveErrorCase{"overflow", "unknown user 'overflow'"},
        ResolveErrorCase{"minusone", "unknown user 'minusone'"},
        ResolveErrorCase{"nisuser", "unknown user 'nisuser'"},
        ResolveErrorCase{"+nisuser", "unknown user '+nisuser'"},
        ResolveErrorCase{"alice:shortg", "unknown group 'shortg'"},
        ResolveErrorCase{"alice:badgidg", "unknown group 'badgidg'"},
        ResolveErrorCase{"alice:longg", "unknown group 'longg'"},
        ResolveErrorCase{"alice:adm2", "unknown group 'adm2'"},
        // numbers: decimal only, no overflow, not (uid_t)-1
        ResolveErrorCase{"12x", "invalid uid '12x'"},
        ResolveErrorCase{"0x10", "invalid uid '0x10'"},
        ResolveErrorCase{"-1", "invalid uid '-1'"},
        ResolveErrorCase{"+5", "invalid uid '+5'"},
        ResolveErrorCase{"4294967295", "invalid uid '4294967295'"},
        ResolveErrorCase{"4294967296", "invalid uid '4294967296'"},
        ResolveErrorCase{"99999999999999999999999", "invalid uid '99999999999999999999999'"},
        ResolveErrorCase{"1000:12x", "invalid gid '12x'"},
        ResolveErrorCase{"1000:-1", "invalid gid '-1'"},
        ResolveErrorCase{"1000:4294967295", "invalid gid '4294967295'"},
        ResolveErrorCase{"alice:4294967296", "invalid gid '4294967296'"},
        // shape
        ResolveErrorCase{"", "invalid user '' (expected name, name:group, uid or uid:gid)"},
        ResolveErrorCase{":", "invalid user ':' (expected name, name:group, uid or uid:gid)"},
        ResolveErrorCase{"alice:", "invalid user 'alice:' (expected name, name:group, uid or uid:gid)"},
        ResolveErrorCase{":web", "invalid user ':web' (expected name, name:group, uid or uid:gid)"},
        ResolveErrorCase{"alice:web:x", "invalid user 'alice:web:x' (expected name, name:group, uid or uid:gid)"}));

// ---- resolve_user: the database files themselves ------------------------

TEST_F(CredentialsTest, MissingPasswdIsAnEmptyDatabase) {
    UserDatabase db{dir_.path() / "no-passwd", dir_.path() / "no-group"};
    auto numeric = resolve_user("4242", db);
    ASSERT_TRUE(numeric.has_value()) << numeric.error();
    EXPECT_EQ(numeric->gid, 4242u);
    EXPECT_TRUE(numeric->groups.empty());
    EXPECT_EQ(numeric->home, "/");

    auto numeric_pair = resolve_user("4242:77", db);
    ASSERT_TRUE(numeric_pair.has_value()) << numeric_pair.error();
    EXPECT_EQ(numeric_pair->gid, 77u);

    auto named = resolve_user("alice", db);
    ASSERT_FALSE(named.has_value());
    EXPECT_EQ(named.error(), "unknown user 'alice'");
}

TEST_F(CredentialsTest, MissingGroupFileGivesNoMemberships) {
    UserDatabase db{db_.passwd, dir_.path() / "no-group"};
    auto result = resolve_user("alice", db);
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_TRUE(result->groups.empty());
    auto with_group = resolve_user("alice:web", db);
    ASSERT_FALSE(with_group.has_value());
    EXPECT_EQ(with_group.error(), "unknown group 'web'");
}

TEST_F(CredentialsTest, GroupFileIsNotNeededForNumericIdsWithoutEntry) {
    // A group "file" that cannot be read must not matter when it is not used.
    std::filesystem::create_directory(dir_.path() / "group-dir");
    UserDatabase db{db_.passwd, dir_.path() / "group-dir"};
    EXPECT_TRUE(resolve_user("4242:100", db).has_value());
    auto named = resolve_user("alice", db);
    ASSERT_FALSE(named.has_value());
    EXPECT_EQ(named.error(), "cannot read " + (dir_.path() / "group-dir").string() + ": is a directory");
}

TEST_F(CredentialsTest, PasswdThatIsADirectoryIsAnError) {
    std::filesystem::create_directory(dir_.path() / "passwd-dir");
    UserDatabase db{dir_.path() / "passwd-dir", db_.group};
    auto result = resolve_user("4242", db);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), "cannot read " + (dir_.path() / "passwd-dir").string() + ": is a directory");
}

TEST_F(CredentialsTest, PasswdThatIsAFifoIsRefusedWithoutBlocking) {
    std::filesystem::path fifo = dir_.path() / "passwd-fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    UserDatabase db{fifo, db_.group};
    auto result = resolve_user("root", db);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), "cannot read " + fifo.string() + ": is a FIFO, not a regular file");
}

TEST_F(CredentialsTest, HugePasswdIsRefused) {
    // A sparse file: the size check must happen before reading.
    std::filesystem::path huge = dir_.write("passwd-huge", kPasswd);
    std::filesystem::resize_file(huge, tend::process::kMaxUserDatabaseBytes + 1);
    UserDatabase db{huge, db_.group};
    auto result = resolve_user("root", db);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), "cannot read " + huge.string() + ": larger than 16777216 bytes");
}

TEST_F(CredentialsTest, PasswdOfExactlyTheLimitIsRead) {
    std::filesystem::path big = dir_.write("passwd-big", kPasswd);
    std::filesystem::resize_file(big, tend::process::kMaxUserDatabaseBytes);  // NUL padding: one junk line
    UserDatabase db{big, db_.group};
    auto result = resolve_user("alice", db);
    ASSERT_TRUE(result.has_value()) << result.error();
    EXPECT_EQ(result->uid, 1000u);
}

TEST_F(CredentialsTest, PasswdBehindANonDirectoryIsAnErrorNotAnEmptyDatabase) {
    // Only ENOENT means "no database"; other open errors must not silently
    // turn a named user's lookup into a numeric fallback.
    UserDatabase db{db_.passwd / "passwd", db_.group};
    auto result = resolve_user("4242", db);
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error(), "cannot read " + (db_.passwd / "passwd").string() + ": Not a directory");
}

TEST_F(CredentialsTest, UnreadablePasswdIsAnError) {
    std::filesystem::permissions(db_.passwd, std::filesystem::perms::none);
    std::string error = tend::testing::without_dac([&] {
        auto result = resolve_user("4242", db_);
        return result ? std::string("resolved") : result.error();
    });
    EXPECT_EQ(error, "cannot read " + db_.passwd.string() + ": Permission denied");
}

// ---- current_credentials ----------------------------------------------

TEST_F(CredentialsTest, CurrentCredentialsAreTheProcessIds) {
    Credentials own = tend::process::current_credentials(db_);
    EXPECT_EQ(own.uid, ::getuid());
    EXPECT_EQ(own.gid, ::getgid());
    std::vector<gid_t> groups(static_cast<std::size_t>(::getgroups(0, nullptr)));
    groups.resize(static_cast<std::size_t>(::getgroups(static_cast<int>(groups.size()), groups.data())));
    EXPECT_EQ(own.groups, groups);
}

TEST_F(CredentialsTest, CurrentCredentialsTakeNameAndHomeFromPasswd) {
    std::string passwd = "someone:x:" + std::to_string(::getuid()) + ":" + std::to_string(::getgid()) +
                         "::/home/someone:/bin/sh\n";
    UserDatabase db{dir_.write("passwd-self", passwd), db_.group};
    Credentials own = tend::process::current_credentials(db);
    EXPECT_EQ(own.user_name, "someone");
    EXPECT_EQ(own.home, "/home/someone");
}

TEST_F(CredentialsTest, CurrentCredentialsWithoutEntryHaveNoNameAndRootHome) {
    // Ids nobody runs as, so the process uid has no entry here.
    UserDatabase db{dir_.write("passwd-other", "other:x:4294967294:1::/home/other:/bin/sh\n"), db_.group};
    Credentials own = tend::process::current_credentials(db);
    EXPECT_EQ(own.user_name, std::nullopt);
    EXPECT_EQ(own.home, "/");

    UserDatabase missing{dir_.path() / "none", dir_.path() / "none"};
    Credentials without_db = tend::process::current_credentials(missing);
    EXPECT_EQ(without_db.uid, ::getuid());
    EXPECT_EQ(without_db.user_name, std::nullopt);
    EXPECT_EQ(without_db.home, "/");
}

}  // namespace
