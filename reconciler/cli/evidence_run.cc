#include "cli/evidence_run.h"

#include <pwd.h>
#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <streambuf>

#include "azure/azure_provider.h"
#include "base/duration.h"
#include "cli/exit_codes.h"
#include "engine/apply/apply.h"
#include "evidence/bundle.h"
#include "evidence/redact.h"
#include "sandbox/sandbox_cloud.h"
#include "sandbox/sandbox_provider.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;
using SystemClock = std::chrono::system_clock;

// Copies what a stream writes while passing it on unchanged.
class TeeBuf : public std::streambuf {
 public:
  TeeBuf(std::streambuf* inner, std::string* copy) : inner_(inner), copy_(copy) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    copy_->push_back(static_cast<char>(c));
    return inner_->sputc(static_cast<char>(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    copy_->append(s, static_cast<size_t>(n));
    return inner_->sputn(s, n);
  }
  int sync() override { return inner_->pubsync(); }

 private:
  std::streambuf* inner_;
  std::string* copy_;
};

class StreamCapture {
 public:
  StreamCapture(std::ostream& stream, std::string* copy)
      : stream_(stream), tee_(stream.rdbuf(), copy), old_(stream.rdbuf(&tee_)) {}
  ~StreamCapture() { stream_.rdbuf(old_); }
  StreamCapture(const StreamCapture&) = delete;
  StreamCapture& operator=(const StreamCapture&) = delete;

 private:
  std::ostream& stream_;
  TeeBuf tee_;
  std::streambuf* old_;
};

std::string LocalUser(const EnvGetter& env) {
  for (const char* name : {"USER", "LOGNAME"})
    if (auto v = env(name); v && !v->empty()) return *v;
  if (const passwd* pw = ::getpwuid(::getuid()); pw != nullptr && pw->pw_name != nullptr)
    return pw->pw_name;
  return "uid " + std::to_string(::getuid());
}

// Who ran it: names only (the configured credential, client and tenant ids),
// never a token or a secret.
Json Principal(const GlobalOptions& global, const EnvGetter& env, const std::string& used) {
  Json p = {{"local_user", LocalUser(env)}};
  if (global.target != "azure") {
    p["kind"] = "sandbox";
    return p;
  }
  p["kind"] = "azure";
  EnvGetter azure = WithArmAliases(env);
  std::string credential = global.credential;
  if (credential.empty()) credential = env("CMKCTL_AZURE_CREDENTIAL").value_or("");
  p["credential"] = credential.empty() ? "default chain" : credential;
  // What the provider says of its credential (AzureProvider::CredentialName).
  if (!used.empty()) p["credential_used"] = used;
  for (const auto& [member, var] : {std::pair{"client_id", "AZURE_CLIENT_ID"},
                                    std::pair{"tenant_id", "AZURE_TENANT_ID"}})
    if (auto v = azure(var); v && !v->empty()) p[member] = *v;
  return p;
}

std::string Timestamp(SystemClock::time_point t) { return EvidenceTimestamp(t); }

}  // namespace

// Times each change between OnChangeStart and OnChangeOutcome, passing
// every call on to the command's own observer.
class EvidenceRun::ChangeClock : public ApplyObserver {
 public:
  explicit ChangeClock(ApplyObserver* inner) : inner_(inner) {}
  void OnChangeStart(const Change& c) override {
    times_[c.address].first = Timestamp(SystemClock::now());
    if (inner_) inner_->OnChangeStart(c);
  }
  void OnChangeDone(const Change& c, const Status& s) override {
    if (inner_) inner_->OnChangeDone(c, s);
  }
  void OnHook(const Change& c, const HookReport& h) override {
    if (inner_) inner_->OnHook(c, h);
  }
  void OnRevert(const Change& c, const RevertResult& r) override {
    if (inner_) inner_->OnRevert(c, r);
  }
  void OnChangeOutcome(const Change& c, const ChangeReport& r) override {
    times_[c.address].second = Timestamp(SystemClock::now());
    if (inner_) inner_->OnChangeOutcome(c, r);
  }
  const std::map<std::string, std::pair<std::string, std::string>>& times() const { return times_; }

