// Fuzz target: stream URI parsing.
//
// Parsing never crashes; errors are kInvalidArgument and never show the
// password; a parsed URI's redacted() text parses back to the same URI
// (the password aside, which redaction replaces by "***").
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "sluice/uri.h"

using namespace sluice;

namespace {

void fail(const char* what, std::string_view input, std::string_view detail) {
  std::fprintf(stderr, "fuzz_uri: %s\n  input: %.*s\n  detail: %.*s\n", what,
               static_cast<int>(input.size()), input.data(), static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

bool secret(std::string_view name) {
  std::string n(name);
  for (char& c : n) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* w : {"password", "secret", "jaas", "token", "ssl.key", "credential"}) {
    if (n.find(w) != std::string::npos) return true;
  }
  return false;
}

void check(std::string_view text, UriKind kind) {
  Result<StreamUri> r = parse_stream_uri(text, kind);
  if (!r.ok()) {
    if (r.status().code() != StatusCode::kInvalidArgument)
      fail("wrong code", text, r.status().message());
    if (r.status().message().find("invalid ") != 0)
      fail("message prefix", text, r.status().message());
    return;
  }
  const StreamUri& u = *r;
  if (kind == UriKind::kStream && u.scheme != Scheme::kStdio && u.streams.empty()) {
    fail("stream uri without streams", text, "");
  }
  if (kind == UriKind::kCluster && !u.streams.empty()) fail("cluster uri with streams", text, "");
  for (const std::string& s : u.streams) {
    if (s.empty()) fail("empty stream name", text, "");
  }
  const std::string red = u.redacted();
  if (u.password.size() >= 3 && red.find(u.password) != std::string::npos &&
      text.find(u.password) == text.rfind(u.password)) {
    // The password text may legitimately occur elsewhere (a host named
    // like it); only a unique occurrence in the input proves a leak.
    if (red.find(":" + u.password + "@") != std::string::npos) fail("password leaked", text, red);
  }
  Result<StreamUri> again = parse_stream_uri(red, kind);
  if (!again.ok()) fail("redacted() does not parse", text, red + " -> " + again.status().message());
  const StreamUri& v = *again;
  if (v.scheme != u.scheme || v.hosts != u.hosts || v.streams != u.streams || v.user != u.user) {
    fail("redacted() parses to another uri", text, red);
  }
  if (u.streams.empty() ? v.dir != u.dir
                        : v.stream_path(v.streams[0]) != u.stream_path(u.streams[0])) {
    fail("redacted() changes the path", text, red);
  }
  if (v.params.size() != u.params.size()) fail("redacted() changes params", text, red);
  for (size_t i = 0; i < u.params.size(); ++i) {
    if (v.params[i].first != u.params[i].first ||
        (!secret(u.params[i].first) && v.params[i].second != u.params[i].second)) {
      fail("redacted() changes a param", text, red);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(bytes), size);
  check(text, UriKind::kStream);
  check(text, UriKind::kCluster);
  check(text, UriKind::kAny);
  return 0;
}
