// s6-overlay compatibility: the pure parts (shebangs, execline words, the
// container environment's file format, user specs, applet arguments, S6_*
// mapping, tree detection).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scratch.hpp"
#include "tend/applets/applets.hpp"
#include "tend/s6/container_env.hpp"
#include "tend/s6/execline.hpp"
#include "tend/applets/halt.hpp"
#include "tend/s6/halt.hpp"
#include "tend/s6/keep_env.hpp"
#include "tend/s6/tree.hpp"
#include "tend/s6/script_plan.hpp"
#include "tend/s6/shebang.hpp"
#include "tend/applets/uidgid.hpp"
#include "tend/s6/variables.hpp"

namespace {

using namespace tend::s6;
using namespace tend::applets;
using tend::config::EnvironmentVariables;
using tend::s6::map_s6_variables;
using tend::testing::ScratchDir;
using tend::testing::write_file;
using Args = std::vector<std::string>;

// ---- shebangs -------------------------------------------------------------

TEST(Shebang, InterpreterAndOneArgumentAsTheKernelSplitsThem) {
    auto s = parse_shebang("#!/usr/bin/with-contenv /bin/bash -e\necho hi\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->interpreter, "/usr/bin/with-contenv");
    EXPECT_EQ(s->argument, "/bin/bash -e");
    EXPECT_EQ(s->words, (std::vector<std::string>{"/bin/bash", "-e"}));
}

TEST(Shebang, BlanksAfterTheBangAndCarriageReturnsAreDropped) {
    auto s = parse_shebang("#! /command/with-contenv  sh \r\n");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->interpreter, "/command/with-contenv");
    EXPECT_EQ(s->words, std::vector<std::string>{"sh"});
}

TEST(Shebang, NoArgument) {
    auto s = parse_shebang("#!/bin/sh");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->interpreter, "/bin/sh");
    EXPECT_FALSE(s->argument);
    EXPECT_TRUE(s->words.empty());
}

TEST(Shebang, NotAShebang) {
    EXPECT_FALSE(parse_shebang("echo hi\n"));
    EXPECT_FALSE(parse_shebang("#!\n"));
    EXPECT_FALSE(parse_shebang("#!   \n"));
    EXPECT_FALSE(parse_shebang("\x7f" "ELF"));
    EXPECT_FALSE(parse_shebang(""));
}

TEST(Shebang, ClassifiedByBasename) {
    EXPECT_EQ(classify_interpreter("/usr/bin/with-contenv"), InterpreterKind::WithContenv);
    EXPECT_EQ(classify_interpreter("/command/with-contenv"), InterpreterKind::WithContenv);
    EXPECT_EQ(classify_interpreter("with-contenv"), InterpreterKind::WithContenv);
    EXPECT_EQ(classify_interpreter("/usr/bin/execlineb"), InterpreterKind::Execlineb);
    EXPECT_EQ(classify_interpreter("/bin/sh"), InterpreterKind::Other);
    EXPECT_EQ(classify_interpreter("/usr/bin/with-contenv-not"), InterpreterKind::Other);
}

TEST(Execline, SeedFinishIsOneCommand) {
    auto parsed = parse_execline("#!/usr/bin/execlineb -S0\ns6-svscanctl -t /var/run/s6/services\n");
    EXPECT_FALSE(parsed.error);
    EXPECT_FALSE(parsed.has_block);
    EXPECT_EQ(parsed.argv, (std::vector<std::string>{"s6-svscanctl", "-t", "/var/run/s6/services"}));
}

TEST(Execline, AfterFirstLine) {
    EXPECT_EQ(after_first_line("#!/x\nbody\n"), "body\n");
    EXPECT_EQ(after_first_line("#!/x"), "");
}

// ---- container environment --------------------------------------------------

TEST(ContainerEnv, EmptyValueIsANewlineBecauseAnEmptyFileUnsets) {
    EXPECT_EQ(encode_value(""), "\n");
    EXPECT_EQ(decode_value("\n"), std::optional<std::string>(""));
    EXPECT_EQ(decode_value(""), std::nullopt);
}

TEST(ContainerEnv, OneTrailingNewlineIsChompedAndNulIsNewline) {
    EXPECT_EQ(encode_value("bar"), "bar");
    EXPECT_EQ(decode_value("bar"), "bar");
    EXPECT_EQ(decode_value("bar\n"), "bar");  // `echo bar > NAME` in a cont-init script
    EXPECT_EQ(decode_value("a\nb\n\n"), "a\nb\n");
    EXPECT_EQ(decode_value(std::string_view("a\0b", 3)), "a\nb");
}

TEST(ContainerEnv, StorableNames) {
    EXPECT_TRUE(is_storable_name("PATH"));
    EXPECT_FALSE(is_storable_name(""));
    EXPECT_FALSE(is_storable_name(".hidden"));
    EXPECT_FALSE(is_storable_name("a/b"));
    EXPECT_FALSE(is_storable_name("a=b"));
}

