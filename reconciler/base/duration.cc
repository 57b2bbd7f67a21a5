#include "base/duration.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace cmk {
namespace {

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

Status BadDuration(const std::string& text) {
  return InvalidArgument("malformed ISO-8601 duration '" + text +
                         "' (write it like P90D, P1Y, P1Y6M, PT12H)");
}

// Reads exactly `n` digits at text[pos].
bool Digits(const std::string& text, size_t pos, size_t n, int& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
    out = out * 10 + (text[i] - '0');
  }
  return true;
}

}  // namespace

// Howard Hinnant's civil-date algorithms (public domain): days since
// 1970-01-01 <-> proleptic Gregorian date.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

Result<IsoDuration> ParseIsoDuration(const std::string& text) {
  if (text.size() < 2 || text[0] != 'P') return BadDuration(text);
  IsoDuration d;
  d.text = text;
  static constexpr char kDateUnits[] = "YMWD";
  static constexpr char kTimeUnits[] = "HMS";
  int* date_fields[] = {&d.years, &d.months, &d.weeks, &d.days};
  int* time_fields[] = {&d.hours, &d.minutes, &d.seconds};
  bool in_time = false;
  int next_unit = 0;  // index of the next allowed designator in the current part
  bool any = false;
  bool any_time = false;
  size_t i = 1;
  while (i < text.size()) {
    if (text[i] == 'T') {
      if (in_time) return BadDuration(text);
      in_time = true;
      next_unit = 0;
      ++i;
      continue;
    }
    size_t start = i;
    int64_t value = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      value = value * 10 + (text[i] - '0');
      if (value > 1000000) return BadDuration(text);
      ++i;
    }
    if (i == start || i == text.size()) return BadDuration(text);
    const char* units = in_time ? kTimeUnits : kDateUnits;
    int n_units = in_time ? 3 : 4;
    int unit = -1;
    for (int u = next_unit; u < n_units; ++u)
      if (units[u] == text[i]) unit = u;
    if (unit < 0) return BadDuration(text);
    (in_time ? time_fields : date_fields)[unit][0] = static_cast<int>(value);
    next_unit = unit + 1;
    any = true;
    any_time = any_time || in_time;
    ++i;
  }
  if (!any || (in_time && !any_time)) return BadDuration(text);
  return d;
}

int64_t ApproxSeconds(const IsoDuration& d) {
  constexpr int64_t kDay = 86400;
  return d.years * 365 * kDay + d.months * 30 * kDay + d.weeks * 7 * kDay + d.days * kDay +
         d.hours * int64_t{3600} + d.minutes * int64_t{60} + d.seconds;
}

int64_t AddDuration(int64_t unix_seconds, const IsoDuration& d) {
  int64_t days = FloorDiv(unix_seconds, 86400);
  int64_t secs_of_day = unix_seconds - days * 86400;
  int64_t y;
  unsigned m, day;
  CivilFromDays(days, y, m, day);
  int64_t month_index = y * 12 + (m - 1) + d.years * int64_t{12} + d.months;
  y = FloorDiv(month_index, 12);
  m = static_cast<unsigned>(month_index - y * 12) + 1;
  if (day > DaysInMonth(y, m)) day = DaysInMonth(y, m);
  days = DaysFromCivil(y, m, day) + d.weeks * int64_t{7} + d.days;
  return days * 86400 + secs_of_day + d.hours * int64_t{3600} + d.minutes * int64_t{60} + d.seconds;
}

Result<int64_t> ParseRfc3339(const std::string& text) {
  auto bad = [&] {
    return InvalidArgument("malformed RFC 3339 timestamp '" + text +
                           "' (write it like 2027-01-01T00:00:00Z)");
  };
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || !Digits(text, 0, 4, year) || text[4] != '-' ||
      !Digits(text, 5, 2, month) || text[7] != '-' || !Digits(text, 8, 2, day) ||
      (text[10] != 'T' && text[10] != 't') || !Digits(text, 11, 2, hour) || text[13] != ':' ||
      !Digits(text, 14, 2, minute) || text[16] != ':' || !Digits(text, 17, 2, second))
    return bad();
  if (month < 1 || month > 12 || day < 1 || day > static_cast<int>(DaysInMonth(year, month)) ||
      hour > 23 || minute > 59 || second > 59)
    return bad();
  size_t i = 19;
  if (text[i] == '.') {
    ++i;
    size_t start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
    if (i == start) return bad();
  }
  int64_t offset = 0;
  if (i < text.size() && (text[i] == 'Z' || text[i] == 'z')) {
    ++i;
  } else if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
    int oh, om;
    if (!Digits(text, i + 1, 2, oh) || i + 3 >= text.size() || text[i + 3] != ':' ||
        !Digits(text, i + 4, 2, om) || oh > 23 || om > 59)
      return bad();
    offset = (oh * 3600 + om * 60) * (text[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return bad();
  }
  if (i != text.size()) return bad();
  return DaysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
}

std::string FormatRfc3339(int64_t unix_seconds) {
  int64_t days = FloorDiv(unix_seconds, 86400);
  int64_t rem = unix_seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m,
                d, static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60));
  return buf;
}

namespace {
constexpr const char* kWeekdays[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};  // day 0 = Thu
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
}  // namespace

std::string FormatHttpDate(int64_t unix_seconds) {
  int64_t days = FloorDiv(unix_seconds, 86400);
  int64_t rem = unix_seconds - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  int64_t weekday = ((days % 7) + 7) % 7;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s, %02u %s %04lld %02lld:%02lld:%02lld GMT", kWeekdays[weekday], d,
                kMonths[m - 1], static_cast<long long>(y), static_cast<long long>(rem / 3600),
                static_cast<long long>(rem % 3600 / 60), static_cast<long long>(rem % 60));
  return buf;
}

std::optional<int64_t> ParseHttpDate(const std::string& text) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters.
  if (text.size() != 29 || text.compare(3, 2, ", ") != 0 || text[7] != ' ' || text[11] != ' ' ||
      text[16] != ' ' || text[19] != ':' || text[22] != ':' || text.compare(25, 4, " GMT") != 0)
    return std::nullopt;
  int day, year, hour, minute, second;
  if (!Digits(text, 5, 2, day) || !Digits(text, 12, 4, year) || !Digits(text, 17, 2, hour) ||
      !Digits(text, 20, 2, minute) || !Digits(text, 23, 2, second))
    return std::nullopt;
  unsigned month = 0;
  for (unsigned i = 0; i < 12; ++i)
    if (text.compare(8, 3, kMonths[i]) == 0) month = i + 1;
  if (month == 0 || day < 1 || day > static_cast<int>(DaysInMonth(year, month)) || hour > 23 ||
      minute > 59 || second > 60)
    return std::nullopt;
  int64_t days = DaysFromCivil(year, month, static_cast<unsigned>(day));
  int64_t weekday = ((days % 7) + 7) % 7;
  if (text.compare(0, 3, kWeekdays[weekday]) != 0) return std::nullopt;
  return days * 86400 + hour * 3600 + minute * 60 + std::min(second, 59);
}

}  // namespace cmk
