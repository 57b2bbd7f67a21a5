// `cmkctl rehearse`: runs the scheduled pipeline (plan + auto-approved apply)
// on a COPY of the sandbox while its simulated clock moves step by step, and
// checks at every step that no consumer lost access to its key (a version
// disabled, expired or deleted while in use shows up as an access incident).
// Each pipeline run applies with the plan's hooks, as `apply` does (a hook
// that waits advances the copy's simulated clock). Prints a timeline of
// rotations, adoptions, retirements, hook results and incidents and a
// verdict; exit 1 on any violation. The original sandbox is never touched.
// With --target azure the copy is a snapshot of the live inventory the
// manifests reference, read (never written) through the REST provider and
// restored into a temporary sandbox (live_snapshot.h); the rehearsal itself is
// the same.
#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/duration.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/hook_host.h"
#include "cli/live_snapshot.h"
#include "cli/planning.h"
#include "engine/apply/apply.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

struct Entry {
  int64_t time = 0;
  std::string kind;
  std::string object;
  std::string message;
  int repeats = 0;  // the same pipeline outcome again at later steps
  int64_t last = 0;
};

struct Injection {
  int64_t at = 0;
  std::string key;     // key name
  std::string prefix;  // version prefix
  bool done = false;
};

Result<Injection> ParseInjection(const std::string& text, int64_t start) {
  // disable key/NAME/versions/PREFIX@DURATION
  const std::string verb = "disable key/";
  size_t at = text.rfind('@');
  size_t versions = text.find("/versions/");
  if (text.rfind(verb, 0) != 0 || at == std::string::npos || versions == std::string::npos ||
      versions > at)
    return InvalidArgument("--inject '" + text +
                           "': expected \"disable key/NAME/versions/PREFIX@DURATION\"");
  Injection i;
  i.key = text.substr(verb.size(), versions - verb.size());
  i.prefix = text.substr(versions + 10, at - versions - 10);
  CMK_ASSIGN_OR_RETURN(IsoDuration d, ParseIsoDuration(text.substr(at + 1)));
  i.at = AddDuration(start, d);
  return i;
}