TEST(ContainerEnv, WriteThenReadGivesTheSameEnvironment) {
    ScratchDir dir;
    auto env = tend::process::Environment::from_strings({"A=1", "EMPTY=", "SPACES=a b ", "MULTI=x\ny"});
    auto target = dir.path() / "s6" / "container_environment";
    ASSERT_TRUE(write_container_environment(target, env));
    EXPECT_EQ(std::filesystem::status(target).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_all);
    auto back = read_container_environment(target);
    ASSERT_TRUE(back) << back.error();
    EXPECT_EQ(back->to_strings(), env.to_strings());
}

TEST(ContainerEnv, StaleFilesOfTheLastLifeAreRemoved) {
    ScratchDir dir;
    auto target = dir.path() / "container_environment";
    std::filesystem::create_directories(target);
    write_file(target / "OLD", "stale");
    ASSERT_TRUE(write_container_environment(target, tend::process::Environment::from_strings({"NEW=1"})));
    auto back = read_container_environment(target);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->to_strings(), std::vector<std::string>{"NEW=1"});
}

TEST(ContainerEnv, AMissingDirIsAnErrorNamingIt) {
    ScratchDir dir;
    auto back = read_container_environment(dir.path() / "nope");
    ASSERT_FALSE(back);
    EXPECT_NE(back.error().find("nope"), std::string::npos);
}

TEST(KeepEnv, NonZeroNumberOnly) {
    EXPECT_FALSE(keep_env_requested(nullptr));
    EXPECT_FALSE(keep_env_requested(""));
    EXPECT_FALSE(keep_env_requested("0"));
    EXPECT_FALSE(keep_env_requested("00"));
    EXPECT_FALSE(keep_env_requested("yes"));
    EXPECT_TRUE(keep_env_requested("1"));
    EXPECT_TRUE(keep_env_requested("010"));
}

// ---- applets ------------------------------------------------------------------

TEST(Applets, ChosenByBasenameOfArgv0) {
    EXPECT_EQ(applet_for("with-contenv"), Applet::WithContenv);
    EXPECT_EQ(applet_for("/usr/bin/with-contenv"), Applet::WithContenv);
    EXPECT_EQ(applet_for("/command/s6-setuidgid"), Applet::SetUidGid);
    EXPECT_EQ(applet_for("s6-envuidgid"), Applet::EnvUidGid);
    EXPECT_EQ(applet_for("s6-applyuidgid"), Applet::ApplyUidGid);
    EXPECT_EQ(applet_for("printcontenv"), Applet::PrintContenv);
    EXPECT_EQ(applet_for("/run/s6/basedir/bin/halt"), Applet::Halt);
    EXPECT_EQ(applet_for("s6-svscanctl"), Applet::SvscanCtl);
    EXPECT_EQ(applet_for("s6-svc"), Applet::Svc);
    EXPECT_EQ(applet_for("s6-svwait"), Applet::Svwait);
    EXPECT_EQ(applet_for("s6-svok"), Applet::Svok);
    EXPECT_EQ(applet_for("/command/s6-log"), Applet::S6Log);
}

TEST(Applets, AnyOtherNameIsTendItself) {
    for (const char* name : {"tend", "/sbin/tend", "/init", "init", "/run/podman-init", "docker-init", ""})
        EXPECT_FALSE(applet_for(name)) << name;
}

TEST(Applets, InstallListsEveryApplet) {
    auto names = applet_names();
    EXPECT_EQ(names.size(), 18u);
    for (auto name : names) EXPECT_TRUE(applet_for(name)) << name;
}

class SetUidGidSpec : public ::testing::Test {
protected:
    void SetUp() override {
        db_.passwd = dir_.path() / "passwd";
        db_.group = dir_.path() / "group";
        write_file(db_.passwd, "root:x:0:0:root:/root:/bin/sh\nzendphp:x:1001:1001::/home/zendphp:/bin/sh\n");
        write_file(db_.group, "root:x:0:\nzendphp:x:1001:\nwww:x:33:zendphp\n");
    }
    ScratchDir dir_;
    tend::process::UserDatabase db_;
};

TEST_F(SetUidGidSpec, SeedNameColonGroupName) {
    auto c = resolve_setuidgid("zendphp:zendphp", db_);
    ASSERT_TRUE(c) << c.error();
    EXPECT_EQ(c->uid, 1001u);
    EXPECT_EQ(c->gid, 1001u);
    EXPECT_EQ(c->groups, std::vector<gid_t>{33});  // tend's `user` rule: its memberships
    EXPECT_EQ(c->home, "/home/zendphp");
}

TEST_F(SetUidGidSpec, NameAlone) {
    auto c = resolve_setuidgid("zendphp", db_);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->gid, 1001u);
    EXPECT_EQ(c->groups, std::vector<gid_t>{33});
}

TEST_F(SetUidGidSpec, NumbersClearSupplementaryGroups) {
    auto c = resolve_setuidgid("1001:1001", db_);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->uid, 1001u);
    EXPECT_EQ(c->gid, 1001u);
    EXPECT_TRUE(c->groups.empty());
    auto bare = resolve_setuidgid("1001", db_);
    ASSERT_TRUE(bare);
    EXPECT_TRUE(bare->groups.empty());
}

