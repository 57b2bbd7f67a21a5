#include "base/duration.h"

#include <gtest/gtest.h>

#include "base/url.h"

namespace cmk {
namespace {

TEST(IsoDurationTest, ParsesEveryComponent) {
  auto d = ParseIsoDuration("P1Y2M3W4DT5H6M7S");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->years, 1);
  EXPECT_EQ(d->months, 2);
  EXPECT_EQ(d->weeks, 3);
  EXPECT_EQ(d->days, 4);
  EXPECT_EQ(d->hours, 5);
  EXPECT_EQ(d->minutes, 6);
  EXPECT_EQ(d->seconds, 7);
  EXPECT_EQ(d->text, "P1Y2M3W4DT5H6M7S");
}

TEST(IsoDurationTest, AcceptsCommonForms) {
  for (const char* text : {"P1Y", "P90D", "PT12H", "P1Y2M", "P18M", "P2W", "P1DT12H", "PT30S"}) {
    EXPECT_TRUE(ParseIsoDuration(text).ok()) << text;
  }
}

TEST(IsoDurationTest, RejectsMalformed) {
  for (const char* text : {"", "P", "PT", "90D", "p90d", "P1.5D", "P-1D", "P1D2Y", "P1DT",
                           "P1H", "PT1D", "P1Y1Y", "P 1D", "P1D ", "P99999999D", "PT1H2H"}) {
    EXPECT_FALSE(ParseIsoDuration(text).ok()) << text;
  }
}

TEST(IsoDurationTest, ApproxSecondsUsesDocumentedApproximations) {
  EXPECT_EQ(ApproxSeconds(*ParseIsoDuration("P1Y")), 365 * 86400);
  EXPECT_EQ(ApproxSeconds(*ParseIsoDuration("P1M")), 30 * 86400);
  EXPECT_EQ(ApproxSeconds(*ParseIsoDuration("P1W")), 7 * 86400);
  EXPECT_EQ(ApproxSeconds(*ParseIsoDuration("PT1H1M1S")), 3661);
}

TEST(IsoDurationTest, AddDurationIsCalendarCorrect) {
  int64_t jan31 = *ParseRfc3339("2024-01-31T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(jan31, *ParseIsoDuration("P1M"))), "2024-02-29T10:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(jan31, *ParseIsoDuration("P1Y1M"))), "2025-02-28T10:00:00Z");
  int64_t leap = *ParseRfc3339("2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(leap, *ParseIsoDuration("P1Y"))), "2025-02-28T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(leap, *ParseIsoDuration("P90D"))), "2024-05-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(leap, *ParseIsoDuration("P1DT25H"))),
            "2024-03-02T01:00:00Z");
  int64_t nov = *ParseRfc3339("2026-11-15T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(AddDuration(nov, *ParseIsoDuration("P3M"))), "2027-02-15T00:00:00Z");
}

TEST(Rfc3339Test, ParsesAndFormats) {
  EXPECT_EQ(*ParseRfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseRfc3339("2027-01-01T00:00:00Z"), 1798761600);
  EXPECT_EQ(*ParseRfc3339("2027-01-01T02:00:00+02:00"), 1798761600);
  EXPECT_EQ(*ParseRfc3339("2026-12-31T19:00:00-05:00"), 1798761600);
  EXPECT_EQ(*ParseRfc3339("2027-01-01T00:00:00.999Z"), 1798761600);
  EXPECT_EQ(FormatRfc3339(1798761600), "2027-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(*ParseRfc3339(FormatRfc3339(1234567890)), 1234567890);
}

TEST(Rfc3339Test, RejectsMalformed) {
  for (const char* text :
       {"", "2027-01-01", "2027-01-01 00:00:00Z", "2027-01-01T00:00:00", "2027-13-01T00:00:00Z",
        "2027-02-29T00:00:00Z", "2027-01-01T24:00:00Z", "2027-01-01T00:60:00Z",
        "2027-01-01T00:00:00+2:00", "2027-01-01T00:00:00Zjunk", "27-01-01T00:00:00Z",
        "2027-01-01T00:00:00.Z"}) {
    EXPECT_FALSE(ParseRfc3339(text).ok()) << text;
  }
  EXPECT_TRUE(ParseRfc3339("2028-02-29T00:00:00Z").ok());
}

}  // namespace
}  // namespace cmk

namespace cmk {
namespace {

TEST(UrlEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(UrlEncode("AZaz09-_.~"), "AZaz09-_.~");
  EXPECT_EQ(UrlEncode("principalId eq 'a/b'"), "principalId%20eq%20%27a%2Fb%27");
  EXPECT_EQ(UrlEncode("a+b&c=d?"), "a%2Bb%26c%3Dd%3F");
  EXPECT_EQ(UrlEncode("\xc3\xa9"), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(UrlEncode(""), "");
}

TEST(HttpDateTest, FormatsImfFixdate) {
  EXPECT_EQ(FormatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");  // RFC 9110's example
  EXPECT_EQ(FormatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(FormatHttpDate(*ParseRfc3339("2028-02-29T23:59:59Z")), "Tue, 29 Feb 2028 23:59:59 GMT");
}

TEST(HttpDateTest, ParsesWhatItFormats) {
  for (int64_t t : {int64_t{0}, int64_t{784111777}, int64_t{1795392000}, int64_t{4102444799}})
    EXPECT_EQ(ParseHttpDate(FormatHttpDate(t)), t) << FormatHttpDate(t);
}

TEST(HttpDateTest, RejectsOtherForms) {
  for (const char* bad : {"", "soon", "Sunday, 06-Nov-94 08:49:37 GMT", "Sun Nov  6 08:49:37 1994",
                          "Mon, 06 Nov 1994 08:49:37 GMT" /* wrong weekday */,
                          "Sun, 31 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:49:37 GMT",
                          "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 06 Xyz 1994 08:49:37 GMT"})
    EXPECT_FALSE(ParseHttpDate(bad)) << bad;
}

}  // namespace
}  // namespace cmk
