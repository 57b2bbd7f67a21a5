// SARIF 2.1.0 for GitHub code scanning and other SARIF readers: what
// validate, plan, show and drift found, each result with its rule, level,
// the manifest location relative to the repository, and a stable
// partialFingerprints entry so a finding keeps its identity across runs.
//
// Pure: data in, JSON out (RepositoryRoot reads the file system once).
#pragma once

#include <string>
#include <vector>

#include "base/json.h"
#include "engine/drift/drift.h"
#include "engine/plan/plan.h"
#include "engine/policy/posture.h"
#include "manifest/diagnostic.h"

namespace cmk {

struct SarifResult {
  std::string rule_id;  // "posture/purge-protection", "manifest/invalid", "drift/differs", ...
  std::string level;    // error | warning | note
  std::string message;
  std::string address;  // the object it is about, part of the fingerprint
  std::string subject;  // what else tells it apart (a consumer, a version), part of the fingerprint
  SourceLoc loc;        // invalid when unknown (the result then has no location)
};

struct SarifRun {
  std::string command;  // validate | plan | show | drift (automationDetails.id)
  std::string root;     // repository root: locations are made relative to it
  std::vector<SarifResult> results;
};

// The SARIF log: one run of the tool "cmkctl" with the rules the results
// use (sorted by id, with help text) and the results in the order given.
Json RenderSarif(const SarifRun& run);

// The folder holding `.git` at or above the working directory, else the
// working directory itself.
std::string RepositoryRoot();

std::vector<SarifResult> SarifFromDiagnostics(const std::vector<Diagnostic>& diagnostics);
// Posture findings on one side ("desired" or "live").
std::vector<SarifResult> SarifFromPolicy(const std::vector<PolicyFinding>& findings, const std::string& state);
// A plan's errors and warnings (posture ones under their rule).
std::vector<SarifResult> SarifFromPlan(const Plan& plan);
// What `show` reports: the inventory's findings and the live posture.
std::vector<SarifResult> SarifFromInventory(const DesiredState& desired, const Plan& analysis);
std::vector<SarifResult> SarifFromDrift(const DriftReport& report);

}  // namespace cmk