Result<std::string> CopySandbox(const std::string& from) {
  if (!fs::exists(fs::path(from) / "sandbox.db"))
    return NotFound("no sandbox in " + from + " (run `cmkctl sandbox init` or --sandbox DIR)");
  CMK_ASSIGN_OR_RETURN(std::string tmpl, NewRehearsalDir());
  std::error_code ec;
  fs::copy(from, tmpl, fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
  if (ec) return Internal("cannot copy the sandbox: " + ec.message());
  return tmpl;
}

bool Interesting(const std::string& kind) {
  static const std::set<std::string> kKeep = {
      "key.rotate", "key.new-version", "key.notify", "key.expired", "key.update-version",
      "storage.adopt", "storage.inaccessible", "storage.accessible", "storage.update-encryption"};
  return kKeep.count(kind) || kind.rfind("storage.", 0) == 0;
}

class Rehearsal {
 public:
  Rehearsal(const GlobalOptions& global, const RehearseArgs& args) : global_(global), args_(args) {}

  int Run() {
    if (global_.target == "azure") {
      std::optional<int64_t> at;
      if (!args_.snapshot_time.empty()) {
        auto t = ParseRfc3339(args_.snapshot_time);
        if (!t.ok()) return Fail(t.status().WithContext("--snapshot-time"));
        at = *t;
      }
      auto snapshot = SnapshotToSandbox(global_, at, std::cerr);
      if (!snapshot.ok()) return Fail(snapshot.status());
      dir_ = snapshot->dir;
      source_ = "a snapshot of " + snapshot->target;
      std::cerr << "Read a snapshot of " << snapshot->target << " (read-only) as of "
                << FormatRfc3339(snapshot->time) << " into a temporary sandbox.\n";
    } else {
      if (!args_.snapshot_time.empty())
        return Fail(InvalidArgument(
            "--snapshot-time is for --target azure: a sandbox copy starts at the sandbox's clock"));
      auto dir = CopySandbox(ResolveSandboxDir(global_));
      if (!dir.ok()) return Fail(dir.status());
      dir_ = *dir;
      source_ = "a copy of " + ResolveSandboxDir(global_);
    }
    int code = RunIn();
    std::error_code ec;
    fs::remove_all(dir_, ec);
    return code;
  }

 private:
  int Fail(const Status& s) {
    std::cerr << "error: " << s.message() << "\n";
    return kExitError;
  }

  int RunIn() {
    auto opened = SandboxProvider::Open(dir_);
    if (!opened.ok()) return Fail(opened.status());
    SandboxProvider& provider = **opened;
    SandboxCloud& cloud = provider.cloud();
    auto simulated = cloud.ClockIsSimulated();
    if (!simulated.ok()) return Fail(simulated.status());
    if (!*simulated) {
      if (Status s = cloud.SetClock(cloud.Now()); !s.ok()) return Fail(s);
    }
    start_ = cloud.Now();
    auto until = ParseIsoDuration(args_.until);
    if (!until.ok()) return Fail(until.status().WithContext("--until"));
    if (auto step = ParseIsoDuration(args_.step); !step.ok())
      return Fail(step.status().WithContext("--step"));
    int64_t end = AddDuration(start_, *until);
    std::vector<Injection> injections;
    for (const auto& text : args_.inject) {
      auto i = ParseInjection(text, start_);
      if (!i.ok()) return Fail(i.status());
      injections.push_back(*i);
    }
    auto events = cloud.ListEvents();
    if (!events.ok()) return Fail(events.status());
    for (const auto& e : *events) last_seq_ = std::max(last_seq_, e.seq);
    auto incidents = cloud.ListIncidents();
    if (!incidents.ok()) return Fail(incidents.status());
    for (const auto& i : *incidents) seen_incidents_.insert(i.account + "@" + std::to_string(i.since));
    GlobalOptions copy = global_;
    copy.target = "sandbox";
    copy.sandbox_dir = dir_;
    Pipeline(copy, provider);  // the pipeline's first run, at the start
    while (cloud.Now() < end) {
      if (Status s = cloud.AdvanceClockBy(args_.step); !s.ok()) return Fail(s);
      ++steps_;
      for (auto& i : injections)
        if (!i.done && i.at <= cloud.Now()) Inject(i, provider);
      Drain(cloud);
      Pipeline(copy, provider);
      Drain(cloud);
      Check(cloud);
    }
    Print(cloud.Now());
    return violations_.empty() ? kExitOk : kExitError;
  }

  void Inject(Injection& i, SandboxProvider& provider) {
    i.done = true;
    auto desired = LoadDesired(global_, errors_);
    std::string vault;
    if (desired.ok())
      for (const auto& [address, k] : desired->keys)
        if (k.value.name == i.key) vault = k.value.vault;
    auto key = provider.GetKey(KeyRef{vault, i.key});
    if (vault.empty() || !key.ok() || !*key) {
      Note(provider.Now(), "inject", "key/" + i.key, "key not found: injection skipped");
      return;
    }
    for (const auto& v : (*key)->versions) {
      if (v.version.rfind(i.prefix, 0) != 0) continue;
      KeyVersionState attrs = v;
      attrs.enabled = false;
      Status s = provider.UpdateKeyVersion(UpdateKeyVersion{KeyRef{vault, i.key}, attrs});
      Note(provider.Now(), "inject", "key/" + i.key + "/versions/" + v.version,
           s.ok() ? "manual disable of version " + v.version : "manual disable failed: " + s.message());
      return;
    }
    Note(provider.Now(), "inject", "key/" + i.key, "no version starts with " + i.prefix);
  }

  void Pipeline(const GlobalOptions& copy, SandboxProvider& provider) {
    std::ostringstream diag;
    auto plan = ComputePlan(copy, PlanFlags{}, provider, diag);
    if (!plan.ok()) {
      Note(provider.Now(), "plan", "", "plan failed: " + plan.status().message());
      return;
    }
    for (const auto& e : plan->errors) {
      std::string line = e.address + ": " + e.message;
      if (reported_plan_errors_.insert(line).second) Note(provider.Now(), "plan.error", e.address, e.message);
    }
    for (const auto& k : plan->keys)
      for (const auto& b : k.blocked)
        if (reported_blocked_.insert(k.address + b).second) Note(provider.Now(), "plan.blocked", k.address, b);
    if (plan->HasErrors() || !plan->HasChanges()) return;
    SandboxClock clock(provider.cloud());
    ApplyResult result = ApplyWithHooks(*plan, provider, clock, nullptr);
    for (const auto& r : result.report) {
      for (const auto& h : r.hooks)
        Note(provider.Now(), "hook." + h.phase, r.address,
             h.message + (!h.ok && h.on_failure == "warn" ? " (warning only)" : ""));
      Note(provider.Now(), std::string("apply.") + ActionName(r.action), r.address,
           std::string(OutcomeName(r.outcome)) + (r.reason.empty() ? "" : ": " + r.reason));
    }
  }

  void Drain(SandboxCloud& cloud) {
    EventFilter f;
    f.after_seq = last_seq_;
    auto events = cloud.ListEvents(f);
    if (!events.ok()) return;
    for (const auto& e : *events) {
      last_seq_ = std::max(last_seq_, e.seq);
      if (Interesting(e.kind)) Note(e.time, e.kind, e.object, e.message);
    }
  }

  void Check(SandboxCloud& cloud) {
    auto incidents = cloud.ListIncidents();
    if (!incidents.ok()) return;
    for (const auto& i : *incidents) {
      if (!seen_incidents_.insert(i.account + "@" + std::to_string(i.since)).second) continue;
      Entry v{i.since, "violation", "storage/" + i.account,
              "consumer inaccessible since " + FormatRfc3339(i.since) + ": " + i.cause};
      violations_.push_back(v);
      timeline_.push_back(v);
    }
  }

  // A pipeline outcome that repeats step after step (a hook refusing the same
  // change every day) is one line with a count, not a line per step.
  void Note(int64_t t, const std::string& kind, const std::string& object, const std::string& msg) {
    bool pipeline = kind.rfind("hook.", 0) == 0 || kind.rfind("apply.", 0) == 0;
    if (pipeline) {
      auto [it, fresh] = pipeline_lines_.emplace(kind + "\n" + object + "\n" + msg, timeline_.size());
      if (!fresh) {
        ++timeline_[it->second].repeats;
        timeline_[it->second].last = t;
        return;
      }
    }
    timeline_.push_back(Entry{t, kind, object, msg, 0, 0});
  }

  static std::string Repeats(const Entry& e) {
    if (e.repeats == 0) return "";
    return " (again at " + std::to_string(e.repeats) + " later step" + (e.repeats == 1 ? "" : "s") +
           ", last " + FormatRfc3339(e.last) + ")";
  }

  void Print(int64_t now) {
    pipeline_lines_.clear();  // indices into timeline_, invalid once sorted
    std::stable_sort(timeline_.begin(), timeline_.end(),
                     [](const Entry& a, const Entry& b) { return a.time < b.time; });
    if (args_.format == "json") {
      Json tl = Json::array(), vs = Json::array();
      for (const auto& e : timeline_) {
        Json j{{"time", FormatRfc3339(e.time)}, {"kind", e.kind}, {"object", e.object},
               {"message", e.message}};
        if (e.repeats > 0) {
          j["repeats"] = e.repeats;
          j["last"] = FormatRfc3339(e.last);
        }
        tl.push_back(j);
      }
      for (const auto& e : violations_)
        vs.push_back(Json{{"time", FormatRfc3339(e.time)}, {"object", e.object}, {"message", e.message}});
      Json out{{"source", source_}, {"start", FormatRfc3339(start_)},
               {"end", FormatRfc3339(now)}, {"steps", steps_}, {"until", args_.until},
               {"step", args_.step}, {"timeline", tl}, {"violations", vs},
               {"verdict", violations_.empty() ? "pass" : "fail"}};
      std::cout << out.dump(2) << "\n";
      return;
    }
    std::cout << "Rehearsal on " << source_ << ": " << FormatRfc3339(start_) << " -> "
              << FormatRfc3339(now) << " (" << steps_ << " steps of " << args_.step << ")\n\n";
    for (const auto& e : timeline_)
      std::cout << FormatRfc3339(e.time) << "  " << e.kind << "  " << e.object
                << (e.object.empty() ? "" : "  ") << e.message << Repeats(e) << "\n";
    if (violations_.empty()) {
      std::cout << "\nVerdict: PASS, 0 violations: no consumer lost access to its key.\n";
      return;
    }
    std::cout << "\nVerdict: FAIL, " << violations_.size() << " violation(s):\n";
    for (const auto& v : violations_)
      std::cout << "  " << FormatRfc3339(v.time) << "  " << v.object << ": " << v.message << "\n";
  }

  const GlobalOptions& global_;
  const RehearseArgs& args_;
  std::string dir_;
  std::string source_;  // "a copy of DIR" | "a snapshot of azure: URL"
  int64_t start_ = 0;
  int64_t last_seq_ = 0;
  int steps_ = 0;
  std::ostringstream errors_;
  std::vector<Entry> timeline_;
  std::vector<Entry> violations_;
  std::set<std::string> seen_incidents_;
  std::set<std::string> reported_plan_errors_;
  std::set<std::string> reported_blocked_;
  std::map<std::string, size_t> pipeline_lines_;  // kind/object/message -> timeline_ index
};

}  // namespace

int RunRehearse(const GlobalOptions& global, const RehearseArgs& args) {
  return Rehearsal(global, args).Run();
}

}  // namespace cmk
