// The pure parts of s6-notifyoncheck, s6-svstat, logutil-service and
// logutil-newfifo, and the option loop every s6 applet shares.
#include <gtest/gtest.h>

#include "tend/applets/applets.hpp"
#include "tend/applets/halt.hpp"
#include "tend/s6/halt.hpp"
#include "tend/applets/logutil.hpp"
#include "tend/applets/notifyoncheck.hpp"
#include "tend/applets/s6_options.hpp"
#include "tend/applets/svstat.hpp"
#include "tend/applets/uidgid.hpp"

using namespace tend::s6;
using namespace tend::applets;
using Words = std::vector<std::string>;

namespace {

// Every letter seen, every value seen, and where the operands start.
struct Seen {
    std::string flags;
    Words values;
    std::expected<std::size_t, std::string> first;
};
Seen parse(const Words& args, std::string_view with_value) {
    Seen seen;
    seen.first = parse_s6_options(
        args, with_value,
        [&](char letter) -> std::string {
            if (letter == 'x') return "no -x";
            seen.flags += letter;
            return {};
        },
        [&](char letter, const std::string& value) -> std::string {
            seen.values.push_back(std::string(1, letter) + "=" + value);
            return {};
        });
    return seen;
}

}  // namespace

TEST(S6Options, ClustersValuesAndTheEndOfOptions) {
    auto seen = parse({"-ab", "-T500", "-w", "u", "prog", "-a"}, "Tw");
    ASSERT_TRUE(seen.first);
    EXPECT_EQ(*seen.first, 4u);
    EXPECT_EQ(seen.flags, "ab");
    EXPECT_EQ(seen.values, (Words{"T=500", "w=u"}));

    seen = parse({"-a", "--", "-b"}, "");
    EXPECT_EQ(*seen.first, 2u);  // `--` ends the options; -b is an operand
    EXPECT_EQ(seen.flags, "a");

    seen = parse({"-", "-a"}, "");  // `-` alone is an operand
    EXPECT_EQ(*seen.first, 0u);

    seen = parse({"-aTx"}, "T");  // a value takes the rest of its word
    EXPECT_EQ(seen.values, (Words{"T=x"}));

    EXPECT_EQ(parse({"-ax"}, "").first.error(), "no -x");
    EXPECT_EQ(parse({"-T"}, "T").first.error(), "-T needs a value");
    EXPECT_EQ(parse({"--doublefork", "prog"}, "").first.error(), "unknown option --doublefork (use its one-letter form)");
    EXPECT_EQ(parse({"--tries=3", "prog"}, "").first.error(), "unknown option --tries (use its one-letter form)");
}

TEST(S6Options, SvscanctlAndApplyuidgidUseIt) {
    EXPECT_EQ(parse_svscanctl_args({"-tt", "/run/service"}), true);
    EXPECT_EQ(parse_svscanctl_args({"--", "/run/service"}), false);
    EXPECT_NE(parse_svscanctl_args({"-th", "/run/service"}).error().find("not -h"), std::string::npos);
    auto no_env = [](const char*) -> const char* { return nullptr; };
    auto plan = parse_applyuidgid({"-zu10", "-g", "20", "prog"}, no_env);
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_TRUE(plan->unexport);
    EXPECT_EQ(plan->uid, 10u);
    EXPECT_EQ(plan->gid, 20u);
    EXPECT_EQ(plan->program_index, 3u);
}

TEST(Notifyoncheck, DefaultsAreS6s) {
    auto options = parse_notifyoncheck({"nginx", "-g", "daemon off;"});
    ASSERT_TRUE(options) << options.error();
    EXPECT_FALSE(options->doublefork);
    EXPECT_FALSE(options->notification_fd);
    EXPECT_EQ(options->initial_sleep.count(), 10);
    EXPECT_EQ(options->global_timeout.count(), 0);
    EXPECT_EQ(options->local_timeout.count(), 0);
    EXPECT_EQ(options->waiting_time.count(), 1000);
    EXPECT_EQ(options->tries, 7u);
    EXPECT_FALSE(options->check);
    EXPECT_EQ(options->program_index, 0u);
    EXPECT_EQ(notifyoncheck_check_argv(*options), (Words{"./data/check"}));
}

TEST(Notifyoncheck, EveryDocumentedOption) {
    // As linuxserver.io's app images write it.
    auto options = parse_notifyoncheck(
        {"-d", "-3", "5", "-s", "0", "-T", "60000", "-t", "2000", "-w", "500", "-n", "300", "-c", "nc -z localhost 8080",
         "s6-setuidgid", "abc", "app"});
    ASSERT_TRUE(options) << options.error();
    EXPECT_TRUE(options->doublefork);
    EXPECT_EQ(options->notification_fd, 5);
    EXPECT_EQ(options->initial_sleep.count(), 0);
    EXPECT_EQ(options->global_timeout.count(), 60000);
    EXPECT_EQ(options->local_timeout.count(), 2000);
    EXPECT_EQ(options->waiting_time.count(), 500);
    EXPECT_EQ(options->tries, 300u);
    EXPECT_EQ(options->program_index, 15u);
    EXPECT_EQ(notifyoncheck_check_argv(*options), (Words{"nc", "-z", "localhost", "8080"}));

    options = parse_notifyoncheck({"-dn0", "-c", "if { true } echo ok", "prog"});
    ASSERT_TRUE(options);
    EXPECT_EQ(options->tries, 0u);  // no limit
    // A block needs execline's own programs: execlineb runs the line.
    EXPECT_EQ(notifyoncheck_check_argv(*options), (Words{"execlineb", "-Pc", "if { true } echo ok"}));
    options = parse_notifyoncheck({"-c", "curl \"http://x/a b\" $HOME", "prog"});
    ASSERT_TRUE(options);
    EXPECT_EQ(notifyoncheck_check_argv(*options), (Words{"curl", "http://x/a b", "$HOME"}));  // -P: $ is itself
}

