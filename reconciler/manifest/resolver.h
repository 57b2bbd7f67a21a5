// Resolve: cross-document checks, and the DesiredState the engine diffs.
//
// Takes every parsed document of one load, applies Defaults per directory,
// checks names are unique per kind, references resolve, the reference graph
// is acyclic and the cross-object Azure rules hold (storage CMK needs purge
// protection, HSM keys need a premium vault), then fills the state structs
// exactly as the Azure objects will look. Pure: no I/O. Thread-compatible.
#pragma once

#include <vector>

#include "manifest/diagnostic.h"
#include "manifest/documents.h"
#include "model/world.h"

namespace cmk {

DesiredState Resolve(const std::vector<ParsedDoc>& docs, DiagnosticList& diags);

}  // namespace cmk