 private:
  ApplyObserver* inner_;
  std::map<std::string, std::pair<std::string, std::string>> times_;  // address -> start, end
};

EvidenceRun::EvidenceRun(std::string command) : command_(std::move(command)) {}
EvidenceRun::~EvidenceRun() = default;

void EvidenceRun::SetTarget(Provider& provider) {
  target_ = provider.Target().ToString();
  provider_ = &provider;
  auto* sandbox = dynamic_cast<SandboxProvider*>(&provider);
  if (sandbox == nullptr) {
    events_unavailable_ = "the target's activity log is not read by cmkctl (" + target_ + ")";
    return;
  }
  // The log's clock only moves forward: every line this run adds is at or
  // after now, with a larger seq than any line already there.
  events_since_ = provider.Now();
  EventFilter filter;
  filter.since = events_since_;
  auto existing = sandbox->cloud().ListEvents(filter);
  if (!existing.ok()) {
    events_unavailable_ = "reading the sandbox activity log: " + existing.status().message();
    return;
  }
  for (const auto& e : *existing) events_after_seq_ = std::max(events_after_seq_, e.seq);
  sandbox_dir_ = sandbox->cloud().dir();
  events_unavailable_.clear();
}

void EvidenceRun::SetTargetText(const std::string& target) {
  target_ = target;
  events_unavailable_ = "the run worked on a copy; its own timeline is in output.json";
}

void EvidenceRun::NoteCredential() {
  if (auto* azure = dynamic_cast<AzureProvider*>(provider_); azure != nullptr) {
    std::string name = azure->CredentialName();
    if (!name.empty()) credential_used_ = name;
  }
}

void EvidenceRun::SetPlan(const std::string& plan_json) {
  plan_json_ = plan_json;
  NoteCredential();
}

void EvidenceRun::SetOutput(const Json& output) {
  output_ = output;
  NoteCredential();
}

ApplyObserver* EvidenceRun::Observe(ApplyObserver* inner) {
  change_clock_ = std::make_unique<ChangeClock>(inner);
  return change_clock_.get();
}

void EvidenceRun::SetApplyResult(const ApplyResult& result) {
  NoteCredential();
  Json changes = Json::array();
  for (const ChangeReport& r : result.report) {
    Json hooks = Json::array();
    for (const HookReport& h : r.hooks)
      hooks.push_back({{"hook", h.hook}, {"logs", h.logs}, {"message", h.message}, {"ok", h.ok},
                       {"on_failure", h.on_failure}, {"phase", h.phase}});
    Json c = {{"action", ActionName(r.action)}, {"address", r.address}, {"hooks", hooks},
              {"notes", r.notes}, {"outcome", OutcomeName(r.outcome)}, {"reason", r.reason},
              {"started_at", nullptr}, {"ended_at", nullptr}};
    if (change_clock_) {
      auto it = change_clock_->times().find(r.address);
      if (it != change_clock_->times().end()) {
        if (!it->second.first.empty()) c["started_at"] = it->second.first;
        if (!it->second.second.empty()) c["ended_at"] = it->second.second;
      }
    }
    changes.push_back(std::move(c));
  }
  changes_ = Json{{"changes", changes},
                  {"hooks_ran", result.hooks_ran},
                  {"status", result.status.ok() ? "ok" : result.status.message()}};
}

