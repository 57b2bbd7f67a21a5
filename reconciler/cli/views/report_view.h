// The HTML report (`cmkctl report`, `cmkctl rehearse --format html`): one
// self-contained page for people who audit keys: a header (target, the
// target's clock, manifests, counts), per key an inline SVG timeline of its
// versions with adoption, rotation and expiry marks and a table of upcoming
// dates, the inventory findings, policy results and, for a rehearsal, its
// verdict. The page fetches nothing (inline CSS and SVG, a tiny inline
// script; a Content-Security-Policy forbids any load) and everything taken
// from manifests or the target is HTML-escaped.
//
// Pure: a ReportPage in, a string out; no I/O, no wall clock (the only time
// on the page is the page's own `now`), same bytes for the same page. What
// goes into a page is decided in report_page.h. Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "engine/plan/plan_versions.h"

namespace cmk {

// One result of a posture policy rule (engine/policy/posture.h); an empty
// list says "no policy in the manifests".
struct PolicyResult {
  std::string rule;      // rule id
  std::string severity;  // "error", "warning", "info"
  std::string address;   // the resource it is about
  std::string message;
  std::string file;  // the manifest of the object it is about
  int line = 0;
};

// A consumer on a version: when it adopted the version, where known.
struct ReportAdoption {
  std::string consumer;  // "storage/NAME"
  std::optional<int64_t> time;
  bool current = false;  // still on this version at `now`
  bool pinned = false;
};

struct ReportVersion {
  std::string version;  // 32 hex
  int64_t created = 0;
  std::optional<int64_t> expires;
  bool enabled = true;
  std::optional<int64_t> disabled;  // when it was disabled, where known
  // Times it was disabled and enabled again (a rehearsal's timeline knows them).
  struct Span {
    int64_t from = 0, to = 0;
  };
  std::vector<Span> off;
  std::vector<ReportAdoption> adoptions;  // by time (unknown first), then consumer
};

// A date ahead: "rotation", "notify" or "expiry".
struct ReportUpcoming {
  int64_t time = 0;
  std::string what;
  std::string detail;  // "rotateAfterCreate P1Y", "version 3f2a…"
};

struct ReportKey {
  std::string address;  // key/NAME
  std::string vault;    // the vault's name in Azure
  std::string name;     // the key's name in Azure
  std::string type;     // "RSA 3072", "EC P-256"
  std::string policy;   // "rotate P1Y after create, expire after P2Y", "no rotation policy"
  std::map<std::string, std::string> tags;  // the key's tags (live, else as declared)
  bool present = true;                      // false: not applied yet (no versions)
  std::vector<ReportVersion> versions;      // oldest first
  std::vector<ReportUpcoming> upcoming;     // by time
  std::vector<Finding> findings;
};

struct ReportRehearsal {
  std::string source;  // "a copy of .cmkctl/"
  std::string until, step;
  int64_t start = 0, end = 0;
  int steps = 0;
  int rotations = 0, adoptions = 0, retirements = 0;
  // Violations: a consumer that lost access (time, consumer, what happened).
  struct Violation {
    int64_t time = 0;
    std::string object, message;
  };
  std::vector<Violation> violations;
  int outages = 0;  // distinct consumers that lost access
};

struct ReportPage {
  std::string title;   // "Key report", "Rehearsal report"
  std::string target;  // "sandbox: .cmkctl/"; a rehearsal: "a copy of .cmkctl/"
  int64_t now = 0;     // the target's clock (a rehearsal: its end)
  std::vector<std::string> manifests;
  int vaults = 0, bindings = 0;
  std::vector<ReportKey> keys;  // by address
  std::vector<PolicyResult> policy;
  int policies = 0;  // Policy documents in the manifests (0: "no policy", else "every rule holds")
  std::optional<ReportRehearsal> rehearsal;
};

std::string RenderReportHtml(const ReportPage& page);

// "&lt;script&gt;": text safe in HTML (and SVG) content and quoted attributes.
std::string HtmlEscape(std::string_view text);

}  // namespace cmk
