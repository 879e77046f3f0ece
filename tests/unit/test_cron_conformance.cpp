// tend's cron language against Supercronic's own parser, row by row.
//
// tests/data/cron-oracle/supercronic-cronexpr.tsv was produced by running
// Supercronic's cronexpr (see generate.sh there) over its own test cases,
// hand-picked forms and 4,000 generated expressions. For every row tend must
// give the same answer: the same three next runs (UTC), no run, or a refusal
// that names what is wrong. Rows whose note starts with "bug:" are where
// Supercronic accepts something it then mishandles and tend deliberately
// differs (listed in docs/scheduled-services.md):
//   bug:padded-weekday       `01`..`06` as a day of week: Supercronic reads
//                            Sunday, tend the day written;
//   bug:weekday-range-to-7   `0-7`: Supercronic runs on Sundays only, tend
//                            refuses it like every other range ending at 7;
//   bug:backward-stepped-range  `20-10/5`: Supercronic adds nothing for it,
//                            tend refuses it;
//   bug:panics               the same, alone in its field: Supercronic's
//                            Next crashes (an empty list), tend refuses it.
// Rows noted "never" have no run at all: tend refuses them when the day and
// month fields alone show it (`0 0 30 2 *`) and otherwise agrees (no run).
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tend/time/next_run.hpp"
#include "tend/time/schedule.hpp"

namespace {

using namespace std::chrono;
using tend::time::UtcSeconds;

struct Row {
    int line = 0;
    std::string origin, expression, from, answer, note;
};

std::vector<std::string> split_tabs(const std::string& text) {
    std::vector<std::string> parts;
    std::stringstream stream(text);
    std::string part;
    while (std::getline(stream, part, '\t')) parts.push_back(part);
    if (!text.empty() && text.back() == '\t') parts.emplace_back();
    return parts;
}

std::vector<Row> rows() {
    std::ifstream file(std::string(TEND_SOURCE_DIR) + "/tests/data/cron-oracle/supercronic-cronexpr.tsv");
    std::vector<Row> all;
    std::string line;
    int number = 0;
    while (std::getline(file, line)) {
        ++number;
        if (line.empty() || line[0] == '#') continue;
        auto parts = split_tabs(line);
        while (parts.size() < 5) parts.emplace_back();
        all.push_back({number, parts[0], parts[1], parts[2], parts[3], parts[4]});
    }
    return all;
}

std::string rfc3339(UtcSeconds at) {
    const auto days = floor<std::chrono::days>(at);
    const year_month_day date{days};
    const hh_mm_ss time{at - days};
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02ld:%02ld:%02lldZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<long>(time.hours().count()), static_cast<long>(time.minutes().count()),
                  static_cast<long long>(time.seconds().count()));
    return text;
}

UtcSeconds parse_rfc3339(const std::string& text) {
    int y = 0;
    unsigned mo = 0, d = 0, h = 0, mi = 0, s = 0;
    std::sscanf(text.c_str(), "%d-%u-%uT%u:%u:%uZ", &y, &mo, &d, &h, &mi, &s);
    return UtcSeconds{sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s}};
}

// tend's answer in the table's terms.
std::string tend_answer(const std::string& expression, const std::string& from, std::string* refusal) {
    auto parsed = tend::time::parse_schedule(expression);
    if (!parsed || !std::holds_alternative<tend::time::CronExpression>(*parsed)) {
        if (!parsed) *refusal = parsed.error();
        return "refused";
    }
    const auto& cron = std::get<tend::time::CronExpression>(*parsed);
    const tend::time::TimeZone utc;
    std::string runs;
    UtcSeconds at = parse_rfc3339(from);
    for (int i = 0; i < 3; ++i) {
        auto next = tend::time::next_cron_run(cron, at, utc);
        if (!next) break;
        runs += (runs.empty() ? "" : " ") + rfc3339(*next);
        at = *next;
    }
    return runs.empty() ? "none" : runs;
}

