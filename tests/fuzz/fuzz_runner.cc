// A deterministic mutation fuzzer for the two doors hostile text comes in by:
// the manifest loader (and seed files) and the Azure wire parsers.
//
//   fuzz_runner manifest|wire --iterations N --seed S CORPUS_DIR...
//
// Each iteration takes a corpus file, applies a few mutations chosen by a
// seeded generator (byte flips, bytes that are not UTF-8 or are control
// characters, YAML/JSON tokens, deletions, duplications, splices with another
// corpus file, huge numbers, deep nesting) and runs it through the door and
// everything that consumes what comes out of it (rendering diagnostics,
// serialising the state to JSON). A crash, an escaped exception, or output
// that is not printable UTF-8 fails the run with the seed and iteration that
// reproduce it (the input is written to the current directory). The same
// seed always runs the same inputs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <csignal>

#include "azure/wire_mapping.h"
#include "base/strings.h"
#include "manifest/loader.h"
#include "manifest/seed_file.h"
#include "model/codec.h"

namespace fs = std::filesystem;

namespace cmk {
namespace {

struct Corpus {
  std::vector<std::string> names;
  std::vector<std::string> texts;
};

Corpus ReadCorpus(const std::vector<std::string>& dirs, const std::vector<std::string>& exts) {
  Corpus c;
  std::vector<fs::path> files;
  for (const auto& d : dirs)
    for (const auto& e : fs::recursive_directory_iterator(d))
      if (e.is_regular_file() && std::find(exts.begin(), exts.end(), e.path().extension()) != exts.end())
        files.push_back(e.path());
  std::sort(files.begin(), files.end());  // the same corpus order everywhere
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    c.names.push_back(f.string());
    c.texts.push_back(text.str());
  }
  return c;
}

class Mutator {
 public:
  Mutator(uint64_t seed, const Corpus& corpus, bool yaml) : rng_(seed), corpus_(corpus), yaml_(yaml) {}

  std::string Next(size_t* origin) {
    *origin = Pick(corpus_.texts.size());
    std::string s = corpus_.texts[*origin];
    size_t rounds = 1 + Pick(yaml_ ? 2 : 4);
    for (size_t i = 0; i < rounds; ++i) Mutate(s);
    return s;
  }

