#include "engine/rehearsal/rehearsal.h"

#include <algorithm>

#include "base/duration.h"
#include "model/consumer.h"

namespace cmk {
namespace {

// The activity-log kinds a rehearsal's timeline keeps.
bool Interesting(const std::string& kind) {
  static const std::set<std::string> kKeep = {"key.rotate", "key.new-version", "key.notify",
                                              "key.expired", "key.update-version"};
  return kKeep.count(kind) > 0 || !ConsumerEventVerb(kind).empty();  // storage.*, sql.*, des.*
}

}  // namespace

Result<Injection> ParseInjection(const std::string& text, int64_t start) {
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

void RehearsalLog::Note(int64_t time, const std::string& kind, const std::string& object,
                        const std::string& message) {
  bool pipeline = kind.rfind("hook.", 0) == 0 || kind.rfind("apply.", 0) == 0;
  if (pipeline) {
    auto [it, fresh] = pipeline_lines_.emplace(kind + "\n" + object + "\n" + message, timeline_.size());
    if (!fresh) {
      ++timeline_[it->second].repeats;
      timeline_[it->second].last = time;
      return;
    }
  }
  timeline_.push_back(RehearsalEntry{time, kind, object, message, 0, 0});
}

void RehearsalLog::NoteOnce(int64_t time, const std::string& kind, const std::string& object,
                            const std::string& message) {
  if (once_.insert(kind + "\n" + object + "\n" + message).second) Note(time, kind, object, message);
}

// The loop, with the state it keeps between steps.
class Rehearser {
 public:
  Rehearser(const DesiredState& desired, Simulation& simulation, Provider& provider,
            const PipelineRun& pipeline)
      : desired_(desired), sim_(simulation), provider_(provider), pipeline_(pipeline) {}

  Result<RehearsalReport> Run(const RehearsalSpec& spec) {
    RehearsalReport report;
    report.start = sim_.Now();
    Result<IsoDuration> until = ParseIsoDuration(spec.until);
    if (!until.ok()) return until.status().WithContext("--until");
    if (auto step = ParseIsoDuration(spec.step); !step.ok()) return step.status().WithContext("--step");
    const int64_t end = AddDuration(report.start, *until);
    std::vector<Injection> injections;
    for (const auto& text : spec.inject) {
      CMK_ASSIGN_OR_RETURN(Injection i, ParseInjection(text, report.start));
      injections.push_back(i);
    }
    // What happened before the rehearsal is not part of it.
    CMK_ASSIGN_OR_RETURN(std::vector<SimulatedEvent> past, sim_.EventsAfter(0));
    for (const auto& e : past) last_seq_ = std::max(last_seq_, e.seq);
    CMK_ASSIGN_OR_RETURN(std::vector<SimulatedIncident> known, sim_.Incidents());
    for (const auto& i : known) seen_incidents_.insert(i.consumer + "@" + std::to_string(i.since));

    pipeline_(log_);  // the pipeline's first run, at the start
    while (sim_.Now() < end) {
      CMK_RETURN_IF_ERROR(sim_.AdvanceBy(spec.step));
      ++report.steps;
      for (auto& i : injections)
        if (!i.done && i.at <= sim_.Now()) Inject(i);
      Drain();
      pipeline_(log_);
      Drain();
      Check(report);
    }
    report.end = sim_.Now();
    log_.pipeline_lines_.clear();  // indices into the timeline, invalid once sorted
    report.timeline = std::move(log_.timeline_);
    std::stable_sort(report.timeline.begin(), report.timeline.end(),
                     [](const RehearsalEntry& a, const RehearsalEntry& b) { return a.time < b.time; });
    return report;
  }

 private:
  void Inject(Injection& i) {
    i.done = true;
    std::string vault;
    for (const auto& [address, k] : desired_.keys)
      if (k.value.name == i.key) vault = k.value.vault;
    auto key = provider_.GetKey(KeyRef{vault, i.key});
    if (vault.empty() || !key.ok() || !*key) {
      log_.Note(sim_.Now(), "inject", "key/" + i.key, "key not found: injection skipped");
      return;
    }
    for (const auto& v : (*key)->versions) {
      if (v.version.rfind(i.prefix, 0) != 0) continue;
      KeyVersionState attrs = v;
      attrs.enabled = false;
      Status s = provider_.UpdateKeyVersion(UpdateKeyVersion{KeyRef{vault, i.key}, attrs});
      log_.Note(sim_.Now(), "inject", "key/" + i.key + "/versions/" + v.version,
                s.ok() ? "manual disable of version " + v.version
                       : "manual disable failed: " + s.message());
      return;
    }
    log_.Note(sim_.Now(), "inject", "key/" + i.key, "no version starts with " + i.prefix);
  }

  void Drain() {
    auto events = sim_.EventsAfter(last_seq_);
    if (!events.ok()) return;
    for (const auto& e : *events) {
      last_seq_ = std::max(last_seq_, e.seq);
      if (Interesting(e.kind)) log_.Note(e.time, e.kind, e.object, e.message);
    }
  }

  void Check(RehearsalReport& report) {
    auto incidents = sim_.Incidents();
    if (!incidents.ok()) return;
    for (const auto& i : *incidents) {
      if (!seen_incidents_.insert(i.consumer + "@" + std::to_string(i.since)).second) continue;
      RehearsalEntry v{i.since, "violation", i.consumer,
                       "consumer inaccessible since " + FormatRfc3339(i.since) + ": " + i.cause, 0, 0};
      report.violations.push_back(v);
      log_.timeline_.push_back(v);
    }
  }

  const DesiredState& desired_;
  Simulation& sim_;
  Provider& provider_;
  const PipelineRun& pipeline_;
  RehearsalLog log_;
  int64_t last_seq_ = 0;
  std::set<std::string> seen_incidents_;
};

Result<RehearsalReport> Rehearse(const RehearsalSpec& spec, const DesiredState& desired,
                                 Simulation& simulation, Provider& provider,
                                 const PipelineRun& pipeline) {
  return Rehearser(desired, simulation, provider, pipeline).Run(spec);
}

}  // namespace cmk
