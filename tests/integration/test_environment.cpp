// Proves: docs/service-directory.md#the-environment-of-a-service
// A service's environment is built from the spec's layers
// (cleared / keep-env / import-env, then PATH, HOME, USER, LOGNAME,
// TEND_SERVICE, then env/), and container secrets never leak into a cleared one.
#include <signal.h>

#include <algorithm>

#include <gtest/gtest.h>
#include <fmt/format.h>

#include "harness.hpp"

namespace tend::itest {
namespace {

using Env = std::map<std::string, std::string>;

constexpr std::string_view kDefaultPath =
    "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr std::string_view kContainerPath = "/container/bin:/usr/bin:/bin";

// The container environment tend is started with.
Env container_env() {
    return {{"PATH", std::string(kContainerPath)},
            {"SECRET", "hunter2"},
            {"CONTAINER_VAR", "from-container"},
            {"IMPORT_ME", "imported"},
            {"OVERRIDE", "container-value"},
            {"EMPTY_ME", "present"}};
}

// The service's own initial environment, as the kernel keeps it, written to
// $OUT/<service>.env (renamed into place so a reader never sees half of it).
constexpr std::string_view kReportEnvRun =
    "cat /proc/$$/environ > \"$OUT/$TEND_SERVICE.env.tmp\"\n"
    "mv \"$OUT/$TEND_SERVICE.env.tmp\" \"$OUT/$TEND_SERVICE.env\"\n"
    "exec sleep 1000\n";

Env env_of(const Sandbox& sandbox, const std::string& service) {
    return parse_environ(read_file(sandbox.out(service + ".env")));
}

TEST(Environment, ClearedEnvironmentIsExactlyTheSpecSetAndHidesSecretsFromChildren) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    // The child `sleep` is read once it has exec'd, so its environ is what the
    // service passed on, not a copy of the shell's memory.
    sandbox.service("cleared")
        .user("nobody")
        .env("GREETING", "hello\n")
        .run("cat /proc/$$/environ > \"$OUT/cleared.env\"\n"
             "sleep 1000 & child=$!\n"
             "while [ \"$(cat /proc/$child/comm)\" != sleep ]; do :; done\n"
             "cat /proc/$child/environ > \"$OUT/child.env.tmp\"\n"
             "mv \"$OUT/child.env.tmp\" \"$OUT/child.env\"\n"
             "wait\n");
    RunResult r = run_until_files(sandbox, {"child.env"}, {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();

    EXPECT_EQ(env_of(sandbox, "cleared"), (Env{{"PATH", std::string(kDefaultPath)},
                                               {"HOME", "/nonexistent"},
                                               {"USER", "nobody"},
                                               {"LOGNAME", "nobody"},
                                               {"TEND_SERVICE", "cleared"},
                                               {"GREETING", "hello"}}));
    const std::string child_env = read_file(sandbox.out("child.env"));
    ASSERT_FALSE(child_env.empty());
    EXPECT_FALSE(contains(child_env, "SECRET")) << child_env;
    EXPECT_FALSE(contains(child_env, "hunter2")) << child_env;
    EXPECT_EQ(parse_environ(child_env).at("TEND_SERVICE"), "cleared");
}

TEST(Environment, NumericUserWithoutPasswdEntryGetsHomeSlashAndNoUserOrLogname) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("numeric").user("12345:12345").run(kReportEnvRun);
    RunResult r = run_until_files(sandbox, {"numeric.env"}, {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(env_of(sandbox, "numeric"), (Env{{"PATH", std::string(kDefaultPath)},
                                               {"HOME", "/"},
                                               {"TEND_SERVICE", "numeric"}}));
}

TEST(Environment, DefaultPathOptionAndItsEnvironmentTwinSetTheClearedPath) {
    TEND_REQUIRE_NAMESPACES();
    for (bool via_env : {false, true}) {
        SCOPED_TRACE(via_env ? "TEND_DEFAULT_PATH" : "--default-path");
        Sandbox sandbox;
        sandbox.service("svc").run(kReportEnvRun);
        TendOptions options{.env = container_env()};
        if (via_env)
            options.env["TEND_DEFAULT_PATH"] = "/opt/custom/bin:/usr/bin:/bin";
        else
            options.args = {"--default-path=/opt/custom/bin:/usr/bin:/bin"};
        RunResult r = run_until_files(sandbox, {"svc.env"}, options);
        ASSERT_FALSE(r.timed_out) << r.diagnostics();
        const Env env = env_of(sandbox, "svc");
        ASSERT_TRUE(env.contains("PATH")) << r.diagnostics();
        EXPECT_EQ(env.at("PATH"), "/opt/custom/bin:/usr/bin:/bin");
        EXPECT_FALSE(env.contains("SECRET"));
    }
}

TEST(Environment, KeepEnvStartsFromTheContainerEnvironmentAndEnvdirWins) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("kept")
        .flag("keep-env")
        .env("OVERRIDE", "from-envdir\n")
        .env("EMPTY_ME", "")  // an empty file unsets what keep-env brought in
        .run(kReportEnvRun);
    RunResult r = run_until_files(sandbox, {"kept.env"}, {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    const Env env = env_of(sandbox, "kept");
    ASSERT_FALSE(env.empty()) << r.diagnostics();
    EXPECT_EQ(env.at("SECRET"), "hunter2");
    EXPECT_EQ(env.at("CONTAINER_VAR"), "from-container");
    EXPECT_EQ(env.at("PATH"), kContainerPath) << "keep-env brought a PATH: it must be kept";
    EXPECT_EQ(env.at("OVERRIDE"), "from-envdir");
    EXPECT_FALSE(env.contains("EMPTY_ME"));
    EXPECT_EQ(env.at("TEND_SERVICE"), "kept");
}

TEST(Environment, ImportEnvStartsFromTheListedContainerVariablesOnly) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("with-path")
        .file("import-env", "IMPORT_ME\nPATH\nNOT_IN_CONTAINER\n")
        .run(kReportEnvRun);
    sandbox.service("without-path").file("import-env", "IMPORT_ME\n").run(kReportEnvRun);
    RunResult r = run_until_files(sandbox, {"with-path.env", "without-path.env"},
                                     {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();

    const Env with_path = env_of(sandbox, "with-path");
    EXPECT_EQ(with_path.at("IMPORT_ME"), "imported") << r.diagnostics();
    EXPECT_EQ(with_path.at("PATH"), kContainerPath);
    EXPECT_EQ(with_path.at("TEND_SERVICE"), "with-path");
    for (const char* absent : {"SECRET", "CONTAINER_VAR", "NOT_IN_CONTAINER", "OVERRIDE"})
        EXPECT_FALSE(with_path.contains(absent)) << absent;

    const Env without_path = env_of(sandbox, "without-path");
    EXPECT_EQ(without_path.at("IMPORT_ME"), "imported");
    EXPECT_EQ(without_path.at("PATH"), kDefaultPath)
        << "import-env set no PATH: the default path applies";
    EXPECT_FALSE(without_path.contains("SECRET"));
}

TEST(Environment, KeepEnvWinsOverImportEnvWithAWarningNamingTheService) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("both-files")
        .flag("keep-env")
        .file("import-env", "IMPORT_ME\n")
        .run(kReportEnvRun);
    RunResult r = run_until_files(sandbox, {"both-files.env"}, {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    const Env env = env_of(sandbox, "both-files");
    EXPECT_EQ(env.at("SECRET"), "hunter2") << r.diagnostics();
    EXPECT_EQ(env.at("CONTAINER_VAR"), "from-container");
    bool warned = false;
    for (const auto& line : lines_containing(r.err, "both-files"))
        warned = warned || contains(line, "warn");
    EXPECT_TRUE(warned) << r.diagnostics();
}

TEST(Environment, EnvdirFirstLineTrailingBlanksNulAndEmptyFiles) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("envdir")
        .flag("keep-env")
        .env("TRAILING", "value \t  \nsecond line\n")
        .env("LEADING", "  spaced")
        .env("NULS", std::string_view("a\0b\0c\n", 6))
        .env("ONLY_NEWLINE", "\n")  // not empty: set to ""
        .env("EMPTY_ME", "")        // empty: unset
        .env("NO_NEWLINE", "plain")
        .run(kReportEnvRun);
    RunResult r = run_until_files(sandbox, {"envdir.env"}, {.env = container_env()});
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    const Env env = env_of(sandbox, "envdir");
    ASSERT_TRUE(env.contains("TEND_SERVICE")) << r.diagnostics();
    EXPECT_EQ(env.at("TRAILING"), "value");
    EXPECT_EQ(env.at("LEADING"), "  spaced");
    EXPECT_EQ(env.at("NULS"), "a\nb\nc");
    ASSERT_TRUE(env.contains("ONLY_NEWLINE"));
    EXPECT_EQ(env.at("ONLY_NEWLINE"), "");
    EXPECT_FALSE(env.contains("EMPTY_ME"));
    EXPECT_EQ(env.at("NO_NEWLINE"), "plain");
}

TEST(Environment, EnvdirNameWithEqualsFailsThatServiceNamingTheFile) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    auto bad = sandbox.service("bad");
    bad.env("BAD=NAME", "x\n").run("echo ran > \"$OUT/bad\"\nexec sleep 1000\n");
    sandbox.service("good").run("echo ran > \"$OUT/good\"\nexec sleep 1000\n");

    TendProcess tend(sandbox, {.env = container_env()});
    EXPECT_TRUE(wait_for_file(sandbox.out("good"))) << tend.current_err();
    const std::string path = (bad.path() / "env" / "BAD=NAME").string();
    EXPECT_TRUE(tend.wait_for_err(path, 5s)) << "the error must name " << path << "\n"
                                             << tend.current_err();
    EXPECT_TRUE(tend.running());
    tend.signal(SIGTERM);
    RunResult r = tend.wait();
    ASSERT_FALSE(r.timed_out) << r.diagnostics();
    EXPECT_EQ(r.exit_code, 0) << r.diagnostics();
    EXPECT_FALSE(file_exists(sandbox.out("bad"))) << "a rejected env/ must keep the service down";
    EXPECT_TRUE(logs_path_with_reason(r.err, path)) << r.diagnostics();
}

// Tend borrows its environ's strings instead of copying them and
// sorts them once. With a Kubernetes pod's hundreds of variables the CMD
// still gets exactly the container environment, sorted by name, and a
// keep-env service all of it plus TEND_SERVICE.
TEST(Environment, CmdAndKeepEnvServiceGetAKubernetesSizedEnvironmentWhole) {
    TEND_REQUIRE_NAMESPACES();
    Sandbox sandbox;
    sandbox.service("kept").flag("keep-env").run(kReportEnvRun);
    TendOptions options{.env = container_env()};
    for (int i = 300; i >= 1; --i)
        options.env[fmt::format("MY_SERVICE_{:03}_PORT_8080_TCP_ADDR", i)] = fmt::format("10.96.{}.{}", i / 250, i % 250);
    options.command = sandbox.sh(
        "cat /proc/$$/environ > \"$OUT/cmd.env.tmp\"\n"
        "mv \"$OUT/cmd.env.tmp\" \"$OUT/cmd.env\"\n"
        "exec sleep 1000\n");
    const Env container = options.env;
    RunResult r = run_until_files(sandbox, {"cmd.env", "kept.env"}, options);
    ASSERT_FALSE(r.timed_out) << r.diagnostics();

    const std::string cmd_text = read_file(sandbox.out("cmd.env"));
    std::vector<std::string> names;
    for (std::size_t start = 0; start < cmd_text.size();) {
        std::size_t end = cmd_text.find('\0', start);
        if (end == std::string::npos) end = cmd_text.size();
        const std::string entry = cmd_text.substr(start, end - start);
        names.push_back(entry.substr(0, entry.find('=')));
        start = end + 1;
    }
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << "the CMD's environment is sorted by name";
    Env cmd = parse_environ(cmd_text);
    ASSERT_TRUE(cmd.contains("TEND_RUNTIME_DIR")) << r.diagnostics();  // the harness's own
    cmd.erase("TEND_RUNTIME_DIR");
    EXPECT_EQ(cmd, container);
    EXPECT_EQ(names.size(), container.size() + 1);

    Env kept = env_of(sandbox, "kept");
    EXPECT_EQ(kept.at("TEND_SERVICE"), "kept");
    kept.erase("TEND_SERVICE");
    kept.erase("TEND_RUNTIME_DIR");
    EXPECT_EQ(kept, container);
}

}  // namespace
}  // namespace tend::itest
