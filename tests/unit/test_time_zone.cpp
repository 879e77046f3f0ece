// Time zones read by tend itself, checked against the real zone files of this
// machine (Debian's tzdata) and against glibc's own reading of them.
#include <time.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "tend/time/time_zone.hpp"
#include "scratch.hpp"

namespace {

using namespace std::chrono;
using tend::time::LocalSeconds;
using tend::time::LocalTimeMapping;
using tend::time::TimeZone;
using tend::time::UtcSeconds;

constexpr const char* kZoneinfo = "/usr/share/zoneinfo";

UtcSeconds at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}
LocalSeconds local(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return LocalSeconds{at(y, mo, d, h, mi, s).time_since_epoch()};
}

TimeZone zone(const std::string& name) {
    auto loaded = tend::time::load_time_zone(name);
    EXPECT_FALSE(loaded.problem) << *loaded.problem;
    return loaded.zone;
}

#define REQUIRE_ZONE(name)                                                            \
    if (!std::filesystem::exists(std::string(kZoneinfo) + "/" + (name)))              \
    GTEST_FAIL() << "tzdata is not installed (" << kZoneinfo << "/" << (name) << "; CI installs it: .ci/packages)"

TEST(TimeZone, BerlinChangesAtOneUtcOnTheLastSundays) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    EXPECT_EQ(berlin.offset_at(at(2026, 3, 29, 0, 59, 59)), 3600);
    EXPECT_EQ(berlin.offset_at(at(2026, 3, 29, 1)), 7200);
    EXPECT_EQ(berlin.offset_at(at(2026, 10, 25, 0, 59, 59)), 7200);
    EXPECT_EQ(berlin.offset_at(at(2026, 10, 25, 1)), 3600);
    auto summer = berlin.period_at(at(2026, 7, 1));
    EXPECT_EQ(summer.abbreviation, "CEST");
    EXPECT_TRUE(summer.is_dst);
    EXPECT_EQ(summer.begin, at(2026, 3, 29, 1));
    EXPECT_EQ(summer.end, at(2026, 10, 25, 1));
    EXPECT_EQ(summer.previous_offset, 3600);
    // Far past the file's last transition: the footer rule answers.
    EXPECT_EQ(berlin.offset_at(at(2099, 7, 1)), 7200);
    EXPECT_EQ(berlin.offset_at(at(2099, 12, 1)), 3600);
    EXPECT_EQ(berlin.period_at(at(2099, 7, 1)).begin, at(2099, 3, 29, 1));
}

TEST(TimeZone, NewYorkChangesAtTwoLocalOnSecondAndFirstSundays) {
    REQUIRE_ZONE("America/New_York");
    TimeZone ny = zone("America/New_York");
    EXPECT_EQ(ny.offset_at(at(2026, 3, 8, 6, 59, 59)), -5 * 3600);
    EXPECT_EQ(ny.offset_at(at(2026, 3, 8, 7)), -4 * 3600);
    EXPECT_EQ(ny.offset_at(at(2026, 11, 1, 5, 59, 59)), -4 * 3600);
    EXPECT_EQ(ny.offset_at(at(2026, 11, 1, 6)), -5 * 3600);
    EXPECT_EQ(ny.period_at(at(2026, 12, 1)).abbreviation, "EST");
}

TEST(TimeZone, LocalTimesInGapsAndFolds) {
    REQUIRE_ZONE("Europe/Berlin");
    TimeZone berlin = zone("Europe/Berlin");
    LocalTimeMapping gap = berlin.from_local(local(2026, 3, 29, 2, 30));
    EXPECT_EQ(gap.kind, LocalTimeMapping::Kind::Nonexistent);
    EXPECT_EQ(gap.first, at(2026, 3, 29, 1));
    LocalTimeMapping fold = berlin.from_local(local(2026, 10, 25, 2, 30));
    EXPECT_EQ(fold.kind, LocalTimeMapping::Kind::Ambiguous);
    EXPECT_EQ(fold.first, at(2026, 10, 25, 0, 30));
    EXPECT_EQ(fold.second, at(2026, 10, 25, 1, 30));
    LocalTimeMapping plain = berlin.from_local(local(2026, 7, 1, 12));
    EXPECT_EQ(plain.kind, LocalTimeMapping::Kind::Unique);
    EXPECT_EQ(plain.first, at(2026, 7, 1, 10));
    EXPECT_EQ(berlin.to_local(at(2026, 7, 1, 10)), local(2026, 7, 1, 12));
}

