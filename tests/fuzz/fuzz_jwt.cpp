// Fuzz target: JWT verification (relay-ws).
//
// 1. Verifying any bytes as a token, with an HS256 secret and an RS256
//    key configured, never crashes and never accepts: no input can carry
//    a valid signature by chance (and alg none is refused).
// 2. A token built from the bytes as claims and signed with the secret is
//    accepted unless its exp/nbf say otherwise; flipping one signature
//    byte makes it fail with kSignature. A verifier that also wants an
//    aud and an iss accepts it only when the plain one does.
// 3. base64url round-trips.
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "fuzz_fail.h"
#include "sluice/jwt.h"

using namespace sluice;

namespace {

// A 2048-bit RSA public key (its private half is not kept anywhere).
constexpr char kPublicKey[] = R"(-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAraletT/iCqDQZfBxHFX0
8iVrtiSjV3a5HBBCOxeK0lzevyYIo1uXeHYSDjhuCc3K8G/i6NT4y9rTNmjhRVKJ
loHJvzA9uQwa3oeplm9o8XJlrP3Y4wJn/xlFxMPg50FA5Vwv8vASlH7jHM+Re59U
rVM073DBBR5Cd1+YZJm++NJ1ZTKU2iWFIXhSLD6HJEnfyTYLEMdLfgb75Nye7jVq
rqVZH3PBc5+bFA00J+fRMQS6RsxspPr1yt36JiSNZVRlYyU2y3S0Wy74v1sX5XvX
7JOsZ5XtYeO9YjDqHdxcRPz6WFUr+QYe3r1GA939Jn4yFs8+pXR1Qau+KzDteQVk
2wIDAQAB
-----END PUBLIC KEY-----
)";

const std::string kSecret = "fuzz-secret";

JwtVerifier& verifier() {
  static JwtVerifier* v = [] {
    auto* j = new JwtVerifier;
    j->set_hs256_secret(kSecret);
    if (!j->set_rs256_public_key(kPublicKey).ok()) fail("the test key", "");
    j->set_topics_claim("topics");
    return j;
  }();
  return *v;
}

// The same keys, and an audience and an issuer to check.
JwtVerifier& strict_verifier() {
  static JwtVerifier* v = [] {
    auto* j = new JwtVerifier;
    j->set_hs256_secret(kSecret);
    j->set_topics_claim("topics");
    j->set_audience("relay");
    j->set_issuer("https://id.example");
    return j;
  }();
  return *v;
}

std::string sign(std::string_view header, std::string_view claims) {
  std::string token;
  append_base64url(header, token);
  token.push_back('.');
  append_base64url(claims, token);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
       reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &len);
  token.push_back('.');
  append_base64url(std::string_view(reinterpret_cast<char*>(mac), len), token);
  return token;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view data(reinterpret_cast<const char*>(bytes), size);
  const int64_t now = 1'800'000'000;

  // 1.
  JwtVerdict v = verifier().verify(data, now);
  if (v.ok()) fail("accepted a token no one signed", data);
  if (v.reason.empty()) fail("a refusal with no reason", data);

  // 2. The bytes as the claims of a signed token.
  const std::string token = sign(R"({"alg":"HS256","typ":"JWT"})", data);
  v = verifier().verify(token, now);
  if (!v.ok() && v.error == JwtError::kSignature) fail("refused a good signature", data);
  JwtVerdict strict = strict_verifier().verify(token, now);
  if (strict.error == JwtError::kSignature) fail("aud/iss: refused a good signature", data);
  if (strict.ok() && !v.ok()) fail("aud/iss: accepted what the plain verifier refused", data);
  std::string bad = token;
  bad[bad.size() - 2] = bad[bad.size() - 2] == 'A' ? 'B' : 'A';
  JwtVerdict b = verifier().verify(bad, now);
  if (b.ok() || b.error != JwtError::kSignature) {
    // The last base64url character carries unused bits; the one before
    // it does not, so the signature changed.
    fail("a flipped signature byte was not caught", data);
  }
  // alg none with the same claims is refused.
  std::string none;
  append_base64url(R"({"alg":"none"})", none);
  none.push_back('.');
  append_base64url(data, none);
  none.push_back('.');
  if (verifier().verify(none, now).error != JwtError::kAlgorithm) fail("alg none", data);

  // 3.
  std::string enc, dec;
  append_base64url(data, enc);
  if (!decode_base64url(enc, dec) || dec != data) fail("base64url round trip", data);
  if (decode_base64url(data, dec)) {
    std::string again;
    append_base64url(dec, again);
    std::string back;
    if (!decode_base64url(again, back) || back != dec) fail("base64url re-encode", data);
  }
  return 0;
}
