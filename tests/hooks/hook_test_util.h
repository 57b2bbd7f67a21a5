// FakeHookHost and a fixture that writes scripts to a temporary directory.
// The fake clock advances only through Sleep, so wait_until tests run fast.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "hooks/hook_runner.h"

namespace cmk {

class FakeHookHost : public HookHost {
 public:
  std::map<std::string, Json> live;       // address -> object
  std::map<std::string, Json> consumers;  // key -> array
  std::map<std::string, Json> verify;     // "key@version" -> result
  Status fail_all = Status::Ok();         // when set, every read fails with it
  double clock = 1704276000;              // Wed 2024-01-03 10:00 UTC
  int sleeps = 0;
  double slept = 0;
  std::function<void(FakeHookHost&)> on_sleep;
  std::vector<std::string> calls;

  Result<Json> Live(const std::string& address) override {
    calls.push_back("live " + address);
    if (!fail_all.ok()) return fail_all;
    auto it = live.find(address);
    return it == live.end() ? Json() : it->second;
  }
  Result<Json> Consumers(const std::string& key) override {
    calls.push_back("consumers " + key);
    if (!fail_all.ok()) return fail_all;
    auto it = consumers.find(key);
    return it == consumers.end() ? Json::array() : it->second;
  }
  Result<Json> Verify(const std::string& key, const std::string& version) override {
    calls.push_back("verify " + key + "@" + version);
    if (!fail_all.ok()) return fail_all;
    auto it = verify.find(key + "@" + version);
    if (it == verify.end()) return Json{{"outcome", "skip"}, {"message", "no canary"}, {"version", version}};
    return it->second;
  }
  int64_t Now() override { return static_cast<int64_t>(clock); }
  void Sleep(double seconds) override {
    clock += seconds;
    slept += seconds;
    ++sleeps;
    if (on_sleep) on_sleep(*this);
  }
};

class HookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/cmk-hooks-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteScript(const std::string& name, const std::string& text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  HookSpec Spec(const std::string& path, const std::string& name = "hostile") {
    HookSpec spec;
    spec.name = name;
    spec.phase = "post";
    spec.script = path;
    spec.timeout_seconds = 30;
    spec.env = {"CMK_TEST_ALLOWED"};
    return spec;
  }

  HookResult Run(const std::string& text, const HookLimits& limits = {}, Json change = Json()) {
    spec_ = Spec(WriteScript("hook.lua", text));
    HookRunInput input;
    input.spec = &spec_;
    input.change = change.is_null() ? DefaultChange() : change;
    input.plan_summary = {{"create", 1}, {"update", 2}, {"replace", 0}, {"delete", 0}};
    return RunHook(input, host_, limits);
  }

  static Json DefaultChange() {
    return {{"action", "update"},
            {"address", "key/bank-cmk"},
            {"kind", "Key"},
            {"reason", "tags.env changed"},
            {"before", {{"name", "bank-cmk"}, {"tags", {{"env", "dev"}}}}},
            {"after", {{"name", "bank-cmk"}, {"tags", {{"env", "prod"}}}, {"keyOps", {"wrapKey", "unwrapKey"}}}}};
  }

  static HookLimits Small() {
    HookLimits l;
    l.instructions = 2'000'000;
    l.memory_bytes = 8u << 20;
    l.wall_seconds = 5;
    return l;
  }

  std::string dir_;
  HookSpec spec_;
  FakeHookHost host_;
};

inline bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace cmk