 private:
  size_t Pick(size_t n) { return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  size_t Pos(const std::string& s) { return Pick(s.size() + 1); }

  void Mutate(std::string& s) {
    static const std::vector<std::string> kYamlTokens = {
        "~", "null", ": ", "- ", "\n- ", "{", "}", "[", "]", "&a ", "*a", "<<: ", "!!str ", "---\n",
        "\"", "'", "\\", "\t", "#", "|", ">", "? ", "\"\\e\"", "\"\\0\"", "\"\\x9b\"", "\"\\ud800\"",
        "4294967297", "-9223372036854775809", "1e999", "0x1F", "0000-01-01T00:00:00Z", "true",
        "yes", "01.02.03.04", "  owner: \"   \"\n", "  labels:\n    \"\": x\n", "\r\n"};
    static const std::vector<std::string> kJsonTokens = {
        "null", "true", "false", "0", "-1", "1e999", "18446744073709551616", "\"\"", "{}", "[]",
        "{", "}", "[", "]", ",", ":", "\"\\u0000\"", "\"\\ud800\"", "\"\\u001b[31m\"", "\"x\"",
        "{\"value\":[{}]}", "{\"error\":{\"code\":1}}", "\"key\"", "\"attributes\"", "\"properties\""};
    const auto& tokens = yaml_ ? kYamlTokens : kJsonTokens;
    switch (Pick(yaml_ ? 12 : 9)) {
      case 0:  // flip a byte
        if (!s.empty()) s[Pick(s.size())] ^= static_cast<char>(1u << Pick(8));
        break;
      case 1: {  // a byte that is not UTF-8, or a control character
        static const char kBad[] = {'\xFF', '\xC0', '\x80', '\x1B', '\0', '\x7F', '\x9B', '\xED', '\x85'};
        s.insert(Pos(s), 1, kBad[Pick(sizeof kBad)]);
        break;
      }
      case 2:
      case 3:
        s.insert(Pos(s), tokens[Pick(tokens.size())]);
        break;
      case 4: {  // delete a range
        size_t at = Pos(s);
        s.erase(at, Pick(32));
        break;
      }
      case 5: {  // duplicate a range (repeated keys, long lists)
        size_t at = Pos(s);
        std::string part = s.substr(at, Pick(64));
        size_t times = 1 + Pick(8);
        for (size_t i = 0; i < times; ++i) s.insert(at, part);
        break;
      }
      case 6: {  // splice with another corpus file
        const std::string& other = corpus_.texts[Pick(corpus_.texts.size())];
        size_t from = Pick(other.size() + 1);
        s = s.substr(0, Pos(s)) + other.substr(from, Pick(256));
        break;
      }
      case 7: {  // deep nesting
        size_t depth = 1 + Pick(80);
        std::string open(depth, yaml_ ? '[' : (Pick(2) ? '[' : '{'));
        s.insert(Pos(s), open);
        break;
      }
      case 8: {  // a long value
        s.insert(Pos(s), std::string(1 + Pick(5000), 'a' + static_cast<char>(Pick(26))));
        break;
      }
      default: {  // YAML only: change one value and keep the structure, so
                  // the input gets past the parser into the typed readers
        std::vector<size_t> values;
        for (size_t at = s.find(": "); at != std::string::npos; at = s.find(": ", at + 2)) values.push_back(at + 2);
        if (values.empty()) break;
        size_t start = values[Pick(values.size())];
        size_t end = s.find('\n', start);
        if (end == std::string::npos) end = s.size();
        std::string value = s.substr(start, end - start);
        static const std::vector<std::string> kValues = {
            "~", "", "\"\"", "\"   \"", "\"a\\eb\"", "\"a\\0b\"", "\"\\x85\"", "\"\\ud800\"",
            "4294967297", "2147483648", "-1", "0", "00000000000000000000000000000000000000007",
            "99999999999999999999999", "01.02.03.04", "10.0.0.0/08", "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z", "P0D", "P99999Y", "PT-1H", "[]", "{}", "[~]", "yes", "\"\xC3\xA9t\xC3\xA9\""};
        switch (Pick(3)) {
          case 0: value = kValues[Pick(kValues.size())]; break;
          case 1: value.insert(Pick(value.size() + 1), 1, "\xFF\x1B\x7F\x9B\xC0"[Pick(5)]); break;
          case 2: value += std::string(Pick(3000), 'x'); break;
        }
        s.replace(start, end - start, value);
        break;
      }
    }
  }

  std::mt19937_64 rng_;
  const Corpus& corpus_;
  bool yaml_;
};

uint64_t g_accepted = 0;

// A stall is a failure too: an input that keeps the door busy for seconds
// (a parser that loops) is written out by the alarm and the run fails.
constexpr unsigned kStallSeconds = 10;
const std::string* g_current = nullptr;

extern "C" void OnStall(int) {
  const char kName[] = "fuzz-stall.input";
  int fd = ::open(kName, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0 && g_current != nullptr) {
    ssize_t ignored = ::write(fd, g_current->data(), g_current->size());
    (void)ignored;
    ::close(fd);
  }
  const char kMessage[] = "FAIL: an input stalled the door for 10 s; written to fuzz-stall.input\n";
  ssize_t ignored = ::write(2, kMessage, sizeof kMessage - 1);
  (void)ignored;
  ::_exit(3);
}  // inputs the door let through (their state was serialised)

// Output a user can see: printable UTF-8 (newlines allowed), or a failure.
bool Printable(const std::string& text) { return !FindTextFault(text).has_value(); }

// One manifest input: loaded as a manifest set (one file) and as a seed.
std::string RunManifest(const std::string& text, const fs::path& dir) {
  fs::path file = dir / "m.yaml";
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  LoadResult r = LoadManifests({file.string()});
  std::string rendered = RenderAll(r.diagnostics);
  if (!Printable(rendered)) return "diagnostics are not printable text";
  if (r.ok()) {
    ++g_accepted;
    // What a plan does with a loaded manifest first: serialise it (the
    // crash this guards against was a dump of an owner holding 0xFF).
    std::string dumped;
    auto add = [&](const auto& map) {
      for (const auto& [address, v] : map)
        dumped += address + ToJson(v.value).dump() + Json(v.owner).dump() + ToJson(v.labels).dump();
    };
    add(r.desired.vaults);
    add(r.desired.keys);
    add(r.desired.identities);
    add(r.desired.role_assignments);
    add(r.desired.bindings);
    if (!Printable(dumped)) return "the loaded state is not printable text";
  }
  fs::path seed = dir / "sandbox-seed.yaml";
  std::ofstream(seed, std::ios::binary | std::ios::trunc) << text;
  Result<SeedFile> s = LoadSeedFile(seed.string());
  if (!s.ok() && !Printable(s.status().message()))
    return "seed error is not printable text: " + SanitizeText(s.status().message().substr(0, 300));
  return "";
}

// One wire input: parsed as JSON (as the pipeline does) and, when it parses,
// every body in it fed to every parser of Azure's shapes.
std::string RunWire(const std::string& text) {
  Json doc = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return "";
  ++g_accepted;
  std::vector<const Json*> bodies = {&doc};
  if (const Json& responses = JsonMember(doc, "responses"); responses.is_object())
    for (const auto& [code, r] : responses.items()) bodies.push_back(&JsonMember(r, "body"));
  std::string dumped;
  for (const Json* b : bodies) {
    const Json& j = *b;
    dumped += ToJson(VaultFromArm(j)).dump();
    dumped += ToJson(KeyFromBundle(j, "v")).dump();
    dumped += ToJson(KeyVersionFromBundle(j)).dump();
    dumped += ToJson(KeyVersionFromItem(j)).dump();
    dumped += ToJson(IdentityFromArm(j)).dump();
    dumped += ToJson(RoleAssignmentFromArm(j)).dump();
    dumped += ToJson(StorageAccountFromArm(j)).dump();
    if (auto p = RotationPolicyFromWire(j)) dumped += ToJson(*p).dump();
    DeletedKeyFromBundle(j);
    DeletedVaultFromArm(j);
    PublicKeyFromJwk(JsonMember(j, "key"));
    TagsFromWire(JsonMember(j, "tags"));
    for (const Json& item : JsonMember(j, "value").is_array() ? JsonMember(j, "value") : Json::array())
      dumped += ToJson(KeyVersionFromItem(item)).dump() + ToJson(VaultFromArm(item)).dump();
  }
  (void)dumped;
  return "";
}

int Main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: fuzz_runner manifest|wire [--iterations N] [--seed S] CORPUS_DIR...\n");
    return 2;
  }
  std::string mode = argv[1];
  uint64_t iterations = 1000, seed = 1;
  std::vector<std::string> dirs;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--iterations" && i + 1 < argc) iterations = std::strtoull(argv[++i], nullptr, 10);
    else if (a == "--seed" && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else dirs.push_back(a);
  }
  bool yaml = mode == "manifest";
  if (!yaml && mode != "wire") {
    std::fprintf(stderr, "fuzz_runner: unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  Corpus corpus = ReadCorpus(dirs, yaml ? std::vector<std::string>{".yaml"} : std::vector<std::string>{".json"});
  if (corpus.texts.empty()) {
    std::fprintf(stderr, "fuzz_runner: empty corpus\n");
    return 2;
  }
  fs::path dir = fs::temp_directory_path() / ("cmk_fuzz_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  Mutator mutator(seed, corpus, yaml);
  std::signal(SIGALRM, OnStall);
  auto start = std::chrono::steady_clock::now();
  uint64_t failures = 0;
  for (uint64_t i = 0; i < iterations; ++i) {
    size_t origin = 0;
    std::string input = mutator.Next(&origin);
    std::string problem;
    g_current = &input;
    ::alarm(kStallSeconds);
    try {
      problem = yaml ? RunManifest(input, dir) : RunWire(input);
    } catch (const std::exception& e) {
      problem = std::string("exception escaped: ") + e.what();
    }
    ::alarm(0);
    if (!problem.empty()) {
      ++failures;
      std::string out = "fuzz-failure-" + mode + "-" + std::to_string(seed) + "-" + std::to_string(i) +
                        (yaml ? ".yaml" : ".json");
      std::ofstream(out, std::ios::binary) << input;
      std::fprintf(stderr, "FAIL %s iteration %llu (from %s): %s; input written to %s\n", mode.c_str(),
                   static_cast<unsigned long long>(i), corpus.names[origin].c_str(), problem.c_str(),
                   out.c_str());
      if (failures >= 10) break;
    }
  }
  fs::remove_all(dir);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("fuzz %s: %llu executions (%llu accepted by the door), seed %llu, corpus %zu files, %.1f s, "
              "failures %llu\n",
              mode.c_str(), static_cast<unsigned long long>(iterations),
              static_cast<unsigned long long>(g_accepted), static_cast<unsigned long long>(seed),
              corpus.texts.size(), seconds, static_cast<unsigned long long>(failures));
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace cmk

int main(int argc, char** argv) { return cmk::Main(argc, argv); }
