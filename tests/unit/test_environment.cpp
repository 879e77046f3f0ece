// Environment (the container) and build_service_environment (the layering
// rules). Expectations compare the whole environment, so anything extra,
// a leaked secret included, fails the test.
#include "tend/process/environment.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <string>
#include <vector>

namespace {

using tend::config::EnvdirEntry;
using tend::config::ServiceConfig;
using tend::process::build_service_environment;
using tend::process::Credentials;
using tend::process::Environment;
using tend::process::EnvironmentInputs;

using Strings = std::vector<std::string>;

// ---- Environment --------------------------------------------------------

TEST(Environment, FromStringsSortsAndSplitsAtTheFirstEquals) {
    Environment env = Environment::from_strings({"ZED=last", "A=b=c", "M=", "LANG=C.UTF-8"});
    EXPECT_EQ(env.to_strings(), (Strings{"A=b=c", "LANG=C.UTF-8", "M=", "ZED=last"}));
    EXPECT_EQ(env.size(), 4u);
}

TEST(Environment, FromStringsIgnoresEntriesWithoutNameOrEquals) {
    Environment env = Environment::from_strings({"NOEQUALS", "", "=value", "OK=1"});
    EXPECT_EQ(env.to_strings(), (Strings{"OK=1"}));
}

TEST(Environment, FromStringsFirstDuplicateWins) {
    Environment env = Environment::from_strings({"X=first", "Y=1", "X=second"});
    EXPECT_EQ(env.get("X"), "first");
    EXPECT_EQ(env.size(), 2u);
}

TEST(Environment, FromEnvironReadsANullTerminatedArray) {
    char a[] = "B=2";
    char b[] = "junk";
    char c[] = "A=1";
    char d[] = "B=3";
    char* envp[] = {a, b, c, d, nullptr};
    EXPECT_EQ(Environment::from_environ(envp).to_strings(), (Strings{"A=1", "B=2"}));
    EXPECT_EQ(Environment::from_environ(nullptr).size(), 0u);
}

TEST(Environment, EmptyValueIsPresentUnsetIsAbsent) {
    Environment env;
    env.set("EMPTY", "");
    EXPECT_TRUE(env.contains("EMPTY"));
    EXPECT_EQ(env.get("EMPTY"), std::optional<std::string>(""));
    EXPECT_FALSE(env.contains("MISSING"));
    EXPECT_EQ(env.get("MISSING"), std::nullopt);
    EXPECT_EQ(env.to_strings(), (Strings{"EMPTY="}));
}

TEST(Environment, SetReplacesAndUnsetRemoves) {
    Environment env;
    env.set("B", "1");
    env.set("A", "1");
    env.set("C", "1");
    env.set("B", "2");
    EXPECT_EQ(env.to_strings(), (Strings{"A=1", "B=2", "C=1"}));
    env.unset("B");
    env.unset("NOT_THERE");
    EXPECT_EQ(env.to_strings(), (Strings{"A=1", "C=1"}));
    env.unset("A");
    env.unset("C");
    EXPECT_EQ(env.size(), 0u);
}

TEST(Environment, SetIgnoresNamesThatCannotBeWritten) {
    Environment env;
    env.set("", "x");
    env.set("A=B", "x");
    env.set(std::string_view("A\0B", 3), "x");
    EXPECT_EQ(env.size(), 0u);
}

TEST(Environment, NamesAreCaseSensitiveAndSortedBytewise) {
    Environment env = Environment::from_strings({"path=lower", "PATH=upper", "_X=1", "a=1"});
    EXPECT_EQ(env.to_strings(), (Strings{"PATH=upper", "_X=1", "a=1", "path=lower"}));
}

// ---- Environment at start-up: large, duplicated, hostile environments ----

// What from_strings and from_environ must give, written the obvious way: the
// first of equal names wins (getenv), entries without '=' or with an empty
// name or a NUL in the name are dropped, the rest sorted bytewise by name.
Strings expected_environment(const Strings& entries) {
    std::map<std::string, std::string> first;
    for (const std::string& entry : entries) {
        std::size_t equals = entry.find('=');
        if (equals == std::string::npos || equals == 0) continue;
        std::string name = entry.substr(0, equals);
        if (name.find('\0') != std::string::npos) continue;
        first.emplace(name, entry.substr(equals + 1));  // keeps the first
    }
    Strings out;
    for (const auto& [name, value] : first) out.push_back(name + "=" + value);
    return out;
}

Environment from_environ_of(const Strings& entries) {
    std::vector<char*> envp;
    for (const std::string& entry : entries) envp.push_back(const_cast<char*>(entry.c_str()));
    envp.push_back(nullptr);
    return Environment::from_environ(envp.data());
}

// Service names from a fixed generator, in a shuffled order: the names share
// their first 11 bytes and often differ only past the 16th.
Strings kubernetes_like(std::size_t services, std::uint32_t seed) {
    std::mt19937 random(seed);
    Strings entries;
    for (std::size_t i = 0; i < services; ++i) {
        std::string service = "MY_SERVICE_" + std::to_string(random() % 100000);
        entries.push_back(service + "_SERVICE_HOST=10.96.0." + std::to_string(i));
        entries.push_back(service + "_PORT_8080_TCP_ADDR=10.96.1." + std::to_string(i));
        entries.push_back(service + "_PORT=tcp://10.96.2." + std::to_string(i));
    }
    std::shuffle(entries.begin(), entries.end(), random);
    return entries;
}

TEST(EnvironmentStartUp, ManyEntriesWithInterleavedDuplicatesKeepTheFirst) {
    Strings entries;
    for (int round = 0; round < 3; ++round)
        for (int i = 0; i < 300; ++i) {
            // Round 0 sets every even name, round 1 every name, round 2 again.
            if (round == 0 && i % 2 == 1) continue;
            entries.push_back("VARIABLE_WITH_A_LONG_SHARED_PREFIX_" + std::to_string(i) + "=round" +
                              std::to_string(round));
        }
    std::mt19937 random(7);
    std::shuffle(entries.begin() + 150, entries.end(), random);  // duplicates before and after each other
    const Strings expected = expected_environment(entries);
    ASSERT_EQ(expected.size(), 300u);
    EXPECT_EQ(Environment::from_strings(entries).to_strings(), expected);
    Environment env = from_environ_of(entries);
    EXPECT_EQ(env.to_strings(), expected);
    EXPECT_EQ(env.size(), 300u);
    EXPECT_EQ(env.get("VARIABLE_WITH_A_LONG_SHARED_PREFIX_0"), "round0");
}

TEST(EnvironmentStartUp, FirstOfEqualNamesWinsWhateverItsValue) {
    // The later duplicate's value sorts before the first's: the name alone decides.
    Environment env = from_environ_of({"B=2", "A=zzz", "A=aaa", "A=", "B=1"});
    EXPECT_EQ(env.to_strings(), (Strings{"A=zzz", "B=2"}));
    env = Environment::from_strings({"A=", "A=aaa"});
    EXPECT_EQ(env.to_strings(), (Strings{"A="}));
}

TEST(EnvironmentStartUp, InvalidNamesAreDroppedAndValuesKeptWhole) {
    const Strings entries{"=value", "", "NO_EQUALS", "==", "A==b", "B=c=d", std::string("N\0UL=1", 6),
                          std::string("V=x\0y", 5), "OK=1", "=", "LAST="};
    const Strings expected{"A==b", "B=c=d", "LAST=", "OK=1", std::string("V=x\0y", 5)};
    EXPECT_EQ(expected_environment(entries), expected);
    EXPECT_EQ(Environment::from_strings(entries).to_strings(), expected);
    // A C string ends at the NUL: "N" alone has no '=', "V=x" is cut there.
    EXPECT_EQ(from_environ_of(entries).to_strings(), (Strings{"A==b", "B=c=d", "LAST=", "OK=1", "V=x"}));
}

TEST(EnvironmentStartUp, SortedBytewiseWhenNamesShareLongPrefixes) {
    // Equal in the first 8 or 16 bytes, prefixes of each other, bytes >= 0x80.
    Strings entries{"MY_SERVICE_001_PORT_8080_TCP_ADDR=a",
                    "MY_SERVICE_001_PORT_8080_TCP=b",
                    "MY_SERVICE_001_PORT_8080_TCP_PORT=c",
                    "MY_SERVICE_001_P=d",
                    "MY_SERVICE_001_=e",
                    "MY_SERVICE_001_PORT=f",
                    "MY_SERVICE_001_PORT_8080_TCP_ADDR_=g",
                    "MY_SERVI=h",
                    "MY_SERV=i",
                    "MY_SERVICE_001_PORT_8080_TCP_ADDRESS=j",
                    "MY_SERVICE_001_PORT_8080_TCP_ADDQ=k",
                    "MY_SERVICE_0010=l",
                    "MY_SERVICE_001\xc3\xa9=m",
                    "MY_SERVICE_001_PORT_8080_TCP_ADD\xc3\xa9=n",
                    "\xc3\xa9T\xc3\xa9=o",
                    "Z=p",
                    "MY_SERVICE_001_PORT_8080_TCP_ADDR=duplicate"};
    const Strings expected = expected_environment(entries);
    ASSERT_EQ(expected.size(), entries.size() - 1);
    EXPECT_EQ(expected.front(), "MY_SERV=i");
    EXPECT_EQ(expected.back(), "\xc3\xa9T\xc3\xa9=o");
    EXPECT_EQ(Environment::from_strings(entries).to_strings(), expected);
    Environment env = from_environ_of(entries);
    EXPECT_EQ(env.to_strings(), expected);
    EXPECT_EQ(env.get("MY_SERVICE_001_PORT_8080_TCP_ADDR"), "a");
    EXPECT_EQ(env.get("MY_SERVICE_001_PORT_8080_TCP_ADD"), std::nullopt);
    EXPECT_TRUE(env.contains("MY_SERVICE_001_P"));
}

TEST(EnvironmentStartUp, AVeryLargeEnvironmentMatchesTheObviousModel) {
    const Strings entries = kubernetes_like(4000, 11);  // 12,000 entries, some services drawn twice
    const Strings expected = expected_environment(entries);
    ASSERT_LT(expected.size(), entries.size());  // the generator did draw duplicates
    Environment env = from_environ_of(entries);
    EXPECT_EQ(env.to_strings(), expected);
    EXPECT_EQ(Environment::from_strings(entries).to_strings(), expected);
    for (const std::string& entry : expected) {
        std::size_t equals = entry.find('=');
        ASSERT_EQ(env.get(entry.substr(0, equals)), entry.substr(equals + 1)) << entry;
    }
}

TEST(EnvironmentStartUp, CopiesOfABorrowedEnvironmentChangeIndependently) {
    const Strings entries{"PATH=/usr/bin", "HOME=/root", "SECRET=hunter2"};
    const Environment container = from_environ_of(entries);
    Environment service = container;
    service.set("PATH", "/opt/bin");
    service.unset("SECRET");
    service.set("TEND_SERVICE", "app");
    EXPECT_EQ(service.to_strings(), (Strings{"HOME=/root", "PATH=/opt/bin", "TEND_SERVICE=app"}));
    EXPECT_EQ(container.to_strings(), (Strings{"HOME=/root", "PATH=/usr/bin", "SECRET=hunter2"}));
    Environment assigned;
    assigned = service;
    assigned.set("HOME", "/home/app");
    EXPECT_EQ(service.get("HOME"), "/root");
    EXPECT_EQ(assigned.get("HOME"), "/home/app");
    EXPECT_EQ(assigned.get("PATH"), "/opt/bin");
}

// ---- build_service_environment ------------------------------------------

const char* const kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// The container env as `docker run -e SECRET=...` would give it; HOME/USER
// values differ from every credential below so the winner is visible.
const Strings kContainer{
    "PATH=/opt/bin:/usr/bin", "HOME=/container-home", "USER=container-user", "LOGNAME=container-user",
    "HOSTNAME=abc123",        "LANG=C.UTF-8",         "SECRET=hunter2",       "EMPTY=",
};

const Credentials kTendUser{0, 0, {}, "root", "/root"};
const Credentials kTendNameless{4242, 4242, {}, std::nullopt, "/"};
const Credentials kWwwData{33, 33, {}, "www-data", "/var/www"};
const Credentials kNamelessTarget{5000, 5000, {}, std::nullopt, "/"};

struct EnvCase {
    const char* description;
    bool keep_env = false;
    std::optional<Strings> import_env = std::nullopt;
    std::optional<std::string> user = std::nullopt;  // the `user` file, if any
    const Credentials* credentials = &kTendUser;
    std::vector<EnvdirEntry> envdir = {};
    Strings container = kContainer;
    std::string default_path = kDefaultPath;
    Strings expected = {};
};

std::string path_entry() { return std::string("PATH=") + kDefaultPath; }

ServiceConfig service_for(const EnvCase& c) {
    ServiceConfig service;
    service.name = "app";
    service.keep_env = c.keep_env;
    service.import_env = c.import_env;
    service.user = c.user;
    service.envdir = c.envdir;
    return service;
}

void PrintTo(const EnvCase& c, std::ostream* out) { *out << c.description; }

class BuildEnvironment : public ::testing::TestWithParam<EnvCase> {};

TEST_P(BuildEnvironment, Layers) {
    const EnvCase& c = GetParam();
    Environment container = Environment::from_strings(c.container);
    EnvironmentInputs inputs{&container, c.default_path, c.credentials};
    Environment env = build_service_environment(service_for(c), inputs);
    EXPECT_EQ(env.to_strings(), c.expected) << c.description;
}

const Strings kContainerPlusService{
    "EMPTY=",       "HOME=/container-home", "HOSTNAME=abc123",       "LANG=C.UTF-8",
    "LOGNAME=container-user", "PATH=/opt/bin:/usr/bin", "SECRET=hunter2", "TEND_SERVICE=app",
    "USER=container-user",
};

INSTANTIATE_TEST_SUITE_P(
    Table, BuildEnvironment,
    ::testing::Values(
        // --- cleared (no keep-env, no import-env)
        EnvCase{.description = "cleared, no user file: tend's own user",
                .expected = {"HOME=/root", "LOGNAME=root", path_entry(), "TEND_SERVICE=app", "USER=root"}},
        EnvCase{.description = "cleared, no user file, tend's user has no passwd name",
                .credentials = &kTendNameless,
                .expected = {"HOME=/", path_entry(), "TEND_SERVICE=app"}},
        EnvCase{.description = "cleared, user file",
                .user = "www-data",
                .credentials = &kWwwData,
                .expected = {"HOME=/var/www", "LOGNAME=www-data", path_entry(), "TEND_SERVICE=app",
                             "USER=www-data"}},
        EnvCase{.description = "cleared, numeric user without passwd entry",
                .user = "5000",
                .credentials = &kNamelessTarget,
                .expected = {"HOME=/", path_entry(), "TEND_SERVICE=app"}},
        EnvCase{.description = "cleared, user file but credentials unknown: no HOME/USER/LOGNAME",
                .user = "www-data",
                .credentials = nullptr,
                .expected = {path_entry(), "TEND_SERVICE=app"}},
        EnvCase{.description = "cleared, empty default path sets no PATH",
                .default_path = "",
                .expected = {"HOME=/root", "LOGNAME=root", "TEND_SERVICE=app", "USER=root"}},
        EnvCase{.description = "cleared, custom default path",
                .default_path = "/bin",
                .expected = {"HOME=/root", "LOGNAME=root", "PATH=/bin", "TEND_SERVICE=app", "USER=root"}},

        // --- keep-env
        EnvCase{.description = "keep-env, no user file: container values as they are",
                .keep_env = true,
                .expected = kContainerPlusService},
        EnvCase{.description = "keep-env, no user file, container without PATH/HOME/USER: default PATH only",
                .keep_env = true,
                .container = {"LANG=C"},
                .expected = {"LANG=C", path_entry(), "TEND_SERVICE=app"}},
        EnvCase{.description = "keep-env + user: target user's HOME/USER/LOGNAME win",
                .keep_env = true,
                .user = "www-data",
                .credentials = &kWwwData,
                .expected = {"EMPTY=", "HOME=/var/www", "HOSTNAME=abc123", "LANG=C.UTF-8", "LOGNAME=www-data",
                             "PATH=/opt/bin:/usr/bin", "SECRET=hunter2", "TEND_SERVICE=app", "USER=www-data"}},
        EnvCase{.description = "keep-env + nameless user: HOME=/, container USER/LOGNAME removed",
                .keep_env = true,
                .user = "5000",
                .credentials = &kNamelessTarget,
                .expected = {"EMPTY=", "HOME=/", "HOSTNAME=abc123", "LANG=C.UTF-8", "PATH=/opt/bin:/usr/bin",
                             "SECRET=hunter2", "TEND_SERVICE=app"}},
        EnvCase{.description = "keep-env wins over import-env",
                .keep_env = true,
                .import_env = Strings{"LANG"},
                .expected = kContainerPlusService},
        EnvCase{.description = "keep-env: container TEND_SERVICE is replaced",
                .keep_env = true,
                .container = {"TEND_SERVICE=other", "PATH=/x"},
                .expected = {"PATH=/x", "TEND_SERVICE=app"}},

        // --- import-env
        EnvCase{.description = "import-env: only listed names that exist",
                .import_env = Strings{"LANG", "NOT_IN_CONTAINER"},
                .expected = {"HOME=/root", "LANG=C.UTF-8", "LOGNAME=root", path_entry(), "TEND_SERVICE=app",
                             "USER=root"}},
        EnvCase{.description = "import-env of PATH keeps the container PATH",
                .import_env = Strings{"PATH"},
                .expected = {"HOME=/root", "LOGNAME=root", "PATH=/opt/bin:/usr/bin", "TEND_SERVICE=app",
                             "USER=root"}},
        EnvCase{.description = "import-env of an empty variable imports it empty",
                .import_env = Strings{"EMPTY"},
                .expected = {"EMPTY=", "HOME=/root", "LOGNAME=root", path_entry(), "TEND_SERVICE=app",
                             "USER=root"}},
        EnvCase{.description = "import-env of HOME/USER without user file: imported values kept",
                .import_env = Strings{"HOME", "USER"},
                .expected = {"HOME=/container-home", "LOGNAME=root", path_entry(), "TEND_SERVICE=app",
                             "USER=container-user"}},
        EnvCase{.description = "import-env of HOME/USER/LOGNAME with user file: target wins",
                .import_env = Strings{"HOME", "USER", "LOGNAME"},
                .user = "www-data",
                .credentials = &kWwwData,
                .expected = {"HOME=/var/www", "LOGNAME=www-data", path_entry(), "TEND_SERVICE=app",
                             "USER=www-data"}},
        EnvCase{.description = "import-env of USER with nameless user file: USER removed",
                .import_env = Strings{"USER"},
                .user = "5000",
                .credentials = &kNamelessTarget,
                .expected = {"HOME=/", path_entry(), "TEND_SERVICE=app"}},
        EnvCase{.description = "empty import-env list: cleared",
                .import_env = Strings{},
                .expected = {"HOME=/root", "LOGNAME=root", path_entry(), "TEND_SERVICE=app", "USER=root"}},

        // --- env/
        EnvCase{.description = "env/ sets, overrides PATH/HOME/TEND_SERVICE, and unsets",
                .keep_env = true,
                .envdir = {{"FOO", "bar"}, {"HOME", "/data"}, {"LANG", std::nullopt}, {"PATH", "/only"},
                           {"SECRET", std::nullopt}, {"TEND_SERVICE", "renamed"}},
                .expected = {"EMPTY=", "FOO=bar", "HOME=/data", "HOSTNAME=abc123", "LOGNAME=container-user",
                             "PATH=/only", "TEND_SERVICE=renamed", "USER=container-user"}},
        EnvCase{.description = "env/ empty value sets an empty variable, nullopt unsets",
                .envdir = {{"BLANK", ""}, {"PATH", std::nullopt}, {"USER", std::nullopt}},
                .expected = {"BLANK=", "HOME=/root", "LOGNAME=root", "TEND_SERVICE=app"}},
        EnvCase{.description = "env/ overrides the target user's HOME",
                .user = "www-data",
                .credentials = &kWwwData,
                .envdir = {{"HOME", "/srv/www"}},
                .expected = {"HOME=/srv/www", "LOGNAME=www-data", path_entry(), "TEND_SERVICE=app",
                             "USER=www-data"}},
        EnvCase{.description = "env/ unset of a name that is not there is harmless",
                .envdir = {{"NOPE", std::nullopt}},
                .expected = {"HOME=/root", "LOGNAME=root", path_entry(), "TEND_SERVICE=app", "USER=root"}}));

// ---- secrets ------------------------------------------------------------

// Every way of not asking for the container env must keep SECRET out, by
// name and by value.
TEST(BuildEnvironmentSecrets, ClearedAndImportedServicesNeverSeeOtherVariables) {
    Environment container = Environment::from_strings(kContainer);
    struct Variant {
        const char* description;
        std::optional<Strings> import_env;
        std::optional<std::string> user;
        const Credentials* credentials;
    };
    const Variant variants[] = {
        {"cleared", std::nullopt, std::nullopt, &kTendUser},
        {"cleared with user", std::nullopt, "www-data", &kWwwData},
        {"import-env of another name", Strings{"LANG"}, std::nullopt, &kTendUser},
        {"import-env of a prefix of the name", Strings{"SECRE", "SECRET_"}, std::nullopt, &kTendUser},
        {"import-env with user", Strings{"HOSTNAME"}, "5000", &kNamelessTarget},
    };
    for (const Variant& v : variants) {
        ServiceConfig service;
        service.name = "app";
        service.import_env = v.import_env;
        service.user = v.user;
        Environment env = build_service_environment(service, {&container, kDefaultPath, v.credentials});
        EXPECT_FALSE(env.contains("SECRET")) << v.description;
        for (const std::string& entry : env.to_strings()) {
            EXPECT_EQ(entry.find("hunter2"), std::string::npos) << v.description << ": " << entry;
        }
    }
}

TEST(BuildEnvironmentSecrets, KeepEnvIsTheOnlyWayToGetEverything) {
    // The control for the test above: the secret is there to leak.
    Environment container = Environment::from_strings(kContainer);
    ServiceConfig service;
    service.name = "app";
    service.keep_env = true;
    Environment env = build_service_environment(service, {&container, kDefaultPath, &kTendUser});
    EXPECT_EQ(env.get("SECRET"), "hunter2");
}

TEST(BuildEnvironmentInputs, NoContainerSnapshotBehavesLikeAnEmptyOne) {
    ServiceConfig service;
    service.name = "app";
    service.keep_env = true;
    Environment env = build_service_environment(service, {nullptr, kDefaultPath, &kTendUser});
    EXPECT_EQ(env.to_strings(), (Strings{path_entry(), "TEND_SERVICE=app"}));
}

}  // namespace
