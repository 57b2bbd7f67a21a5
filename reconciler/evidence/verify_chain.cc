#include "evidence/verify_chain.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "crypto/crypto.h"
#include "evidence/bundle.h"

namespace cmk {
namespace {

namespace fs = std::filesystem;

std::optional<std::string> ReadBytes(const fs::path& path) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return std::nullopt;
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct Previous {
  std::string run;
  std::string manifest_sha256;  // of its manifest.json as on disk now; "" if unreadable
};

// Checks one bundle; `before` is the bundle sorted before it, if any.
BundleCheck CheckBundle(const fs::path& dir, const std::string& run,
                        const std::optional<Previous>& before, const Bytes& expected_der) {
  BundleCheck check{run, {}};
  auto& problems = check.problems;
  const fs::path bundle = dir / run;
  std::optional<std::string> manifest_text = ReadBytes(bundle / kManifestFile);
  if (!manifest_text) {
    problems.push_back("manifest.json is missing");
    return check;
  }
  Json manifest = Json::parse(*manifest_text, nullptr, false);
  if (manifest.is_discarded() || !manifest.is_object()) {
    problems.push_back("manifest.json is not JSON");
    return check;
  }
  if (JsonString(manifest, "format") != kEvidenceFormat)
    problems.push_back("manifest.json: format is not " + std::string(kEvidenceFormat));
  if (JsonString(manifest, "run") != run)
    problems.push_back("manifest.json names the run '" + JsonString(manifest, "run") +
                       "', not its directory");

  // Files: each listed file as hashed, and nothing unlisted.
  const Json& files = JsonObject(manifest, "files");
  std::set<std::string> listed;
  for (const auto& [name, hash] : files.items()) {
    listed.insert(name);
    if (name.empty() || name[0] == '.' || name.find('/') != std::string::npos) {
      problems.push_back("manifest.json lists a file outside the bundle: " + name);
      continue;
    }
    std::optional<std::string> bytes = ReadBytes(bundle / name);
    if (!bytes) problems.push_back(name + " is missing");
    else if (!hash.is_string() || Sha256Hex(*bytes) != hash.get<std::string>())
      problems.push_back(name + ": SHA-256 differs from manifest.json (the file was changed)");
  }
  std::error_code ec;
  for (fs::directory_iterator it(bundle, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name == kManifestFile || name == kSignatureFile || listed.count(name)) continue;
    problems.push_back(name + " is not listed in manifest.json");
  }
  if (!listed.count(kPublicKeyFile)) problems.push_back("manifest.json does not list signer.pub.pem");

  // The signature over manifest.json's exact bytes.
  std::optional<std::string> signature = ReadBytes(bundle / kSignatureFile);
  std::optional<std::string> public_pem = ReadBytes(bundle / kPublicKeyFile);
  if (!signature) {
    problems.push_back("manifest.sig is missing: the bundle is not signed");
  } else if (!public_pem) {
    problems.push_back("signer.pub.pem is missing: the signature cannot be checked");
  } else {
    Bytes sig(signature->begin(), signature->end());
    if (!Ed25519Verify(*public_pem, *manifest_text, sig).ok())
      problems.push_back("manifest.sig does not verify manifest.json with signer.pub.pem");
    if (!expected_der.empty()) {
      auto der = Ed25519PublicDer(*public_pem);
      if (!der.ok() || *der != expected_der)
        problems.push_back("signed by another key than the expected one (--key)");
    }
  }

  // The chain link.
  const Json& previous = JsonMember(manifest, "previous");
  if (previous.is_null()) {
    if (before)
      problems.push_back("chain: claims to be the first run, but " + before->run +
                         " comes before it");
  } else {
    std::string named = JsonString(previous, "run");
    std::string hash = JsonString(previous, "manifest_sha256");
    if (!before) {
      problems.push_back("chain: the previous run " + named + " is missing from the directory");
    } else if (named != before->run) {
      std::error_code exists_ec;
      bool exists = fs::exists(dir / named, exists_ec);
      problems.push_back("chain: the previous run is " + named + (exists ? "" : " (missing)") +
                         ", but the run before it in the directory is " + before->run);
    } else if (hash != before->manifest_sha256) {
      problems.push_back("chain: manifest.json of " + before->run +
                         " changed after this run was written");
    }
  }
  return check;
}

}  // namespace

Result<ChainReport> VerifyEvidenceDir(const std::string& dir, const std::string& expected_public_pem) {
  Bytes expected_der;
  if (!expected_public_pem.empty()) {
    auto der = Ed25519PublicDer(expected_public_pem);
    if (!der.ok()) return der.status().WithContext("expected key");
    expected_der = std::move(der).value();
  }
  CMK_ASSIGN_OR_RETURN(std::vector<std::string> runs, ListBundles(dir));
  ChainReport report;
  report.dir = dir;
  std::optional<Previous> before;
  for (const std::string& run : runs) {
    report.runs.push_back(CheckBundle(dir, run, before, expected_der));
    if (!report.runs.back().ok() && !report.first_broken) report.first_broken = report.runs.size() - 1;
    std::optional<std::string> manifest = ReadBytes(fs::path(dir) / run / kManifestFile);
    before = Previous{run, manifest ? Sha256Hex(*manifest) : ""};
  }
  return report;
}

std::string RenderChainText(const ChainReport& report) {
  std::ostringstream out;
  out << "Evidence: " << report.dir << "\n";
  for (const BundleCheck& c : report.runs) {
    if (c.ok()) {
      out << "ok      " << c.run << "\n";
      continue;
    }
    out << "BROKEN  " << c.run << ": " << c.problems.front() << "\n";
    for (size_t i = 1; i < c.problems.size(); ++i) out << "        " << c.problems[i] << "\n";
  }
  if (report.runs.empty()) {
    out << "No evidence bundles in " << report.dir << ": nothing is proven.\n";
  } else if (report.first_broken) {
    const BundleCheck& c = report.runs[*report.first_broken];
    out << "First broken link: " << c.run << ": " << c.problems.front() << "\n";
  } else {
    out << report.runs.size()
        << " run(s): every file, signature and chain link holds.\n";
  }
  return out.str();
}

Json ChainJson(const ChainReport& report) {
  Json runs = Json::array();
  for (const BundleCheck& c : report.runs)
    runs.push_back({{"ok", c.ok()}, {"problems", c.problems}, {"run", c.run}});
  Json first = nullptr;
  if (report.first_broken) {
    const BundleCheck& c = report.runs[*report.first_broken];
    first = {{"problem", c.problems.front()}, {"run", c.run}};
  }
  return {{"dir", report.dir}, {"first_broken", first}, {"ok", report.ok()}, {"runs", runs}};
}

}  // namespace cmk
