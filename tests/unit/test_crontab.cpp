// Crontabs as Supercronic reads them: variables, quotes, SHELL, CRON_TZ, the
// 7/6/5/1-word split of a job line, and refusals that name the line.
#include <gtest/gtest.h>

#include <filesystem>

#include "scratch.hpp"
#include "tend/config/crontab_file.hpp"
#include "tend/time/crontab.hpp"

namespace {

using tend::time::parse_crontab;
using tend::time::parse_schedule;

template <typename Parsed>
std::string first_error(const Parsed& parsed) {
    return parsed || parsed.error().empty() ? std::string() : parsed.error().front().message();
}

TEST(Crontab, VariablesCommentsAndJobsInOrder) {
    auto tab = parse_crontab(
        "# a comment\n"
        "\n"
        "  SHELL=/bin/bash\n"
        "GREETING = \"hello world\"\n"
        "QUOTED='it''s'\n"
        "HALF=\"open\n"
        "CRON_TZ=Europe/Berlin\n"
        "EMPTY=\n"
        "*/5 * * * * echo $GREETING   \n"
        "\t@hourly  date\r\n");
    ASSERT_TRUE(tab) << first_error(tab);
    EXPECT_EQ(tab->shell, "/bin/bash");
    ASSERT_EQ(tab->cron_tz.size(), 1u);
    EXPECT_EQ(tab->cron_tz[0].line, 7u);
    EXPECT_EQ(tab->cron_tz[0].name, "Europe/Berlin");
    ASSERT_EQ(tab->variables.size(), 6u);
    EXPECT_EQ(tab->variables[1], (std::pair<std::string, std::string>{"GREETING", "hello world"}));
    EXPECT_EQ(tab->variables[2].second, "it''s");
    EXPECT_EQ(tab->variables[3].second, "\"open") << "quotes go only in pairs";
    EXPECT_EQ(tab->variables[5].second, "") << "Supercronic crashes on an empty value; tend sets it empty";
    ASSERT_EQ(tab->jobs.size(), 2u);
    EXPECT_EQ(tab->jobs[0].position, 0u);
    EXPECT_EQ(tab->jobs[0].line, 9u);
    EXPECT_EQ(tab->jobs[0].schedule, "*/5 * * * *");
    EXPECT_EQ(tab->jobs[0].command, "echo $GREETING   ");
    EXPECT_EQ(tab->jobs[1].schedule, "@hourly");
    EXPECT_EQ(tab->jobs[1].command, "date");
}

TEST(Crontab, TheScheduleIsSevenThenSixThenFiveWords) {
    auto tab = parse_crontab(
        "*/10 * * * * * * echo seconds\n"
        "0 0 28 02 * * echo feb 28th\n"
        "0 0 * * * 2050 echo year\n"
        "0 0 * * * echo five words\n"
        "0 0 L * * echo last day\n");
    ASSERT_TRUE(tab) << first_error(tab);
    ASSERT_EQ(tab->jobs.size(), 5u);
    EXPECT_EQ(tab->jobs[0].schedule, "*/10 * * * * * *");
    EXPECT_EQ(tab->jobs[0].command, "echo seconds");
    EXPECT_EQ(tab->jobs[1].schedule, "0 0 28 02 * *");
    EXPECT_EQ(tab->jobs[1].command, "echo feb 28th");
    EXPECT_EQ(tab->jobs[2].schedule, "0 0 * * * 2050");
    EXPECT_EQ(tab->jobs[3].schedule, "0 0 * * *");
    EXPECT_EQ(tab->jobs[3].command, "echo five words");
    EXPECT_EQ(tab->jobs[4].cron, std::get<tend::time::CronExpression>(*parse_schedule("0 0 L * *")));
}

TEST(Crontab, ABadLineIsRefusedNamingItsNumberAndTheField) {
    auto tab = parse_crontab("A=1\n0 0 * * * ok\n61 * * * * broken\n");
    ASSERT_FALSE(tab);
    ASSERT_EQ(tab.error().size(), 1u);
    const std::string message = tab.error()[0].message();
    EXPECT_NE(message.find("line 3: bad crontab line '61 * * * * broken'"), std::string::npos) << message;
    EXPECT_NE(message.find("minute: '61'"), std::string::npos) << message;
    auto no_command = parse_crontab("* * * * *\n");
    ASSERT_FALSE(no_command);
    EXPECT_EQ(no_command.error()[0].line, 1u);
    EXPECT_FALSE(parse_crontab("@every 5m echo no @every in crontabs\n")) << "Supercronic has no @every";
    EXPECT_FALSE(parse_crontab("@reboot echo\n"));
}

// Every bad line is named (Supercronic names the first only; both refuse the
// crontab), and what parsed is kept for the caller that wants it.
TEST(Crontab, EveryBadLineIsNamedInOrder) {
    std::vector<tend::time::CrontabError> errors;
    auto tab = tend::time::parse_crontab_lines("* * * * * ok\n0 25 * * * late\nCRON_TZ=Asia/Tokyo\nfoo\n@reboot x\n", errors);
    ASSERT_EQ(errors.size(), 3u);
    EXPECT_EQ(errors[0].line, 2u);
    EXPECT_NE(errors[0].reason.find("hour: '25'"), std::string::npos) << errors[0].reason;
    EXPECT_EQ(errors[1].line, 4u);
    EXPECT_NE(errors[1].reason.find("no command after the schedule"), std::string::npos) << errors[1].reason;
    EXPECT_EQ(errors[2].line, 5u);
    ASSERT_EQ(tab.jobs.size(), 1u);
    ASSERT_EQ(tab.cron_tz.size(), 1u);
    EXPECT_EQ(tab.cron_tz[0].line, 3u);
    EXPECT_FALSE(parse_crontab("* * * * * ok\n0 25 * * * late\n")) << "one bad line refuses the crontab";
}

// TZ in a crontab is a variable only: Supercronic's schedules keep the zone it
// was started in; CRON_TZ is the setting, and every one is kept (the last wins).
TEST(Crontab, TzIsOnlyAVariableAndEveryCronTzIsKept) {
    auto tab = parse_crontab("TZ=Asia/Tokyo\nCRON_TZ=Europe/Berlin\n* * * * * a\nCRON_TZ = America/New_York\n");
    ASSERT_TRUE(tab) << first_error(tab);
    ASSERT_EQ(tab->cron_tz.size(), 2u);
    EXPECT_EQ(tab->cron_tz[1].name, "America/New_York");
    EXPECT_EQ(tab->cron_tz[1].line, 4u);
    EXPECT_EQ(tab->variables[0], (std::pair<std::string, std::string>{"TZ", "Asia/Tokyo"}));
}

// The file as --crontab, `tend check --crontab` and `supercronic -test` read
// it: every problem as FILE:LINE, a bad CRON_TZ among them, in line order.
TEST(CrontabFile, EveryProblemIsNamedAsFileColonLine) {
    if (!std::filesystem::exists("/usr/share/zoneinfo/Asia/Tokyo")) GTEST_FAIL() << "tzdata is not installed";
    tend::testing::ScratchDir scratch;
    const auto file = scratch.path() / "crontab";
    tend::testing::write_file(file, "CRON_TZ=Mars/Base\n* * * * * ok\n61 * * * * bad\nCRON_TZ=/etc/localtime\n");
    auto loaded = tend::config::load_crontab_file(file, std::nullopt);
    ASSERT_FALSE(loaded);
    ASSERT_EQ(loaded.error().size(), 3u);
    EXPECT_EQ(loaded.error()[0], file.string() + ":1: CRON_TZ=Mars/Base: unknown time zone 'Mars/Base' (no zone file of that name)");
    EXPECT_TRUE(loaded.error()[1].starts_with(file.string() + ":3: bad crontab line '61 * * * * bad'")) << loaded.error()[1];
    EXPECT_TRUE(loaded.error()[2].starts_with(file.string() + ":4: CRON_TZ=/etc/localtime: ")) << loaded.error()[2];

    auto missing = tend::config::load_crontab_file(scratch.path() / "nope", std::nullopt);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().at(0), (scratch.path() / "nope").string() + ": No such file or directory");

    tend::testing::write_file(file, "CRON_TZ=Europe/Berlin\nCRON_TZ=Asia/Tokyo\n* * * * * ok\n");
    auto tokyo = tend::config::load_crontab_file(file, std::nullopt);
    ASSERT_TRUE(tokyo) << tokyo.error().front();
    ASSERT_TRUE(tokyo->zone) << "the last CRON_TZ is the zone";
    EXPECT_EQ(tokyo->zone->offset_at(std::chrono::sys_days{std::chrono::year{2026} / 7 / 1}), 9 * 3600);

    tend::testing::write_file(file, "CRON_TZ=Asia/Tokyo\nCRON_TZ=Local\n* * * * * ok\n");
    auto local = tend::config::load_crontab_file(file, std::nullopt);
    ASSERT_TRUE(local) << local.error().front();
    EXPECT_FALSE(local->zone) << "Local: the container's zone";
}

}  // namespace