TEST_F(SetUidGidSpec, MixedNamesAndNumbers) {
    auto c = resolve_setuidgid("zendphp:33", db_);
    ASSERT_TRUE(c);
    EXPECT_EQ(c->gid, 33u);
    auto d = resolve_setuidgid("5000:www", db_);
    ASSERT_TRUE(d);
    EXPECT_EQ(d->uid, 5000u);
    EXPECT_EQ(d->gid, 33u);
    EXPECT_TRUE(d->groups.empty());
}

TEST_F(SetUidGidSpec, UnknownNamesAreNamed) {
    auto c = resolve_setuidgid("nobody-here", db_);
    ASSERT_FALSE(c);
    EXPECT_NE(c.error().find("nobody-here"), std::string::npos);
    auto g = resolve_setuidgid("zendphp:nogroup-here", db_);
    ASSERT_FALSE(g);
    EXPECT_NE(g.error().find("nogroup-here"), std::string::npos);
}

TEST_F(SetUidGidSpec, EnvUidGidVariables) {
    auto c = resolve_setuidgid("zendphp", db_);
    ASSERT_TRUE(c);
    auto vars = envuidgid_variables(*c);
    EXPECT_EQ(vars, (std::vector<std::pair<std::string, std::string>>{
                        {"UID", "1001"}, {"GID", "1001"}, {"GIDLIST", "33"}}));
}

TEST(GidList, Parsed) {
    EXPECT_EQ(parse_gid_list("").value(), std::vector<gid_t>{});
    EXPECT_EQ(parse_gid_list("1,2,30").value(), (std::vector<gid_t>{1, 2, 30}));
    EXPECT_FALSE(parse_gid_list("1,,2"));
    EXPECT_FALSE(parse_gid_list("a"));
    EXPECT_FALSE(parse_gid_list("4294967295"));
}

TEST(ApplyUidGid, OptionsAndProgram) {
    auto no_env = [](const char*) -> const char* { return nullptr; };
    auto p = parse_applyuidgid({"-u", "10", "-g", "20", "-G", "1,2", "-z", "prog", "-u"}, no_env);
    ASSERT_TRUE(p) << p.error();
    EXPECT_EQ(p->uid, 10u);
    EXPECT_EQ(p->gid, 20u);
    EXPECT_EQ(p->groups, (std::vector<gid_t>{1, 2}));
    EXPECT_TRUE(p->unexport);
    EXPECT_EQ(p->program_index, 7u);
}

TEST(ApplyUidGid, FromTheEnvironmentWithU) {
    auto env = [](const char* name) -> const char* {
        std::string_view n(name);
        if (n == "UID") return "7";
        if (n == "GID") return "8";
        if (n == "GIDLIST") return "";
        return nullptr;
    };
    auto p = parse_applyuidgid({"-U", "--", "prog"}, env);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->uid, 7u);
    EXPECT_EQ(p->gid, 8u);
    EXPECT_EQ(p->groups, std::vector<gid_t>{});
    EXPECT_EQ(p->program_index, 2u);
}

TEST(ApplyUidGid, Mistakes) {
    auto no_env = [](const char*) -> const char* { return nullptr; };
    EXPECT_FALSE(parse_applyuidgid({"-u"}, no_env));
    EXPECT_FALSE(parse_applyuidgid({"-u", "x", "prog"}, no_env));
    EXPECT_FALSE(parse_applyuidgid({"-q", "prog"}, no_env));
    EXPECT_FALSE(parse_applyuidgid({"-u", "1"}, no_env));  // no program
}

// ---- halting --------------------------------------------------------------------

TEST(Halt, Arguments) {
    EXPECT_EQ(parse_halt_args({}).value(), std::optional<int>{});
    EXPECT_EQ(parse_halt_args({"0"}).value(), std::optional<int>(0));
    EXPECT_EQ(parse_halt_args({"255"}).value(), std::optional<int>(255));
    EXPECT_FALSE(parse_halt_args({"256"}));
    EXPECT_FALSE(parse_halt_args({"-1"}));
    EXPECT_FALSE(parse_halt_args({"x"}));
    EXPECT_FALSE(parse_halt_args({"1", "2"}));
}

