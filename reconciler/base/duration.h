// ISO-8601 durations and RFC 3339 timestamps, as used by Key Vault.
//
// Rotation policies speak ISO-8601 durations ("P90D", "P1Y2M", "PT12H") and
// key attributes carry RFC 3339 timestamps ("2027-01-01T00:00:00Z"). Parsing
// is strict: upper-case designators, integer components, no fractions, no
// negative values. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"

namespace cmk {

// PnYnMnWnDTnHnMnS. `text` is the duration as written (already canonical,
// since parsing accepts only the canonical upper-case spelling).
struct IsoDuration {
  int years = 0;
  int months = 0;
  int weeks = 0;
  int days = 0;
  int hours = 0;
  int minutes = 0;
  int seconds = 0;
  std::string text;
};

// Accepts "P1Y", "P90D", "PT12H", "P1Y2M", "P2W", "P1DT12H"; rejects "P",
// "PT", "90D", "p90d", "P1.5D", "P-1D", "P1D2Y" (out of order), "P1DT".
Result<IsoDuration> ParseIsoDuration(const std::string& text);

// Approximate length for comparisons and minimums, with the same
// approximations Key Vault documents: a year is 365 days, a month 30 days,
// a week 7 days.
int64_t ApproxSeconds(const IsoDuration& d);

// Calendar-correct addition in UTC: years and months move the calendar date
// (clamping the day to the end of the month: Jan 31 + P1M = Feb 28/29), then
// weeks, days and the time part are added as exact seconds.
int64_t AddDuration(int64_t unix_seconds, const IsoDuration& d);

// "2027-01-01T00:00:00Z", "2027-01-01T02:00:00+02:00", optional fractional
// seconds (truncated). Returns unix seconds.
Result<int64_t> ParseRfc3339(const std::string& text);
// Always UTC with a "Z" suffix and no fraction: "2027-01-01T00:00:00Z".
std::string FormatRfc3339(int64_t unix_seconds);

// Days since 1970-01-01 <-> proleptic Gregorian date (month and day 1-based).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d);

// HTTP dates (RFC 9110 section 5.6.7), as in the Date and Retry-After
// headers: "Sun, 06 Nov 1994 08:49:37 GMT" (IMF-fixdate). Parsing takes
// that form only, independent of the locale; nullopt for anything else.
std::string FormatHttpDate(int64_t unix_seconds);
std::optional<int64_t> ParseHttpDate(const std::string& text);

}  // namespace cmk