// Every hour of several years, for zones on both hemispheres and with odd
// offsets, against glibc's localtime_r reading the same files.
TEST(TimeZone, AgreesWithGlibcHourByHour) {
    for (const char* name : {"Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata",
                             "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Apia"}) {
        if (!std::filesystem::exists(std::string(kZoneinfo) + "/" + name)) continue;
        TimeZone ours = zone(name);
        const char* old = std::getenv("TZ");
        std::string saved = old ? old : "";
        ::setenv("TZ", (std::string(":") + name).c_str(), 1);
        ::tzset();
        int mismatches = 0;
        for (auto t = at(2008, 1, 1); t < at(2030, 1, 1) && mismatches < 5; t += hours{1}) {
            time_t raw = t.time_since_epoch().count();
            struct tm tm {};
            ::localtime_r(&raw, &tm);
            if (tm.tm_gmtoff != ours.offset_at(t)) {
                ++mismatches;
                ADD_FAILURE() << name << " at " << raw << ": glibc " << tm.tm_gmtoff << ", tend "
                              << ours.offset_at(t);
            }
        }
        if (old) ::setenv("TZ", saved.c_str(), 1); else ::unsetenv("TZ");
        ::tzset();
    }
}

TEST(TimeZone, PosixRulesMatchTheFiles) {
    auto cet = TimeZone::from_posix_rule("CET-1CEST,M3.5.0,M10.5.0/3");
    ASSERT_TRUE(cet) << cet.error();
    EXPECT_EQ(cet->offset_at(at(2026, 3, 29, 0, 59, 59)), 3600);
    EXPECT_EQ(cet->offset_at(at(2026, 3, 29, 1)), 7200);
    EXPECT_EQ(cet->offset_at(at(2026, 10, 25, 1)), 3600);
    EXPECT_EQ(cet->period_at(at(2026, 7, 1)).abbreviation, "CEST");
    // Southern hemisphere: DST spans the new year.
    auto sydney = TimeZone::from_posix_rule("AEST-10AEDT,M10.1.0,M4.1.0/3");
    ASSERT_TRUE(sydney) << sydney.error();
    EXPECT_EQ(sydney->offset_at(at(2026, 1, 15)), 11 * 3600);
    EXPECT_EQ(sydney->offset_at(at(2026, 7, 15)), 10 * 3600);
    // No rules given: the US ones, as glibc assumes.
    auto eastern = TimeZone::from_posix_rule("EST5EDT");
    ASSERT_TRUE(eastern) << eastern.error();
    EXPECT_EQ(eastern->offset_at(at(2026, 3, 8, 7)), -4 * 3600);
    auto india = TimeZone::from_posix_rule("<+0530>-5:30");
    ASSERT_TRUE(india) << india.error();
    EXPECT_EQ(india->offset_at(at(2026, 1, 1)), 5 * 3600 + 1800);
    auto julian = TimeZone::from_posix_rule("XST3XDT,J60/2,300");
    ASSERT_TRUE(julian) << julian.error();
    EXPECT_EQ(julian->offset_at(at(2028, 3, 1, 5)), -2 * 3600) << "J60 is March 1 even in a leap year";
    EXPECT_EQ(julian->offset_at(at(2028, 2, 29, 12)), -3 * 3600);
}

TEST(TimeZone, BadPosixRulesAreRefused) {
    for (const char* bad : {"", "X", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.7,M10.5.0",
                            "CET-1 trailing", "<AB-1"})
        EXPECT_FALSE(TimeZone::from_posix_rule(bad)) << bad;
}

TEST(TimeZone, LoadFollowsTzThenLocaltimeThenUtc) {
    REQUIRE_ZONE("Europe/Berlin");
    auto named = tend::time::load_time_zone("Europe/Berlin");
    EXPECT_FALSE(named.problem);
    EXPECT_EQ(named.zone.offset_at(at(2026, 7, 1)), 7200);
    auto colon = tend::time::load_time_zone(":America/New_York");
    EXPECT_EQ(colon.zone.offset_at(at(2026, 7, 1)), -4 * 3600);
    auto path = tend::time::load_time_zone("/usr/share/zoneinfo/Europe/Berlin");
    EXPECT_EQ(path.zone.offset_at(at(2026, 7, 1)), 7200);
    auto rule = tend::time::load_time_zone("JST-9");
    EXPECT_FALSE(rule.problem);
    EXPECT_EQ(rule.zone.offset_at(at(2026, 7, 1)), 9 * 3600);
    auto empty = tend::time::load_time_zone("");
    EXPECT_FALSE(empty.problem);
    EXPECT_EQ(empty.zone.offset_at(at(2026, 7, 1)), 0);
    auto bad = tend::time::load_time_zone("Mars/Olympus_Mons");
    ASSERT_TRUE(bad.problem);
    EXPECT_NE(bad.problem->find("TZ=Mars/Olympus_Mons"), std::string::npos) << *bad.problem;
    EXPECT_EQ(bad.zone.offset_at(at(2026, 7, 1)), 0);
    auto escape = tend::time::load_time_zone("../../../etc/passwd");
    EXPECT_TRUE(escape.problem);

    // Unset TZ: /etc/localtime (given here), else UTC.
    auto from_localtime = tend::time::load_time_zone(std::nullopt, kZoneinfo, std::string(kZoneinfo) + "/Europe/Berlin");
    EXPECT_FALSE(from_localtime.problem);
    EXPECT_EQ(from_localtime.zone.offset_at(at(2026, 7, 1)), 7200);
    auto none = tend::time::load_time_zone(std::nullopt, kZoneinfo, "/nonexistent/localtime");
    EXPECT_FALSE(none.problem);
    EXPECT_EQ(none.zone.offset_at(at(2026, 7, 1)), 0);
    EXPECT_NE(none.source.find("UTC"), std::string::npos);
}