// s6-svscanctl with no command letter sends nothing: `--` ends the options,
// it is not a -t.
TEST(Halt, SvscanctlHaltsOnlyWithT) {
    EXPECT_EQ(parse_svscanctl_args({"-t", "/run/s6/services"}), true);
    EXPECT_EQ(parse_svscanctl_args({"-t", "--", "/run/s6/services"}), true);
    EXPECT_EQ(parse_svscanctl_args({"--", "/run/s6/services"}), false);
    EXPECT_EQ(parse_svscanctl_args({"/run/s6/services"}), false);
    EXPECT_EQ(parse_svscanctl_args({"--", "-t"}), false) << "after --, -t is the directory";
    EXPECT_FALSE(parse_svscanctl_args({"-t"}));
    EXPECT_FALSE(parse_svscanctl_args({"--"}));
    auto refused = parse_svscanctl_args({"-tz", "/run/s6/services"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("not -z"), std::string::npos) << refused.error();
}

TEST(Halt, ExitCodeFiles) {
    EXPECT_EQ(parse_exit_code("3\n"), 3);
    EXPECT_EQ(parse_exit_code("0"), 0);
    EXPECT_EQ(parse_exit_code("255 \n"), 255);
    EXPECT_FALSE(parse_exit_code(""));
    EXPECT_FALSE(parse_exit_code("256"));
    EXPECT_FALSE(parse_exit_code("abc"));
}

TEST(Halt, SignalCarriesTheCodeOnlyWhenQueued) {
    EXPECT_EQ(halt_signal(), SIGRTMIN + 3);
    signalfd_siginfo info{};
    info.ssi_code = SI_QUEUE;
    info.ssi_int = 7;
    EXPECT_EQ(halt_code(info), 7);
    info.ssi_int = kNoHaltCode;
    EXPECT_FALSE(halt_code(info));
    info.ssi_code = SI_USER;  // kill -s RTMIN+3
    info.ssi_int = 7;
    EXPECT_FALSE(halt_code(info));
}

// ---- S6_* variables -------------------------------------------------------------

TEST(S6Env, BehaviourDefaultsToContinueAndTwoStops) {
    EXPECT_EQ(map_s6_variables({}).tend_variables.at("TEND_ON_INIT_FAILURE"), "continue");
    EXPECT_TRUE(map_s6_variables({}).start_cmd_after_ready_timeout);
    EXPECT_EQ(map_s6_variables({{"S6_BEHAVIOUR_IF_STAGE2_FAILS", "1"}}).tend_variables.at("TEND_ON_INIT_FAILURE"),
              "continue");
    auto two = map_s6_variables({{"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"}});
    EXPECT_EQ(two.tend_variables.at("TEND_ON_INIT_FAILURE"), "stop");
    EXPECT_FALSE(two.start_cmd_after_ready_timeout);
}

TEST(S6Env, Durations) {
    auto m = map_s6_variables({{"S6_SERVICES_GRACETIME", "5000"},
                               {"S6_KILL_GRACETIME", "100"},
                               {"S6_KILL_FINISH_MAXTIME", "0"},
                               {"S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "2500"}});
    EXPECT_EQ(m.tend_variables.at("TEND_SERVICES_GRACE"), "5000");
    EXPECT_EQ(m.tend_variables.at("TEND_KILL_GRACE"), "100");
    EXPECT_EQ(m.tend_variables.at("TEND_FINISH_TIMEOUT"), "0");  // no limit in both
    EXPECT_EQ(m.tend_variables.at("TEND_READY_TIMEOUT"), "2500");
}

TEST(S6Env, WaitMaxtimeZeroIsForever) {
    auto m = map_s6_variables({{"S6_CMD_WAIT_FOR_SERVICES_MAXTIME", "0"}});
    EXPECT_FALSE(m.tend_variables.contains("TEND_READY_TIMEOUT"));
}

TEST(S6Env, Flags) {
    auto m = map_s6_variables({{"S6_CMD_WAIT_FOR_SERVICES", "1"},
                               {"S6_CMD_RECEIVE_SIGNALS", "1"},
                               {"S6_KEEP_ENV", "1"},
                               {"S6_SYNC_DISKS", "1"}});
    EXPECT_EQ(m.tend_variables.at("TEND_WAIT_READY"), "1");
    EXPECT_EQ(m.tend_variables.at("TEND_FORWARD_SIGNALS"), "1");
    EXPECT_TRUE(m.keep_env);
    EXPECT_TRUE(m.sync_disks);
    auto off = map_s6_variables({{"S6_KEEP_ENV", "0"}, {"S6_SYNC_DISKS", "0"}, {"S6_CMD_WAIT_FOR_SERVICES", "0"}});
    EXPECT_FALSE(off.keep_env);
    EXPECT_FALSE(off.sync_disks);
    EXPECT_EQ(off.tend_variables.at("TEND_WAIT_READY"), "0");
}

TEST(S6Env, VerbosityIsCappedAtTendsMost) {
    EXPECT_EQ(map_s6_variables({{"S6_VERBOSITY", "1"}}).tend_variables.at("TEND_VERBOSITY"), "1");
    EXPECT_EQ(map_s6_variables({{"S6_VERBOSITY", "5"}}).tend_variables.at("TEND_VERBOSITY"), "4");
}

TEST(S6Env, CmdArg0IsSplitOnBlanks) {
    auto m = map_s6_variables({{"S6_CMD_ARG0", " /usr/bin/env  -i\tFOO=1 "}});
    EXPECT_EQ(m.cmd_arg0, (std::vector<std::string>{"/usr/bin/env", "-i", "FOO=1"}));
}

TEST(S6Env, TendTwinWins) {
    auto m = map_s6_variables({{"S6_KILL_GRACETIME", "100"}, {"TEND_KILL_GRACE", "2s"}});
    EXPECT_FALSE(m.tend_variables.contains("TEND_KILL_GRACE"));
    bool noted = false;
    for (const auto& note : m.debug_notes) noted = noted || note.find("TEND_KILL_GRACE is set") != std::string::npos;
    EXPECT_TRUE(noted);
}

TEST(S6Env, EveryMappingIsNotedForDebug) {
    auto m = map_s6_variables({{"S6_KILL_GRACETIME", "100"}});
    bool noted = false;
    for (const auto& note : m.debug_notes) noted = noted || note == "S6_KILL_GRACETIME=100 -> TEND_KILL_GRACE=100";
    EXPECT_TRUE(noted);
}

TEST(S6Env, BadValuesAreWarnedAndIgnored) {
    auto m = map_s6_variables({{"S6_KILL_GRACETIME", "3s"}, {"S6_VERBOSITY", "loud"}});
    EXPECT_FALSE(m.tend_variables.contains("TEND_KILL_GRACE"));
    EXPECT_FALSE(m.tend_variables.contains("TEND_VERBOSITY"));
    EXPECT_EQ(m.warnings.size(), 2u);
}

TEST(S6Env, UnsupportedNamesInOneWarning) {
    auto m = map_s6_variables({{"S6_LOGGING", "1"}, {"S6_FIX_ATTRS_HIDE", "1"}, {"S6_KEEP_ENV", "1"}, {"PATH", "/bin"}});
    ASSERT_EQ(m.warnings.size(), 1u);
    EXPECT_EQ(m.warnings[0], "s6-overlay settings tend does not support, ignored: S6_FIX_ATTRS_HIDE, S6_LOGGING");
}

// rc.init runs `$hook` unquoted: the words are the program and its arguments.
TEST(S6Env, Stage2HookIsSplitOnBlanks) {
    auto m = map_s6_variables({{"S6_STAGE2_HOOK", " /docker-mods  --quiet\tx "}});
    EXPECT_EQ(m.stage2_hook, (std::vector<std::string>{"/docker-mods", "--quiet", "x"}));
    EXPECT_TRUE(m.warnings.empty());
}

// ---- tree detection ---------------------------------------------------------------

class S6Detection : public ::testing::Test {
protected:
    void SetUp() override {
        options_.services_dir = dir_.path() / "services.d";
        options_.cont_init_dir = dir_.path() / "cont-init.d";
        options_.cont_finish_dir = dir_.path() / "cont-finish.d";
        std::filesystem::create_directories(options_.services_dir / "app");
        std::filesystem::create_directories(options_.cont_init_dir);
        std::filesystem::create_directories(dir_.path() / "root");
    }
    S6TreeDetection detect(const EnvironmentVariables& vars = {}) {
        return detect_s6_tree(options_, vars, dir_.path() / "root");
    }
    ScratchDir dir_;
    tend::config::Options options_;
};

TEST_F(S6Detection, APlainTendTreeIsNotS6) {
    write_file(options_.services_dir / "app" / "run", "#!/bin/sh\nexec sleep 1\n", 0755);
    write_file(options_.cont_init_dir / "00", "#!/bin/sh\n", 0755);
    EXPECT_FALSE(detect().detected);
}

TEST_F(S6Detection, AnS6Variable) {
    auto d = detect({{"S6_KEEP_ENV", "1"}});
    EXPECT_TRUE(d.detected);
    EXPECT_EQ(d.reason, "S6_KEEP_ENV is set");
    EXPECT_FALSE(detect({{"TEND_VERBOSITY", "3"}}).detected);
}

TEST_F(S6Detection, WithContenvShebangInRunOrContInit) {
    write_file(options_.services_dir / "app" / "run", "#!/usr/bin/with-contenv sh\nexec sleep 1\n", 0755);
    EXPECT_TRUE(detect().detected);
    std::filesystem::remove(options_.services_dir / "app" / "run");
    write_file(options_.cont_init_dir / "00", "#!/usr/bin/with-contenv /bin/bash\n", 0755);
    EXPECT_TRUE(detect().detected);
}

TEST_F(S6Detection, OverlayDirsAndUnsupportedParts) {
    std::filesystem::create_directories(dir_.path() / "root/etc/s6-overlay");
    EXPECT_TRUE(detect().detected);
    std::filesystem::create_directories(dir_.path() / "root/etc/fix-attrs.d");
    write_file(dir_.path() / "root/etc/fix-attrs.d/01", "/data true zendphp 0644 0755\n");
    std::filesystem::create_directories(options_.services_dir / "app" / "log");  // a logger: run, no warning
    auto d = detect();
    ASSERT_EQ(d.warnings.size(), 1u);
    EXPECT_NE(d.warnings[0].find("fix-attrs.d"), std::string::npos);
}

// ---- S6_* as a layer of the one option parse ------------------------------------

// The dirs of the fixture on the command line, as an image's ENTRYPOINT would give them.
Args fixture_dirs(const tend::config::Options& options) {
    return {"--services-dir", options.services_dir.string(), "--cont-init-dir", options.cont_init_dir.string(),
            "--cont-finish-dir", options.cont_finish_dir.string()};
}

// s6-overlay's default S6_BEHAVIOUR_IF_STAGE2_FAILS (0: go on) holds for a
// tree found only by a shebang in the dirs the command line names: the tree
// is detected inside the parse, before the S6_* values are applied.
TEST_F(S6Detection, AShebangOnlyTreeGetsS6OverlaysContinueInTheOneParse) {
    write_file(options_.cont_init_dir / "00", "#!/usr/bin/with-contenv sh\nexit 1\n", 0755);
    S6OptionLayer layer(EnvironmentVariables{}, dir_.path() / "root");
    auto parsed = tend::config::parse_options(fixture_dirs(options_), {}, &layer);
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_TRUE(parsed->options.s6_tree);
    EXPECT_EQ(parsed->options.on_init_failure, tend::config::InitFailure::Continue);
    EXPECT_TRUE(parsed->options.start_cmd_after_ready_timeout);
    ASSERT_FALSE(layer.messages().debug.empty());
    EXPECT_EQ(layer.messages().debug.front(),
              "s6-overlay tree detected: " + (options_.cont_init_dir / "00").string() + " has an s6-overlay shebang");

    // Its dir given by TEND_CONT_INIT_DIR instead: found the same way; TEND_* still wins.
    Args services_only{"--services-dir", options_.services_dir.string()};
    EnvironmentVariables tend_variables{{"TEND_CONT_INIT_DIR", options_.cont_init_dir.string()},
                                        {"TEND_ON_INIT_FAILURE", "stop"}};
    S6OptionLayer twin_layer(tend_variables, dir_.path() / "root");
    auto twin = tend::config::parse_options(services_only, tend_variables, &twin_layer);
    ASSERT_TRUE(twin) << twin.error().message;
    EXPECT_TRUE(twin->options.s6_tree);
    EXPECT_EQ(twin->options.on_init_failure, tend::config::InitFailure::Stop);

    // A plain tree: tend's own default, no s6 settings.
    write_file(options_.cont_init_dir / "00", "#!/bin/sh\nexit 1\n", 0755);
    S6OptionLayer plain_layer(EnvironmentVariables{}, dir_.path() / "root");
    auto plain = tend::config::parse_options(fixture_dirs(options_), {}, &plain_layer);
    ASSERT_TRUE(plain);
    EXPECT_FALSE(plain->options.s6_tree);
    EXPECT_EQ(plain->options.on_init_failure, tend::config::InitFailure::Stop);
    EXPECT_TRUE(plain_layer.messages().debug.empty());
}

TEST_F(S6Detection, FlagsOverTendVariablesOverS6VariablesInTheOneParse) {
    EnvironmentVariables variables{{"S6_KILL_GRACETIME", "100"},
                                   {"S6_SERVICES_GRACETIME", "200"},
                                   {"S6_KILL_FINISH_MAXTIME", "300"},
                                   {"S6_BEHAVIOUR_IF_STAGE2_FAILS", "2"},
                                   {"S6_CMD_ARG0", "/bin/echo prefix"},
                                   {"S6_KEEP_ENV", "1"},
                                   {"TEND_SERVICES_GRACE", "2s"}};
    S6OptionLayer layer(variables, dir_.path() / "root");
    Args args = fixture_dirs(options_);
    for (const char* word : {"--finish-timeout", "4s", "--on-init-failure=continue", "cmd", "--its-own"})
        args.push_back(word);
    auto parsed = tend::config::parse_options(args, {{"TEND_SERVICES_GRACE", "2s"}}, &layer);
    ASSERT_TRUE(parsed) << parsed.error().message;
    const tend::config::Options& options = parsed->options;
    EXPECT_TRUE(options.s6_tree);
    EXPECT_EQ(options.kill_grace, std::chrono::milliseconds(100)) << "S6_* over the default";
    EXPECT_EQ(options.services_grace, std::chrono::seconds(2)) << "TEND_* over S6_*";
    EXPECT_EQ(options.finish_timeout, std::chrono::seconds(4)) << "the flag over S6_*";
    EXPECT_EQ(options.on_init_failure, tend::config::InitFailure::Continue) << "the flag over S6_* 2";
    EXPECT_FALSE(options.start_cmd_after_ready_timeout) << "S6_BEHAVIOUR_IF_STAGE2_FAILS=2, which no flag sets";
    EXPECT_TRUE(options.s6_keep_env);
    EXPECT_EQ(options.command, (Args{"/bin/echo", "prefix", "cmd", "--its-own"}));
    bool noted = false;
    for (const auto& note : layer.messages().debug)
        noted = noted || note == "S6_SERVICES_GRACETIME=200 ignored: TEND_SERVICES_GRACE is set";
    EXPECT_TRUE(noted);
}

// `tend check` refuses a CMD naming the word written, not S6_CMD_ARG0's.
TEST_F(S6Detection, CheckRefusesTheCmdWrittenBeforeS6CmdArg0IsPrepended) {
    S6OptionLayer layer(EnvironmentVariables{{"S6_CMD_ARG0", "/bin/echo"}}, dir_.path() / "root");
    Args words{"tend", "check", "--services-dir", options_.services_dir.string(), "php-fpm"};
    std::vector<char*> argv;
    for (auto& word : words) argv.push_back(word.data());
    argv.push_back(nullptr);
    auto parsed = tend::config::parse_command_line(static_cast<int>(words.size()), argv.data(), &layer);
    EXPECT_EQ(parsed.exit_code, 2);
    EXPECT_EQ(parsed.usage_error,
              std::optional<std::string>("check starts nothing and takes no CMD: 'php-fpm' (see tend check --help)"));
}

// ---- how a script starts, decided once ----------------------------------

// The plan one start gets from a decision.
tend::process::SpawnPlan planned(const ScriptStart& start, std::vector<std::string> envp,
                                 const std::vector<std::string>& args = {},
                                 const std::optional<std::vector<std::string>>& contenv = std::nullopt) {
    tend::process::SpawnPlan plan;
    plan.envp = std::move(envp);
    auto applied = apply_script_start(start, plan, args, contenv, "/usr/bin:/bin");
    EXPECT_TRUE(applied && *applied) << (applied ? "does nothing" : applied.error());
    return plan;
}

TEST(ScriptPlan, WithContenvExecsTheRestWithTheScriptAndTheContainerEnvironment) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    write_file(run, "#!/usr/bin/with-contenv /bin/sh -e\necho hi\n", 0755);
    auto start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_EQ(start.how, ScriptStart::How::Interpreter);
    EXPECT_TRUE(start.container_env) << (start.warnings.empty() ? "" : start.warnings[0]);
    auto plan = planned(start, {"PATH=/bin"}, {"0", "15"}, std::vector<std::string>{"PATH=/bin", "SECRET=1"});
    EXPECT_EQ(plan.executable, "/bin/sh");
    EXPECT_EQ(plan.argv, (std::vector<std::string>{"/bin/sh", "-e", run.string(), "0", "15"}));
    EXPECT_EQ(plan.envp, (std::vector<std::string>{"PATH=/bin", "SECRET=1"}));
}

TEST(ScriptPlan, WithContenvKeepsTheEnvironmentWithS6KeepEnv) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    write_file(run, "#!/command/with-contenv sh\n", 0755);
    auto plan = planned(decide_script_start(run, ScriptRole::Service, "/bin"), {"PATH=/usr/bin:/bin", "S6_KEEP_ENV=1"},
                        {}, std::vector<std::string>{"OTHER=1"});
    EXPECT_EQ(plan.envp, (std::vector<std::string>{"PATH=/usr/bin:/bin", "S6_KEEP_ENV=1"}));
    EXPECT_EQ(plan.argv, (std::vector<std::string>{"sh", run.string()}));
    EXPECT_TRUE(plan.executable == "/usr/bin/sh" || plan.executable == "/bin/sh") << plan.executable;
}

// A file another uid may change could say with-contenv after tend read it:
// the container environment comes only from files root (or tend) controls.
TEST(ScriptPlan, WithContenvFromAFileAnotherUidOwnsGetsNoContainerEnvironment) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    write_file(run, "#!/usr/bin/with-contenv sh\n", 0755);
    ASSERT_EQ(::chown(run.c_str(), 1000, 1000), 0);
    auto start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_FALSE(start.container_env);
    ASSERT_EQ(start.warnings.size(), 1u);
    EXPECT_NE(start.warnings[0].find("owned by uid 1000"), std::string::npos) << start.warnings[0];
    auto plan = planned(start, {"PATH=/bin"}, {}, std::vector<std::string>{"DB_PASSWORD=secret"});
    EXPECT_EQ(plan.envp, std::vector<std::string>{"PATH=/bin"});

    // Root's file in a directory others may write: the same.
    ASSERT_EQ(::chown(run.c_str(), 0, 0), 0);
    ASSERT_EQ(::chmod(dir.path().c_str(), 0777), 0);
    start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_FALSE(start.container_env);
    ASSERT_EQ(start.warnings.size(), 1u);
    EXPECT_NE(start.warnings[0].find("writable by group or others"), std::string::npos) << start.warnings[0];
    // Sticky, like /tmp: others cannot replace root's entries.
    ASSERT_EQ(::chmod(dir.path().c_str(), 01777), 0);
    EXPECT_TRUE(decide_script_start(run, ScriptRole::Service, "/bin").container_env);
}

TEST(ScriptPlan, AFifoIsRefusedWithoutWaitingForAWriter) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    ASSERT_EQ(::mkfifo(run.c_str(), 0755), 0);
    auto start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_EQ(start.how, ScriptStart::How::Refused);
    EXPECT_EQ(start.refusal, run.string() + ": not a regular file (a FIFO); refused");
}

