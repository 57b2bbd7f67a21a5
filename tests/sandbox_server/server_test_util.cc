#include "server_test_util.h"

#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cmk {

std::string Reply::Header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? "" : it->second;
}

void ServerTest::SetUp() {
  char tmpl[] = "/tmp/cmk_server_test_XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  root_ = tmpl;
  dir_ = root_ + "/sb";
  options_.throttle.enabled = false;
}

void ServerTest::TearDown() {
  if (server_) server_->Stop();
  server_.reset();
  std::error_code ec;
  std::filesystem::remove_all(root_, ec);
}

void ServerTest::Start() {
  server_ = std::make_unique<SandboxServer>(dir_);
  Status st = server_->Start(options_);
  ASSERT_TRUE(st.ok()) << st.ToString();
}

std::string ServerTest::ClientSecret() const {
  std::ifstream in(dir_ + "/server-client-secret");
  std::string s;
  in >> s;
  return s;
}

Reply ServerTest::Send(const std::string& method, const std::string& host,
                       const std::string& target, const std::string& body,
                       const std::string& token, const std::string& content_type,
                       const std::map<std::string, std::string>& headers) {
  Reply out;
  int port = server_->port();
  httplib::SSLClient cli("127.0.0.1", port);
  cli.set_ca_cert_path(server_->endpoints().ca_path.c_str());
  cli.enable_server_certificate_verification(true);
  cli.set_read_timeout(10, 0);
  httplib::Request req;
  req.method = method;
  req.path = target;
  req.set_header("Host", host.empty() ? "127.0.0.1:" + std::to_string(port)
                                      : host + ".vault.localhost:" + std::to_string(port));
  if (!token.empty()) req.set_header("Authorization", "Bearer " + token);
  for (const auto& [k, v] : headers) req.set_header(k, v);
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    req.body = body;
    req.set_header("Content-Type", content_type);
  }
  auto res = cli.send(req);
  if (!res) return out;
  out.connected = true;
  out.status = res->status;
  out.body = res->body;
  for (const auto& [k, v] : res->headers) {
    std::string l = k;
    for (char& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[l] = v;
  }
  if (!out.body.empty()) out.json = Json::parse(out.body, nullptr, false);
  return out;
}

std::string ServerTest::Token(const std::string& scope) {
  std::string form = "grant_type=client_credentials&client_id=test-app&client_secret=" +
                     ClientSecret() + "&scope=" + scope;
  Reply r = Send("POST", "", "/" + server_->endpoints().tenant_id + "/oauth2/v2.0/token", form, "",
                 "application/x-www-form-urlencoded");
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json.is_object() && r.json.contains("access_token")
             ? r.json["access_token"].get<std::string>()
             : "";
}

std::string ServerTest::ArmToken() {
  if (arm_token_.empty()) arm_token_ = Token("https%3A%2F%2Fmanagement.azure.com%2F.default");
  return arm_token_;
}

std::string ServerTest::KvToken() {
  if (kv_token_.empty()) kv_token_ = Token("https%3A%2F%2Fvault.localhost%2F.default");
  return kv_token_;
}

Reply ServerTest::Arm(const std::string& method, const std::string& target, const Json& body) {
  return Send(method, "", target, body.is_null() ? "" : body.dump(), ArmToken());
}

Reply ServerTest::Kv(const std::string& vault, const std::string& method,
                     const std::string& target, const Json& body) {
  return Send(method, vault, target, body.is_null() ? "" : body.dump(), KvToken());
}

void ServerTest::CreateVault(const std::string& name, bool purge_protection,
                             const std::string& rg) {
  Json props{{"tenantId", server_->endpoints().tenant_id},
             {"sku", {{"family", "A"}, {"name", "standard"}}},
             {"enableRbacAuthorization", true},
             {"softDeleteRetentionInDays", 7}};
  if (purge_protection) props["enablePurgeProtection"] = true;
  Reply r = Arm("PUT",
                std::string("/subscriptions/") + kSub + "/resourceGroups/" + rg +
                    "/providers/Microsoft.KeyVault/vaults/" + name + "?api-version=2026-04-01",
                Json{{"location", "westeurope"}, {"properties", props}});
  ASSERT_TRUE(r.status == 200 || r.status == 201) << r.body;
}

Json ServerTest::CreateIdentity(const std::string& name) {
  Reply r = Arm("PUT",
                std::string("/subscriptions/") + kSub + "/resourceGroups/" + kRg +
                    "/providers/Microsoft.ManagedIdentity/userAssignedIdentities/" + name +
                    "?api-version=2026-05-31",
                Json{{"location", "westeurope"}});
  EXPECT_TRUE(r.status == 200 || r.status == 201) << r.body;
  return r.json;
}

Json ServerTest::CreateKey(const std::string& vault, const std::string& name, const Json& body) {
  Json b = body.is_null() ? Json{{"kty", "RSA"}, {"key_size", 2048}} : body;
  Reply r = Kv(vault, "POST", "/keys/" + name + "/create?api-version=2025-07-01", b);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json;
}

const Json& Member(const Json& j, std::initializer_list<const char*> path) {
  static const Json kNull;
  const Json* cur = &j;
  for (const char* name : path) {
    if (!cur->is_object()) return kNull;
    auto it = cur->find(name);
    if (it == cur->end()) return kNull;
    cur = &*it;
  }
  return *cur;
}

namespace {

const char* TypeName(const Json& j) {
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "boolean";
  if (j.is_number()) return "number";
  if (j.is_string()) return "string";
  if (j.is_array()) return "array";
  return "object";
}

void Compare(const Json& ex, const Json& ac, const std::string& path,
             const std::set<std::string>& may_miss, const std::set<std::string>& may_add,
             std::vector<std::string>& errors) {
  if (std::string(TypeName(ex)) != TypeName(ac)) {
    errors.push_back(path + ": expected " + TypeName(ex) + ", got " + TypeName(ac));
    return;
  }
  if (ex.is_object()) {
    for (auto& [k, v] : ex.items()) {
      std::string p = path.empty() ? k : path + "." + k;
      if (!ac.contains(k)) {
        if (!may_miss.count(p)) errors.push_back(p + ": missing");
        continue;
      }
      Compare(v, ac[k], p, may_miss, may_add, errors);
    }
    for (auto& [k, v] : ac.items())
      if (!ex.contains(k) && !may_add.count(k))
        errors.push_back((path.empty() ? k : path + "." + k) + ": not in the example");
  } else if (ex.is_array() && !ex.empty()) {
    if (ac.empty() && !may_miss.count(path + "[]")) errors.push_back(path + ": empty array");
    // Element i against example element i (the last one beyond its end):
    // arrays such as lifetimeActions hold differently shaped members.
    for (size_t i = 0; i < ac.size(); ++i)
      Compare(ex[std::min(i, ex.size() - 1)], ac[i], path + "[]", may_miss, may_add, errors);
  }
}

}  // namespace

std::vector<std::string> CompareShape(const Json& example, const Json& actual,
                                      const std::set<std::string>& may_miss,
                                      const std::set<std::string>& may_add) {
  std::vector<std::string> errors;
  Compare(example, actual, "", may_miss, may_add, errors);
  return errors;
}

}  // namespace cmk