// The expression with `0N` day-of-week values written `N`.
std::string unpadded_weekdays(const std::string& expression) {
    std::vector<std::string> fields;
    std::stringstream stream(expression);
    for (std::string field; stream >> field;) fields.push_back(field);
    const std::size_t dow = fields.size() == 7 ? 5 : 4;
    if (fields.size() < 5) return expression;
    std::string& field = fields[dow];
    std::string result;
    for (std::size_t i = 0; i < field.size(); ++i) {
        const bool starts_value = i == 0 || field[i - 1] == ',' || field[i - 1] == '-';
        if (starts_value && field[i] == '0' && i + 1 < field.size() && field[i + 1] >= '0' && field[i + 1] <= '9')
            continue;
        result += field[i];
    }
    field = result;
    std::string joined;
    for (const auto& f : fields) joined += (joined.empty() ? "" : " ") + f;
    return joined;
}

bool names_what_is_wrong(const std::string& refusal) {
    for (const char* what : {"second:", "minute:", "hour:", "day-of-month", "month:", "day-of-week:", "year:",
                             "fields", "@"})
        if (refusal.find(what) != std::string::npos) return true;
    return false;
}

TEST(CronConformance, EveryRowOfSupercronicsParserGetsTheSameAnswer) {
    const auto table = rows();
    ASSERT_GT(table.size(), 8000u) << "the table is missing or cut short";
    int checked = 0, differences = 0, accepted = 0;
    for (const Row& row : table) {
        std::string refusal;
        const std::string ours = tend_answer(row.expression, row.from, &refusal);
        ++checked;
        if (ours != "refused") ++accepted;
        bool agrees = false;
        if (row.note == "bug:panics" || row.note == "bug:weekday-range-to-7" ||
            row.note == "bug:backward-stepped-range") {
            agrees = ours == "refused";
        } else if (row.note == "bug:padded-weekday") {
            // tend means what the expression says without the padding zeros.
            std::string ignored;
            agrees = ours == tend_answer(unpadded_weekdays(row.expression), row.from, &ignored);
        } else if (row.note == "never") {
            agrees = ours == "refused" || ours == "none";
        } else {
            agrees = ours == row.answer;
        }
        if (ours == "refused" && !refusal.empty() && !names_what_is_wrong(refusal)) {
            ADD_FAILURE() << "line " << row.line << ": '" << row.expression << "' refused without naming the field: "
                          << refusal;
        }
        if (!agrees) {
            ++differences;
            if (differences <= 40)
                ADD_FAILURE() << "line " << row.line << " (" << row.origin << "): '" << row.expression << "' from "
                              << row.from << ": Supercronic " << row.answer << ", tend " << ours
                              << (refusal.empty() ? "" : " (" + refusal + ")") << (row.note.empty() ? "" : " [" + row.note + "]");
        }
    }
    EXPECT_EQ(differences, 0) << "of " << checked << " rows";
    EXPECT_GT(accepted, 4000) << "the table should exercise accepted expressions, not only refusals";
}

// What tend does where it deliberately differs (the rows above only check
// that it differs).
TEST(CronConformance, PaddedWeekdaysMeanTheDayWritten) {
    auto padded = tend::time::parse_schedule("0 0 * * 05");
    auto plain = tend::time::parse_schedule("0 0 * * 5");
    ASSERT_TRUE(padded && plain);
    EXPECT_EQ(*padded, *plain);
}

TEST(CronConformance, WeekdayRangesEndingAtSevenAreRefusedNamingTheField) {
    for (const char* line : {"0 0 * * 0-7", "0 0 * * 1-7", "0 0 * * 5-7/1"}) {
        auto parsed = tend::time::parse_schedule(line);
        ASSERT_FALSE(parsed) << line;
        EXPECT_NE(parsed.error().find("day-of-week: range"), std::string::npos) << parsed.error();
    }
}

}  // namespace