TEST(ScriptPlan, DecidedOnceTheFileIsNotReadAgain) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    write_file(run, "#!/bin/sh\nexit 0\n", 0755);
    auto start = decide_script_start(run, ScriptRole::Service, "/bin");
    write_file(run, "#!/usr/bin/with-contenv sh\n", 0755);
    auto plan = planned(start, {"PATH=/bin"}, {}, std::vector<std::string>{"DB_PASSWORD=secret"});
    EXPECT_EQ(plan.executable, run.string());
    EXPECT_EQ(plan.envp, std::vector<std::string>{"PATH=/bin"});
}

TEST(ScriptPlan, ExeclineTendCanRunRunsAppletsAsTendEvenWithExeclinebInstalled) {
    ScratchDir dir;
    auto finish = dir.path() / "finish";
    // Whether or not this interpreter exists, the script is one command tend
    // builds exactly as execlineb would: `halt` must be tend's, not PATH's.
    write_file(finish, "#!/usr/bin/execlineb -S0\nhalt 7\n", 0755);
    auto start = decide_script_start(finish, ScriptRole::Service, "/usr/sbin:/usr/bin:/sbin:/bin");
    EXPECT_EQ(start.how, ScriptStart::How::Execline);
    auto plan = planned(start, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, {"1", "0"});
    EXPECT_EQ(plan.argv, (std::vector<std::string>{"halt", "7"}));
    EXPECT_EQ(plan.executable, own_executable());
    char self[4096] = {};
    ASSERT_GT(::readlink("/proc/self/exe", self, sizeof self - 1), 0);
    EXPECT_EQ(own_executable(), std::string(self));
}