TEST(Notifyoncheck, RefusalsNameTheOption) {
    auto error = [](Words args) {
        auto options = parse_notifyoncheck(args);
        EXPECT_FALSE(options) << args.front();
        return options ? std::string() : options.error();
    };
    EXPECT_EQ(error({"-x", "prog"}), "unknown option -x");
    EXPECT_EQ(error({"-w", "soon", "prog"}), "-w needs an unsigned integer, not 'soon'");
    EXPECT_EQ(error({"-3", "4096", "prog"}), "-3 needs a file descriptor number, not '4096'");
    EXPECT_EQ(error({"-n", "-1", "prog"}), "-n needs an unsigned integer, not '-1'");
    EXPECT_EQ(error({"-d"}), "no program to run");
    EXPECT_EQ(error({"-c"}), "-c needs a value");
    auto options = parse_notifyoncheck({"-c", "if { true", "prog"});
    ASSERT_TRUE(options);
    EXPECT_EQ(notifyoncheck_check_argv(*options).error(), "-c 'if { true': unmatched {");
}

TEST(Svstat, OptionsAndFields) {
    auto request = parse_svstat({"-ur", "/run/service/nginx"}, "/");
    ASSERT_TRUE(request) << request.error();
    EXPECT_EQ(request->fields, (std::vector<SvstatField>{SvstatField::Up, SvstatField::Ready}));
    EXPECT_EQ(request->service, "nginx");
    EXPECT_EQ(request->dir, "/run/service/nginx");

    request = parse_svstat({"-o", "up,wantedup,normallyup,ready,paused,pid,pgid,exitcode,signal,signum,updownfor", "-n",
                            "."},
                           "/etc/s6-overlay/s6-rc.d/app");
    ASSERT_TRUE(request) << request.error();
    EXPECT_EQ(request->fields.size(), 11u);
    EXPECT_TRUE(request->numeric_signal);
    EXPECT_EQ(request->service, "app");

    request = parse_svstat({"-wNpgest", "app"}, "/");
    ASSERT_TRUE(request);
    EXPECT_EQ(request->fields.size(), 7u);

    request = parse_svstat({"app"}, "/");
    ASSERT_TRUE(request);
    EXPECT_TRUE(request->fields.empty());  // the human summary
}

TEST(Svstat, RefusalsNameTheOptionOrField) {
    EXPECT_EQ(parse_svstat({"-o", "readyfor", "x"}, "/").error(),
              "-o readyfor is not supported under tend (tend keeps no timestamp of a service's last change)");
    EXPECT_NE(parse_svstat({"-o", "updownsince", "x"}, "/").error().find("-o updownsince"), std::string::npos);
    EXPECT_EQ(parse_svstat({"-o", "bogus", "x"}, "/").error(), "invalid option field: bogus");
    EXPECT_EQ(parse_svstat({"-z", "x"}, "/").error(), "unknown option -z");
    EXPECT_EQ(parse_svstat({"-u"}, "/").error(), "no service given");
    EXPECT_EQ(parse_svstat({"a", "b"}, "/").error(), "one service only, not 'b' too");
}

TEST(Svstat, StateFromTendsJson) {
    const std::string up =
        R"({"services":[{"name":"web","state":"running","pid":42,"uptime_ms":65000,"restarts":0,"ready":true,)"
        R"("last_exit":null,"restart_in_ms":null,"primary":false,"stopped":false,"refusal":null,"schedule":null,)"
        R"("confinement":null}]})";
    auto state = svstat_state_from_json(up, false);
    ASSERT_TRUE(state) << state.error();
    EXPECT_TRUE(state->up);
    EXPECT_TRUE(state->ready);
    EXPECT_TRUE(state->wanted_up);
    EXPECT_EQ(state->pid, 42);
    EXPECT_EQ(state->up_seconds, 65);

    const std::string killed =
        R"({"services":[{"name":"web","state":"down","pid":null,"uptime_ms":null,"restarts":1,"ready":false,)"
        R"("last_exit":"killed by SIGTERM","restart_in_ms":null,"primary":false,"stopped":true,"refusal":null}]})";
    state = svstat_state_from_json(killed, false);
    ASSERT_TRUE(state);
    EXPECT_FALSE(state->up);
    EXPECT_FALSE(state->wanted_up);
    EXPECT_EQ(state->signal, 15);
    EXPECT_FALSE(state->exit_code);

    const std::string refused = R"({"services":[{"name":"web","state":"refused","refusal":"run: not found"}]})";
    EXPECT_EQ(svstat_state_from_json(refused, false).error(), "tend does not supervise it: run: not found");
}

