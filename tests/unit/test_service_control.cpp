// s6-svc / s6-svwait arguments as tend maps them to control requests.
#include <gtest/gtest.h>

#include "tend/applets/service_control.hpp"

using namespace tend::applets;
using Words = std::vector<std::vector<std::string>>;

TEST(ServiceNameFor, PathsMapToTheirBasename) {
    EXPECT_EQ(service_name_for("app", "/"), "app");
    EXPECT_EQ(service_name_for("/var/run/s6/services/app", "/"), "app");
    EXPECT_EQ(service_name_for("/run/service/nginx/", "/"), "nginx");
    EXPECT_EQ(service_name_for("/var/run/s6/legacy-services/php-fpm//", "/"), "php-fpm");
    EXPECT_EQ(service_name_for(".", "/etc/services.d/swoole"), "swoole");
    EXPECT_EQ(service_name_for("./", "/etc/services.d/swoole"), "swoole");
    EXPECT_EQ(service_name_for("../other", "/etc/services.d/swoole"), "other");
    EXPECT_EQ(service_name_for("services.d/app", "/etc"), "app");
}

// A v2 service's logger (NAME/log) is the service tend supervises as NAME-log.
TEST(ServiceNameFor, ALogDirIsItsServicesLogger) {
    EXPECT_EQ(service_name_for("/run/service/ticker/log", "/"), "ticker-log");
    EXPECT_EQ(service_name_for("/var/run/s6/services/nginx/log/", "/"), "nginx-log");
    EXPECT_EQ(service_name_for("log", "/etc/services.d/php-fpm"), "log");  // a plain name is a name
    EXPECT_EQ(service_name_for(".", "/etc/services.d/php-fpm/log"), "php-fpm-log");
    EXPECT_EQ(service_name_for("/run/service/log", "/"), "log");  // a service named log
    EXPECT_EQ(service_name_for("/etc/services.d/log", "/"), "log");
}

TEST(ParseSvc, ActionsInOrderThenTheWait) {
    auto plan = parse_svc({"-d", "-wd", "/var/run/s6/services/app"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (Words{{"stop"}}));
    EXPECT_EQ(plan->wait, WaitFor::Down);
    EXPECT_EQ(plan->services, (std::vector<std::string>{"app"}));
    EXPECT_EQ(plan->timeout.count(), 0);

    plan = parse_svc({"-uwU", "-T", "3000", "a", "/run/service/b"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (Words{{"start"}}));
    EXPECT_EQ(plan->wait, WaitFor::Ready);
    EXPECT_EQ(plan->timeout.count(), 3000);
    EXPECT_EQ(plan->services, (std::vector<std::string>{"a", "b"}));

    plan = parse_svc({"-r", "-k", "-t", "-h", "-T500", "-wu", "x"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (Words{{"restart"}, {"signal", "KILL"}, {"signal", "TERM"}, {"signal", "HUP"}}));
    EXPECT_EQ(plan->wait, WaitFor::Up);
    EXPECT_EQ(plan->timeout.count(), 500);

    // -O: no restart after this run; -o: up, then the same.
    plan = parse_svc({"-O", "x"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (Words{{"once"}}));
    plan = parse_svc({"-o", "x"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (Words{{"start"}, {"once"}}));

    plan = parse_svc({"-wD", "--", "-odd-name"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_TRUE(plan->actions.empty());
    EXPECT_EQ(plan->wait, WaitFor::Finished);
    EXPECT_EQ(plan->services, (std::vector<std::string>{"-odd-name"}));
}

TEST(ParseSvc, UsageErrorsSayWhat) {
    auto expect_error = [](std::vector<std::string> args, std::string_view part) {
        auto plan = parse_svc(args, "/");
        ASSERT_FALSE(plan) << args.front();
        EXPECT_NE(plan.error().find(part), std::string::npos) << plan.error();
    };
    expect_error({"-u"}, "no service given");
    expect_error({"-Z", "x"}, "unknown option -Z");
    expect_error({"-x", "x"}, "-x is not supported under tend");
    expect_error({"-X", "x"}, "-X is not supported");
    expect_error({"-wr", "x"}, "-wr is not supported");
    expect_error({"-wuU", "x"}, "-w needs one of");
    expect_error({"-T", "soon", "x"}, "-T needs a number of milliseconds");
    expect_error({"-d", "-w"}, "-w needs a value");
}

TEST(ParseSvwait, DefaultsToUpAndAll) {
    auto plan = parse_svwait({"/run/service/app"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->wait, WaitFor::Up);
    EXPECT_TRUE(plan->actions.empty());
    plan = parse_svwait({"-U", "-a", "-t", "2000", "a", "b"}, "/");
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->wait, WaitFor::Ready);
    EXPECT_EQ(plan->timeout.count(), 2000);
    EXPECT_EQ(plan->services.size(), 2u);
    plan = parse_svwait({"-D", "a"}, "/");
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->wait, WaitFor::Finished);
    plan = parse_svwait({"-d", "a"}, "/");
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->wait, WaitFor::Down);
    EXPECT_FALSE(parse_svwait({"-o", "a"}, "/"));
    EXPECT_FALSE(parse_svwait({"-u"}, "/"));
    EXPECT_FALSE(parse_svwait({"-t", "-1", "a"}, "/"));
}

// s6-rc -u|-d change NAME: start and wait until ready, stop and wait until down.
TEST(ParseS6rc, ChangeUpAndDownOnTendsServices) {
    auto plan = parse_s6rc({"-v2", "-u", "change", "svc-app", "svc-db"});
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (std::vector<std::vector<std::string>>{{"start"}}));
    EXPECT_EQ(plan->wait, WaitFor::Ready);
    EXPECT_EQ(plan->services, (std::vector<std::string>{"svc-app", "svc-db"}));
    plan = parse_s6rc({"-t", "3000", "-d", "change", "svc-app"});
    ASSERT_TRUE(plan) << plan.error();
    EXPECT_EQ(plan->actions, (std::vector<std::vector<std::string>>{{"stop"}}));
    EXPECT_EQ(plan->wait, WaitFor::Down);
    EXPECT_EQ(plan->timeout.count(), 3000);
    auto refused = parse_s6rc({"-u", "list", "x"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("'list' is not supported"), std::string::npos) << refused.error();
    refused = parse_s6rc({"-p", "-u", "change", "x"});
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().find("-p is not supported"), std::string::npos) << refused.error();
    EXPECT_FALSE(parse_s6rc({"change", "x"}));
    EXPECT_FALSE(parse_s6rc({"-u", "change"}));
}

TEST(WaitCommand, NamesControlsWords) {
    EXPECT_EQ(wait_command(WaitFor::Up), "wait-up");
    EXPECT_EQ(wait_command(WaitFor::Ready), "wait-ready");
    EXPECT_EQ(wait_command(WaitFor::Down), "wait-down");
    EXPECT_EQ(wait_command(WaitFor::Finished), "wait-down");  // with --finished
}

#include "tend/applets/applets.hpp"
#include "tend/config/options.hpp"

TEST(HelpText, SubcommandsLineNamesCompatInstallAndEveryApplet) {
    const std::string help = tend::config::help_text();
    auto start = help.find("Subcommands:");
    ASSERT_NE(start, std::string::npos);
    std::string line = help.substr(start, help.find('\n', start) - start);
    EXPECT_NE(line.find("tend compat install [ROOT]"), std::string::npos) << line;
    for (std::string_view name : applet_names()) EXPECT_NE(line.find(std::string(name)), std::string::npos) << name;
}
