// The HTML report: self-contained, escaped, one timeline per applied key,
// the same bytes for the same page, and rehearsal adoptions at their dates.
#include "cli/views/report_view.h"

#include <gtest/gtest.h>

#include "base/duration.h"
#include "cli/views/report_page.h"

namespace cmk {
namespace {

constexpr int64_t kDay = 86400;
const int64_t kStart = *ParseRfc3339("2027-01-01T00:00:00Z");
const std::string kV1(32, 'a'), kV2(32, 'b');

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1))
    ++n;
  return n;
}

ReportKey LedgerKey() {
  ReportKey k;
  k.address = "key/ledger";
  k.vault = "bank-kv";
  k.name = "ledger";
  k.type = "RSA-HSM 3072";
  k.policy = "rotate P1Y after create";
  ReportVersion v1;
  v1.version = kV1;
  v1.created = kStart;
  v1.expires = kStart + 730 * kDay;
  v1.enabled = false;
  v1.disabled = kStart + 367 * kDay;
  v1.adoptions.push_back({"storage/ledger01", kStart, false, false});
  ReportVersion v2;
  v2.version = kV2;
  v2.created = kStart + 365 * kDay;
  v2.expires = kStart + 1095 * kDay;
  v2.adoptions.push_back({"storage/ledger01", kStart + 366 * kDay, true, false});
  k.versions = {v1, v2};
  k.upcoming.push_back({kStart + 730 * kDay, "rotation", "rotateAfterCreate P1Y"});
  return k;
}

ReportPage BankPage() {
  ReportPage page;
  page.title = "Key report";
  page.target = "sandbox: .cmkctl/";
  page.now = kStart + 400 * kDay;
  page.manifests = {"manifests/bank/vault.yaml"};
  page.vaults = 1;
  page.keys.push_back(LedgerKey());
  return page;
}

TEST(ReportView, EscapesEveryNameFromManifestsAndTarget) {
  const std::string evil = "<script>alert(1)</script>";
  ReportPage page = BankPage();
  page.target = "sandbox: " + evil;
  page.manifests = {"dir/" + evil + ".yaml"};
  ReportKey& k = page.keys[0];
  k.address = "key/" + evil;
  k.vault = "kv\"><img src=x onerror=alert(2)>";
  k.type = evil;
  k.policy = evil;
  k.tags = {{"note", evil}, {evil, "v"}};
  k.versions[1].adoptions[0].consumer = "storage/" + evil;
  k.upcoming[0].detail = evil;
  k.findings.push_back({"stale" + evil, evil, "message " + evil});
  page.policy.push_back({evil, evil, evil, evil, evil, 3});
  std::string html = RenderReportHtml(page);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("\"><img"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(html.find("kv&quot;&gt;&lt;img"), std::string::npos);
  // Only the page's own two inline scripts.
  EXPECT_EQ(Count(html, "<script"), 2u);
  EXPECT_EQ(Count(html, "</script>"), 2u);
}

TEST(ReportView, HtmlEscape) {
  EXPECT_EQ(HtmlEscape("a&b<c>\"d'e"), "a&amp;b&lt;c&gt;&quot;d&#39;e");
  EXPECT_EQ(HtmlEscape("plain-name_01"), "plain-name_01");
}

TEST(ReportView, OneTimelinePerAppliedKey) {
  ReportPage page = BankPage();
  ReportKey second = LedgerKey();
  second.address = "key/reports";
  page.keys.push_back(second);
  ReportKey absent;
  absent.address = "key/not-applied";
  absent.present = false;
  page.keys.push_back(absent);
  std::string html = RenderReportHtml(page);
  EXPECT_EQ(Count(html, "<svg class=\"timeline\""), 2u);
  EXPECT_NE(html.find("aria-label=\"version timeline of key/ledger\""), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"version timeline of key/reports\""), std::string::npos);
  EXPECT_NE(html.find("Not in the target yet"), std::string::npos);
  // A bar per version, labelled with its short id and state.
  EXPECT_EQ(Count(html, "<g data-v=\"" + kV1 + "\">"), 2u);
  EXPECT_NE(html.find("v1</tspan> aaaaaaaa</text>"), std::string::npos);
  EXPECT_NE(html.find(">disabled</text>"), std::string::npos);
  EXPECT_NE(html.find(">active</text>"), std::string::npos);
  // A lane per consumer: which version it was on when.
  EXPECT_EQ(Count(html, ">CONSUMERS ON</text>"), 2u);
  EXPECT_NE(html.find("storage/ledger01 on v2 (bbbbbbbb) from 2028-01-02T00:00:00Z to now"),
            std::string::npos);
}

TEST(ReportView, SameBytesForTheSamePageAndNothingToFetch) {
  std::string a = RenderReportHtml(BankPage());
  std::string b = RenderReportHtml(BankPage());
  EXPECT_EQ(a, b);
  EXPECT_NE(a.find("default-src 'none'"), std::string::npos);
  EXPECT_EQ(a.find("src="), std::string::npos);
  EXPECT_EQ(a.find("href="), std::string::npos);
  EXPECT_EQ(a.find("url("), std::string::npos);
  EXPECT_EQ(a.find("@import"), std::string::npos);
  // The only time on the page is the target's.
  EXPECT_NE(a.find("2028-02-05T00:00:00Z"), std::string::npos);
  EXPECT_NE(a.find("document.body.dataset.rendered"), std::string::npos);
}

