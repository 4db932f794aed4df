// JSON Web Token verification for relay-ws (HS256 and RS256), with
// OpenSSL: this libwebsockets build has no JOSE support.
//
// A token is accepted when its header's alg is one the verifier has a key
// for (HS256: a shared secret; RS256: an RSA public key in PEM), its
// signature verifies, and its "exp" (if present) is after now and "nbf"
// (if present) is not after now. "alg":"none" is always refused. The
// claim named by `topics_claim` (when set) must be an array of strings (or
// one string): the topics the bearer may subscribe to. With an audience
// set, "aud" (a string or an array of strings) must name it; with an
// issuer set, "iss" must equal it.
//
// Thread safety: a JwtVerifier is immutable after construction; verify()
// may be called from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace sluice {

enum class JwtError {
  kNone,
  kMalformed,    // not three base64url parts of JSON
  kAlgorithm,    // alg none, or one with no configured key
  kSignature,    // the signature does not verify
  kExpired,      // exp is past
  kNotYetValid,  // nbf is in the future
  kBadClaim,     // the topics claim is not a string or an array of strings
  kAudience,     // aud does not name the configured audience
  kIssuer,       // iss is not the configured issuer
};

struct JwtVerdict {
  JwtError error = JwtError::kNone;
  std::string reason;  // for a close frame: "token expired", ...
  // The topics claim: nullopt when the verifier names no claim (every
  // topic allowed); otherwise the listed topics (absent claim: none).
  std::optional<std::vector<std::string>> topics;
  bool ok() const { return error == JwtError::kNone; }
};

class JwtVerifier {
 public:
  JwtVerifier();
  ~JwtVerifier();
  JwtVerifier(JwtVerifier&&) noexcept;
  JwtVerifier& operator=(JwtVerifier&&) noexcept;

  // Sets the HS256 secret (the bytes as given; a trailing newline is the
  // caller's to strip).
  void set_hs256_secret(std::string secret);
  // Reads an RSA public key (PEM, -----BEGIN PUBLIC KEY-----) for RS256.
  // kInvalidArgument when the text holds no such key.
  Status set_rs256_public_key(std::string_view pem);
  void set_topics_claim(std::string name) { topics_claim_ = std::move(name); }
  // Requires "aud" to name `audience` (empty: aud is not checked).
  void set_audience(std::string audience) { audience_ = std::move(audience); }
  // Requires "iss" to be `issuer` (empty: iss is not checked).
  void set_issuer(std::string issuer) { issuer_ = std::move(issuer); }
  // Seconds of clock skew allowed on exp and nbf.
  void set_leeway(int64_t seconds) { leeway_s_ = seconds; }
  bool enabled() const;

  JwtVerdict verify(std::string_view token, int64_t now_s) const;

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::string topics_claim_;
  std::string audience_;
  std::string issuer_;
  int64_t leeway_s_ = 0;
};

// base64url without padding (RFC 7515); false on invalid input.
bool decode_base64url(std::string_view text, std::string& out);
void append_base64url(std::string_view bytes, std::string& out);

}  // namespace sluice