TEST(TimeZone, CorruptFilesAreRefusedWithAReason) {
    EXPECT_FALSE(TimeZone::from_tzif("", "x"));
    EXPECT_FALSE(TimeZone::from_tzif("TZif2", "x"));
    EXPECT_FALSE(TimeZone::from_tzif(std::string(100, 'x'), "x"));
    if (std::filesystem::exists("/usr/share/zoneinfo/Europe/Berlin")) {
        std::ifstream in("/usr/share/zoneinfo/Europe/Berlin", std::ios::binary);
        std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        ASSERT_TRUE(TimeZone::from_tzif(bytes, "Berlin"));
        for (std::size_t cut : {std::size_t{44}, bytes.size() / 2, bytes.size() - 3})
            EXPECT_FALSE(TimeZone::from_tzif(std::string_view(bytes).substr(0, cut), "Berlin")) << cut;
    }
}

// CRON_TZ as Go's time.LoadLocation reads it (what Supercronic calls): the
// answers below are Go 1.19's on this machine for the same names.
TEST(TimeZone, NamedZonesAsSupercronicLoadsThem) {
    REQUIRE_ZONE("Europe/Berlin");
    const auto dirs = tend::time::go_zone_dirs(std::nullopt);
    auto berlin = tend::time::load_named_zone("Europe/Berlin", dirs);
    ASSERT_TRUE(berlin && *berlin) << (berlin ? "Local" : berlin.error());
    EXPECT_EQ((*berlin)->offset_at(at(2026, 7, 1)), 7200);
    for (const char* utc : {"", "UTC"}) {
        auto zone = tend::time::load_named_zone(utc, dirs);
        ASSERT_TRUE(zone && *zone) << utc;
        EXPECT_EQ((*zone)->offset_at(at(2026, 7, 1)), 0);
    }
    auto local = tend::time::load_named_zone("Local", dirs);
    ASSERT_TRUE(local);
    EXPECT_FALSE(*local) << "Local is the container's zone, which the caller has";
    auto est = tend::time::load_named_zone("EST5EDT", dirs);
    ASSERT_TRUE(est && *est) << "a zone file of that name exists";
    for (const char* invalid : {"../etc/x", "a..b", "/usr/share/zoneinfo/UTC", "\\x"}) {
        auto zone = tend::time::load_named_zone(invalid, dirs);
        ASSERT_FALSE(zone) << invalid;
        EXPECT_NE(zone.error().find("invalid location name"), std::string::npos) << zone.error();
    }
    // What TZ accepts and Go does not: a POSIX rule, a ':' prefix; names are case-sensitive.
    for (const char* unknown : {"Nowhere/City", "CET-1CEST,M3.5.0,M10.5.0/3", ":Europe/Berlin", "europe/berlin",
                                " Europe/Berlin"}) {
        auto zone = tend::time::load_named_zone(unknown, dirs);
        ASSERT_FALSE(zone) << unknown;
        EXPECT_NE(zone.error().find("unknown time zone"), std::string::npos) << zone.error();
    }
    auto directory = tend::time::load_named_zone("Europe", dirs);
    ASSERT_FALSE(directory);
    EXPECT_NE(directory.error().find("/usr/share/zoneinfo/Europe: is not a regular file"), std::string::npos)
        << directory.error();
}

// $ZONEINFO is searched first, as Go does.
TEST(TimeZone, ZoneinfoIsSearchedFirst) {
    REQUIRE_ZONE("Asia/Tokyo");
    tend::testing::ScratchDir scratch;
    std::filesystem::create_directories(scratch.path() / "Test");
    std::filesystem::copy_file(std::string(kZoneinfo) + "/Asia/Tokyo", scratch.path() / "Test" / "Zone");
    std::filesystem::copy_file(std::string(kZoneinfo) + "/Asia/Tokyo", scratch.path() / "UTC");
    auto zone = tend::time::load_named_zone("Test/Zone", tend::time::go_zone_dirs(scratch.path().string()));
    ASSERT_TRUE(zone && *zone) << (zone ? "Local" : zone.error());
    EXPECT_EQ((*zone)->offset_at(at(2026, 7, 1)), 9 * 3600);
    EXPECT_FALSE(tend::time::load_named_zone("Test/Zone", tend::time::go_zone_dirs(std::nullopt)));
}

}  // namespace
