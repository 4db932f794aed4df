// JWT HS256/RS256 verification with OpenSSL. See sluice/jwt.h.
#include "sluice/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <simdjson.h>

#include "sluice/envelope.h"

namespace sluice {

struct JwtVerifier::Keys {
  std::optional<std::string> secret;
  EVP_PKEY* rsa = nullptr;
  ~Keys() { EVP_PKEY_free(rsa); }
};

JwtVerifier::JwtVerifier() : keys_(std::make_unique<Keys>()) {}
JwtVerifier::~JwtVerifier() = default;
JwtVerifier::JwtVerifier(JwtVerifier&&) noexcept = default;
JwtVerifier& JwtVerifier::operator=(JwtVerifier&&) noexcept = default;

void JwtVerifier::set_hs256_secret(std::string secret) {
  keys_->secret = std::move(secret);
}

Status JwtVerifier::set_rs256_public_key(std::string_view pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return Status::Internal("out of memory reading the public key");
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (!key || EVP_PKEY_base_id(key) != EVP_PKEY_RSA) {
    EVP_PKEY_free(key);
    return Status::InvalidArgument("no RSA public key in PEM form (-----BEGIN PUBLIC KEY-----)");
  }
  EVP_PKEY_free(keys_->rsa);
  keys_->rsa = key;
  return Status::Ok();
}

bool JwtVerifier::enabled() const {
  return keys_->secret || keys_->rsa;
}

bool decode_base64url(std::string_view text, std::string& out) {
  if (text.find_first_of("+/=") != std::string_view::npos) return false;
  std::string std64(text);
  for (char& c : std64) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  if (std64.size() % 4 == 1) return false;
  while (std64.size() % 4 != 0) std64.push_back('=');
  out.clear();
  return decode_base64(std64, out);
}

void append_base64url(std::string_view bytes, std::string& out) {
  const size_t start = out.size();
  append_base64(bytes, out);
  while (out.size() > start && out.back() == '=') out.pop_back();
  for (size_t i = start; i < out.size(); ++i) {
    if (out[i] == '+') out[i] = '-';
    if (out[i] == '/') out[i] = '_';
  }
}

namespace {

JwtVerdict fail(JwtError e, std::string reason) {
  JwtVerdict v;
  v.error = e;
  v.reason = std::move(reason);
  return v;
}

bool parse_json(simdjson::dom::parser& parser, const std::string& text,
                simdjson::dom::element* root) {
  return parser.parse(text).get(*root) == simdjson::SUCCESS && root->is_object();
}

// A NumericDate (RFC 7519): a number of seconds; fractions are cut.
bool numeric_date(simdjson::dom::element v, int64_t* out) {
  if (v.get_int64().get(*out) == simdjson::SUCCESS) return true;
  double d = 0;
  if (v.get_double().get(d) != simdjson::SUCCESS || !(d > -9e15 && d < 9e15)) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

}  // namespace

JwtVerdict JwtVerifier::verify(std::string_view token, int64_t now_s) const {
  const size_t d1 = token.find('.');
  const size_t d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) {
    return fail(JwtError::kMalformed, "token malformed: expected three dot-separated parts");
  }
  std::string header, payload, sig;
  if (!decode_base64url(token.substr(0, d1), header) ||
      !decode_base64url(token.substr(d1 + 1, d2 - d1 - 1), payload) ||
      !decode_base64url(token.substr(d2 + 1), sig)) {
    return fail(JwtError::kMalformed, "token malformed: a part is not base64url");
  }
  simdjson::dom::parser parser;
  simdjson::dom::element h;
  if (!parse_json(parser, header, &h)) {
    return fail(JwtError::kMalformed, "token malformed: header is not a JSON object");
  }
  std::string_view alg;
  if (h["alg"].get_string().get(alg) != simdjson::SUCCESS) {
    return fail(JwtError::kMalformed, "token malformed: header has no alg");
  }
  const std::string_view signed_part = token.substr(0, d2);
  if (alg == "HS256" && keys_->secret) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), keys_->secret->data(), static_cast<int>(keys_->secret->size()),
              reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
              &len) ||
        sig.size() != len || CRYPTO_memcmp(mac, sig.data(), len) != 0) {
      return fail(JwtError::kSignature, "token signature invalid");
    }
  } else if (alg == "RS256" && keys_->rsa) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool good =
        ctx && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, keys_->rsa) == 1 &&
        EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                         reinterpret_cast<const unsigned char*>(signed_part.data()),
                         signed_part.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!good) return fail(JwtError::kSignature, "token signature invalid");
  } else {
    return fail(JwtError::kAlgorithm,
                "token alg '" + std::string(alg.substr(0, 16)) + "' not accepted");
  }
  simdjson::dom::parser pparser;
  simdjson::dom::element p;
  if (!parse_json(pparser, payload, &p)) {
    return fail(JwtError::kMalformed, "token malformed: claims are not a JSON object");
  }
  simdjson::dom::element v;
  int64_t t = 0;
  if (p["exp"].get(v) == simdjson::SUCCESS) {
    if (!numeric_date(v, &t)) return fail(JwtError::kMalformed, "token malformed: exp");
    if (now_s >= t + leeway_s_) return fail(JwtError::kExpired, "token expired");
  }
  if (p["nbf"].get(v) == simdjson::SUCCESS) {
    if (!numeric_date(v, &t)) return fail(JwtError::kMalformed, "token malformed: nbf");
    if (now_s + leeway_s_ < t) return fail(JwtError::kNotYetValid, "token not valid yet");
  }
  if (!issuer_.empty()) {
    std::string_view iss;
    if (p["iss"].get_string().get(iss) != simdjson::SUCCESS || iss != issuer_) {
      return fail(JwtError::kIssuer, "token issuer not accepted");
    }
  }
  if (!audience_.empty()) {
    bool named = false;
    std::string_view s;
    simdjson::dom::array arr;
    if (p["aud"].get(v) == simdjson::SUCCESS) {
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        named = s == audience_;
      } else if (v.get_array().get(arr) == simdjson::SUCCESS) {
        for (auto e : arr)
          named = named || (e.get_string().get(s) == simdjson::SUCCESS && s == audience_);
      }
    }
    if (!named) return fail(JwtError::kAudience, "token audience not accepted");
  }
  JwtVerdict ok;
  if (!topics_claim_.empty()) {
    ok.topics.emplace();
    if (p[topics_claim_].get(v) == simdjson::SUCCESS) {
      std::string_view s;
      simdjson::dom::array arr;
      if (v.get_string().get(s) == simdjson::SUCCESS) {
        ok.topics->emplace_back(s);
      } else if (v.get_array().get(arr) == simdjson::SUCCESS) {
        for (auto e : arr) {
          if (e.get_string().get(s) != simdjson::SUCCESS) {
            return fail(JwtError::kBadClaim,
                        "token claim '" + topics_claim_ + "' is not a list of topics");
          }
          ok.topics->emplace_back(s);
        }
      } else {
        return fail(JwtError::kBadClaim,
                    "token claim '" + topics_claim_ + "' is not a list of topics");
      }
    }
  }
  return ok;
}

}  // namespace sluice
