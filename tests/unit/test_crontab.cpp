// Crontabs as Supercronic reads them: variables, quotes, SHELL, CRON_TZ, the
// 7/6/5/1-word split of a job line, and refusals that name the line.
#include <gtest/gtest.h>

#include "tend/time/crontab.hpp"

namespace {

using tend::time::parse_crontab;
using tend::time::parse_schedule;

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
    ASSERT_TRUE(tab) << tab.error();
    EXPECT_EQ(tab->shell, "/bin/bash");
    EXPECT_EQ(tab->cron_tz, "Europe/Berlin");
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
    ASSERT_TRUE(tab) << tab.error();
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
    EXPECT_NE(tab.error().find("line 3: bad crontab line '61 * * * * broken'"), std::string::npos) << tab.error();
    EXPECT_NE(tab.error().find("minute: '61'"), std::string::npos) << tab.error();
    auto no_command = parse_crontab("* * * * *\n");
    ASSERT_FALSE(no_command);
    EXPECT_NE(no_command.error().find("line 1"), std::string::npos);
    EXPECT_FALSE(parse_crontab("@every 5m echo no @every in crontabs\n")) << "Supercronic has no @every";
    EXPECT_FALSE(parse_crontab("@reboot echo\n"));
}

}  // namespace