TEST(ScriptPlan, ExeclineNeedingExeclinebIsRefusedNamingTheConstructWhenThereIsNone) {
    ScratchDir dir;
    auto finish = dir.path() / "finish";
    write_file(finish, "#!/nonexistent/execlineb -P\nforeground { echo hi } halt\n", 0755);
    auto start = decide_script_start(finish, ScriptRole::Service, dir.path().string());
    EXPECT_EQ(start.how, ScriptStart::How::Refused);
    EXPECT_NE(start.refusal.find("a { } block"), std::string::npos) << start.refusal;
    EXPECT_NE(start.refusal.find("/nonexistent/execlineb"), std::string::npos) << start.refusal;
}

TEST(ScriptPlan, OneshotOfCommentsDoesNothingAndSucceeds) {
    ScratchDir dir;
    auto up = dir.path() / "up";
    write_file(up, "# This file doesn't do anything, it just signals that services can start\n", 0644);
    auto start = decide_script_start(up, ScriptRole::Oneshot, "/bin");
    EXPECT_EQ(start.how, ScriptStart::How::Execline);
    tend::process::SpawnPlan plan;
    auto applied = apply_script_start(start, plan, {}, std::nullopt, "/bin");
    ASSERT_TRUE(applied);
    EXPECT_FALSE(*applied);
}