// A SQL server adopts an hour after the version, a storage account a day
// after: on a scale of years they share one dot and one label (two labels
// a pixel apart would overlap); the tooltip keeps each time.
TEST(ReportView, AdoptionsAPixelApartShareOneLabel) {
  ReportPage page = BankPage();
  auto& adoptions = page.keys[0].versions[1].adoptions;
  adoptions.clear();
  adoptions.push_back({"sql/ledger-sql", kStart + 365 * kDay + 3600, true, false});
  adoptions.push_back({"storage/ledger01", kStart + 366 * kDay, true, false});
  adoptions.push_back({"storage/ledger02", kStart + 366 * kDay, true, false});
  adoptions.push_back({"des/far-later", kStart + 390 * kDay, true, false});
  std::string html = RenderReportHtml(page);
  EXPECT_NE(html.find(">ledger-sql, ledger01, ledger02</text>"), std::string::npos) << html;
  EXPECT_NE(html.find("<title>ledger-sql adopted it 2028-01-01T01:00:00Z; ledger01, ledger02 adopted it "
                      "2028-01-02T00:00:00Z</title>"),
            std::string::npos);
  EXPECT_NE(html.find(">far-later</text>"), std::string::npos);  // weeks later: its own dot
}

TEST(ReportView, PolicyResultsOrTheirAbsence) {
  ReportPage page = BankPage();
  EXPECT_NE(RenderReportHtml(page).find("No policy in the manifests."), std::string::npos);
  page.policies = 2;  // policies whose rules all hold
  EXPECT_NE(RenderReportHtml(page).find("Every rule of the manifests' 2 policies holds."), std::string::npos);
  page.policy.push_back(
      {"CMK001", "error", "key/ledger", "keys must rotate yearly", "posture.yaml", 12});
  std::string html = RenderReportHtml(page);
  EXPECT_EQ(html.find("No policy in the manifests."), std::string::npos);
  EXPECT_NE(html.find("posture.yaml:12"), std::string::npos);
  EXPECT_NE(html.find("CMK001"), std::string::npos);
}

TEST(ReportView, RehearsalVerdictIsProminent) {
  ReportPage page = BankPage();
  page.rehearsal = ReportRehearsal{};
  page.rehearsal->start = kStart;
  page.rehearsal->end = page.now;
  EXPECT_NE(RenderReportHtml(page).find("PASS: 0 violations, 0 outages"), std::string::npos);
  page.rehearsal->violations.push_back(
      {kStart + 10 * kDay, "storage/ledger01", "consumer inaccessible"});
  page.rehearsal->outages = 1;
  std::string html = RenderReportHtml(page);
  EXPECT_NE(html.find("FAIL: 1 violation, 1 outage"), std::string::npos);
  EXPECT_LT(html.find("id=\"verdict\""), html.find("<svg class=\"timeline\""));
}

TEST(ReportPage, RehearsalAdoptionsAtTheirSimulatedTimes) {
  ReportPage page = BankPage();
  page.keys[0].versions[1].adoptions.clear();
  page.keys[0].versions[0].adoptions.clear();
  RehearsalReport report;
  report.start = kStart;
  report.end = page.now;
  int64_t adopted = kStart + 366 * kDay;
  report.timeline.push_back({kStart + 365 * kDay, "key.rotate", "key/bank-kv/ledger", "rotated", 0, 0});
  report.timeline.push_back({adopted, "storage.adopt", "storage/ledger01",
                             "adopted version " + kV2 +
                                 " of key 'ledger' in vault 'bank-kv' (automatic "
                                 "version update; was " +
                                 kV1 + ")",
                             0, 0});
  report.timeline.push_back({adopted + kDay, "apply.disable-version", "key/ledger", "ok", 0, 0});
  report.timeline.push_back({kStart + 2 * kDay, "key.update-version", "key/bank-kv/ledger",
                             "updated version " + kV1 + " (disabled)", 0, 0});
  report.timeline.push_back({kStart + 3 * kDay, "key.update-version", "key/bank-kv/ledger",
                             "updated version " + kV1 + " (enabled)", 0, 0});
  AddRehearsal(page, report, RehearsalSpec{"P3Y", "P1D", {}}, "a copy of sb");
  ASSERT_TRUE(page.rehearsal.has_value());
  EXPECT_EQ(page.target, "a copy of sb");  // not the throwaway copy's directory
  EXPECT_EQ(page.rehearsal->rotations, 1);
  EXPECT_EQ(page.rehearsal->adoptions, 1);
  EXPECT_EQ(page.rehearsal->retirements, 1);
  const auto& on_v2 = page.keys[0].versions[1].adoptions;
  ASSERT_EQ(on_v2.size(), 1u);
  EXPECT_EQ(on_v2[0].consumer, "storage/ledger01");
  EXPECT_EQ(on_v2[0].time, adopted);
  const auto& on_v1 = page.keys[0].versions[0].adoptions;
  ASSERT_EQ(on_v1.size(), 1u);
  EXPECT_FALSE(on_v1[0].time.has_value());
  // Disabled for a day, then enabled again.
  const auto& off = page.keys[0].versions[0].off;
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].from, kStart + 2 * kDay);
  EXPECT_EQ(off[0].to, kStart + 3 * kDay);
  EXPECT_NE(
      RenderReportHtml(page).find("disabled 2027-01-03T00:00:00Z, enabled again 2027-01-04T00:00:00Z"),
      std::string::npos);
}

}  // namespace
}  // namespace cmk