TEST(Svstat, PrintsAsS6Does) {
    SvstatRequest human;
    SvstatState up;
    up.up = true;
    up.started = true;
    up.pid = 42;
    up.pgid = 42;
    up.ready = true;
    up.up_seconds = 65;
    EXPECT_EQ(format_svstat(human, up), "up (pid 42 pgid 42) 65 seconds, ready");

    SvstatState down;
    down.started = true;
    down.signal = 15;
    down.wanted_up = false;
    EXPECT_EQ(format_svstat(human, down), "down (signal SIGTERM), normally up");
    human.numeric_signal = true;
    EXPECT_EQ(format_svstat(human, down), "down (signal 15), normally up");
    SvstatState never;
    never.normally_up = false;
    never.wanted_up = false;
    EXPECT_EQ(format_svstat(SvstatRequest{}, never), "down (not started yet)");

    SvstatRequest fields;
    fields.fields = {SvstatField::Up, SvstatField::Ready, SvstatField::Pid, SvstatField::ExitCode, SvstatField::Signal,
                     SvstatField::Signum, SvstatField::UpDownFor};
    EXPECT_EQ(format_svstat(fields, up), "true true 42 -1 NA -1 65");
    EXPECT_EQ(format_svstat(fields, down), "false false -1 -1 SIGTERM 15 -1");
    SvstatState exited;
    exited.started = true;
    exited.exit_code = 0;
    EXPECT_EQ(format_svstat(fields, exited), "false false -1 0 NA -1 -1");
}

TEST(Svstat, JsonFieldReadsStringsAndTokens) {
    const std::string json = R"({"name":"a \"b\"","pid":7,"ready":false,"last_exit":null})";
    EXPECT_EQ(json_field(json, "name"), "a \"b\"");
    EXPECT_EQ(json_field(json, "pid"), "7");
    EXPECT_EQ(json_field(json, "ready"), "false");
    EXPECT_FALSE(json_field(json, "last_exit"));
    EXPECT_FALSE(json_field(json, "missing"));
}

TEST(Logutil, NewfifoOptions) {
    auto plan = parse_logutil_newfifo({"/var/run/s6/nginx-fifo"});
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->mode, 0600u);
    EXPECT_EQ(plan->owner, "root");
    EXPECT_EQ(plan->path, "/var/run/s6/nginx-fifo");
    plan = parse_logutil_newfifo({"-m", "0620", "-o", "nobody", "f"});
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->mode, 0620u);
    EXPECT_EQ(plan->owner, "nobody");
    EXPECT_EQ(parse_logutil_newfifo({"-m", "rw", "f"}).error(), "-m needs an octal mode, not 'rw'");
    EXPECT_EQ(parse_logutil_newfifo({"-m", "0800", "f"}).error(), "-m needs an octal mode, not '0800'");
    EXPECT_EQ(parse_logutil_newfifo({"-q", "f"}).error(), "unknown option -q");
    EXPECT_EQ(parse_logutil_newfifo({"-m", "600"}).error(), "no fifo given");
}

TEST(Logutil, ServiceOptionsScriptAndArgv) {
    auto plan = parse_logutil_service({"-f", "/var/run/s6/nginx-fifo", "/var/log/nginx"});
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->fifo, "/var/run/s6/nginx-fifo");
    EXPECT_EQ(plan->logdir, "/var/log/nginx");
    plan = parse_logutil_service({"/var/log/app"});
    ASSERT_TRUE(plan);
    EXPECT_FALSE(plan->fifo);
    EXPECT_EQ(parse_logutil_service({"-x", "d"}).error(), "unknown option -x");
    EXPECT_EQ(parse_logutil_service({"-f", "p"}).error(), "no log directory given");

    EXPECT_EQ(logging_script_words(std::nullopt), (Words{"n20", "s1000000", "T"}));
    EXPECT_EQ(logging_script_words(std::string(" n3\ts2000  T ")), (Words{"n3", "s2000", "T"}));
    EXPECT_EQ(logutil_service_argv("/command/s6-log", {"n3", "T"}, "/var/log/app"),
              (Words{"/command/s6-log", "-b", "--", "n3", "T", "/var/log/app"}));
}

TEST(Applets, NewNamesAreApplets) {
    EXPECT_EQ(applet_for("/command/s6-svstat"), Applet::Svstat);
    EXPECT_EQ(applet_for("s6-notifyoncheck"), Applet::NotifyOnCheck);
    EXPECT_EQ(applet_for("/usr/bin/logutil-service"), Applet::LogutilService);
    EXPECT_EQ(applet_for("logutil-newfifo"), Applet::LogutilNewfifo);
    EXPECT_EQ(applet_for("/command/cd"), Applet::Cd);
}