TEST(ScriptPlan, OtherScriptsAreLeftAloneAndNonExecutableOnesRunThroughTheirShebang) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    write_file(run, "#!/bin/sh\n", 0755);
    auto plan = planned(decide_script_start(run, ScriptRole::Service, "/bin"), {"A=1"}, {},
                        std::vector<std::string>{"B=2"});
    EXPECT_EQ(plan.executable, run.string());
    EXPECT_EQ(plan.envp, std::vector<std::string>{"A=1"});
    write_file(run, "#!/bin/sh -e\n", 0644);
    plan = planned(decide_script_start(run, ScriptRole::Service, "/bin"), {"A=1"}, {"x"});
    EXPECT_EQ(plan.argv, (std::vector<std::string>{"/bin/sh", "-e", run.string(), "x"}));
}

TEST(ScriptPlan, MissingInterpreterIsNamed) {
    ScratchDir dir;
    auto run = dir.path() / "run";
    tend::process::SpawnFailure failure{tend::process::SpawnStage::Exec, ENOENT, {}, {}};
    write_file(run, "#!/usr/bin/foo -x\n", 0755);
    auto start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_EQ(describe_spawn_failure(start, failure), "run: interpreter /usr/bin/foo not found");
    EXPECT_EQ(describe_spawn_failure(start, failure, false), "interpreter /usr/bin/foo not found");
    write_file(run, "#!/usr/bin/with-contenv nosuchshell\n", 0755);
    start = decide_script_start(run, ScriptRole::Service, "/bin");
    EXPECT_EQ(describe_spawn_failure(start, failure), "run: interpreter nosuchshell not found");
    write_file(run, "#!/nonexistent/execlineb -P\nnosuchprogram x\n", 0755);
    start = decide_script_start(run, ScriptRole::Service, dir.path().string());
    EXPECT_EQ(describe_spawn_failure(start, failure), "run: program nosuchprogram not found");
    // Other failures keep their own message.
    tend::process::SpawnFailure denied{tend::process::SpawnStage::Exec, EACCES, {}, {}};
    EXPECT_EQ(describe_spawn_failure(start, denied), denied.message());
}

}  // namespace