Json EvidenceRun::EventsJson() const {
  if (!events_unavailable_.empty()) return {{"available", false}, {"reason", events_unavailable_}};
  // The command closed its target: open the sandbox again, read only.
  SandboxOptions options;
  options.finish_material_on_close = false;
  auto cloud = SandboxCloud::Open(sandbox_dir_, std::move(options));
  if (!cloud.ok())
    return {{"available", false}, {"reason", "opening sandbox " + sandbox_dir_ + ": " + cloud.status().message()}};
  EventFilter filter;
  filter.since = events_since_;
  filter.after_seq = events_after_seq_;
  auto events = (*cloud)->ListEvents(filter);
  if (!events.ok())
    return {{"available", false}, {"reason", "reading the sandbox activity log: " + events.status().message()}};
  Json list = Json::array();
  for (const auto& e : *events)
    list.push_back({{"kind", e.kind}, {"message", e.message}, {"object", e.object}, {"seq", e.seq},
                    {"time", FormatRfc3339(e.time)}});
  return {{"after_seq", events_after_seq_}, {"available", true}, {"events", list},
          {"since", FormatRfc3339(events_since_)}, {"source", "sandbox activity log: " + sandbox_dir_}};
}

int RunWithEvidence(const GlobalOptions& global, const EvidenceArgs& args,
                    const std::string& command, const std::function<int(EvidenceRun*)>& run,
                    const EnvGetter& env) {
  if (args.dir.empty()) return run(nullptr);
  std::string key_path = args.key_file;
  if (key_path.empty()) key_path = env("CMKCTL_EVIDENCE_KEY").value_or("");
  if (key_path.empty()) {
    std::cerr << "error: --evidence " << args.dir
              << " needs a signing key: --evidence-key FILE or CMKCTL_EVIDENCE_KEY=FILE (make one "
                 "with `cmkctl evidence keygen --out FILE`); cmkctl never writes unsigned "
                 "evidence. Nothing was run.\n";
    return kExitUsage;
  }
  auto signer = LoadEvidenceSigner(key_path);
  if (!signer.ok()) {
    std::cerr << "error: " << signer.status().message() << ". Nothing was run.\n";
    return kExitUsage;
  }
  std::error_code ec;
  fs::create_directories(args.dir, ec);
  if (ec || !fs::is_directory(args.dir, ec) || ::access(args.dir.c_str(), W_OK) != 0) {
    std::cerr << "error: --evidence " << args.dir
              << " is not a directory cmkctl can write. Nothing was run.\n";
    return kExitUsage;
  }

  EvidenceRun record(command);
  const SystemClock::time_point started = SystemClock::now();
  int code;
  {
    StreamCapture out(std::cout, &record.out_);
    StreamCapture err(std::cerr, &record.err_);
    code = run(&record);
    std::cout.flush();
  }
  record.provider_ = nullptr;  // the command closed its target
  const SystemClock::time_point ended = SystemClock::now();

  Json run_json = {{"arguments", RedactArguments(args.arguments)},
                   {"command", command},
                   {"ended_at", Timestamp(ended)},
                   {"exit_code", code},
                   {"format", kEvidenceFormat},
                   {"principal", Principal(global, env, record.credential_used_)},
                   {"started_at", Timestamp(started)},
                   {"target", record.target_.empty() ? global.target : record.target_},
                   {"tool_version", CMK_VERSION}};
  std::vector<BundleFile> files;
  if (record.plan_json_) {
    run_json["plan_sha256"] = Sha256Hex(*record.plan_json_);
    files.push_back({"plan.json", *record.plan_json_});
  }
  if (record.changes_) files.push_back({"changes.json", record.changes_->dump(2) + "\n"});
  if (record.output_) files.push_back({"output.json", record.output_->dump(2) + "\n"});
  files.push_back({"events.json", record.EventsJson().dump(2) + "\n"});
  files.push_back({"stdout.txt", record.out_});
  files.push_back({"stderr.txt", record.err_});
  files.push_back({"run.json", run_json.dump(2) + "\n"});

  auto name = WriteBundle(args.dir, command, files, *signer);
  if (!name.ok()) {
    std::cerr << "error: evidence was not written to " << args.dir << ": "
              << name.status().message() << " (the " << command
              << " run itself finished with exit code " << code << "; what it did stands)\n";
    return code == kExitOk ? kExitError : code;
  }
  std::cerr << "Evidence: " << (fs::path(args.dir) / *name).string() << "\n";
  return code;
}

}  // namespace cmk
