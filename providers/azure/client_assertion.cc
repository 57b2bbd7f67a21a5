#include "azure/client_assertion.h"

#include <nlohmann/json.hpp>

namespace cmk {
namespace {

std::string AssertionPart(const nlohmann::json& j) {
  std::string text = j.dump();
  return Base64UrlEncode(Bytes(text.begin(), text.end()));
}

// A random (version 4) GUID for the jti claim.
Result<std::string> RandomGuid() {
  CMK_ASSIGN_OR_RETURN(SecureBytes random, RandomBytes(16));
  Bytes b = random.bytes();
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string hex = HexEncode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace

std::string CertificateThumbprintS256(const Bytes& der) {
  return Base64UrlEncode(Sha256(std::string(der.begin(), der.end())));
}

Result<std::string> BuildClientAssertion(const ClientCertificate& certificate,
                                         const ClientAssertionRequest& request) {
  if (certificate.chain_der.empty()) return InvalidArgument("the certificate chain is empty");
  nlohmann::json header{{"alg", "PS256"},
                        {"typ", "JWT"},
                        {"x5t#S256", CertificateThumbprintS256(certificate.chain_der.front())}};
  if (request.send_chain) {
    nlohmann::json chain = nlohmann::json::array();
    for (const Bytes& der : certificate.chain_der) chain.push_back(Base64Encode(der));
    header["x5c"] = std::move(chain);
  }
  CMK_ASSIGN_OR_RETURN(std::string jti, RandomGuid());
  nlohmann::json claims{{"aud", request.token_endpoint},
                        {"iss", request.client_id},
                        {"sub", request.client_id},
                        {"jti", jti},
                        {"nbf", request.now},
                        {"iat", request.now},
                        {"exp", request.now + kClientAssertionLifetimeSeconds}};
  std::string input = AssertionPart(header) + "." + AssertionPart(claims);
  CMK_ASSIGN_OR_RETURN(Bytes signature, SignJws(certificate.key, "PS256", input));
  return input + "." + Base64UrlEncode(signature);
}

}  // namespace cmk
