// Helpers shared by the file log tests: a temporary directory, a warning
// collector, and shortcuts to write and read records.
#pragma once

#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <string>
#include <vector>

#include "filelog/filelog.h"
#include "sluice/message.h"
#include "sluice/status.h"
#include "sluice/uri.h"

namespace filelog_test {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    const char* base = getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/sluice-test-XXXXXX";
    char* p = mkdtemp(tmpl.data());
    REQUIRE(p != nullptr);
    path_ = p;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// Collects sluice::warn() output while alive.
class WarningCapture {
 public:
  WarningCapture() {
    std::lock_guard<std::mutex> l(mu());
    lines().clear();
    sluice::set_warning_handler(&WarningCapture::handle);
  }
  ~WarningCapture() { sluice::set_warning_handler(nullptr); }
  std::vector<std::string> take() {
    std::lock_guard<std::mutex> l(mu());
    std::vector<std::string> out;
    out.swap(lines());
    return out;
  }

 private:
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::string>& lines() {
    static std::vector<std::string> v;
    return v;
  }
  static void handle(std::string_view text) {
    std::lock_guard<std::mutex> l(mu());
    lines().emplace_back(text);
  }
};

// A whole file's bytes, and replacing them (to damage a segment by hand).
inline std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_all_file(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

inline sluice::Message payload_msg(std::string_view payload) {
  sluice::Message m;
  m.payload = payload;
  return m;
}

// Appends `n` records "<prefix><i>" as one batch; returns the first seq.
inline int64_t append(sluice::filelog::LogWriter& w, const std::string& prefix, int n,
                      int first_index = 0) {
  std::vector<std::string> payloads;
  for (int i = 0; i < n; ++i) payloads.push_back(prefix + std::to_string(first_index + i));
  for (const std::string& p : payloads) REQUIRE(w.add(payload_msg(p)).ok());
  int64_t first = -1;
  sluice::Status st = w.write_batch(&first);
  REQUIRE_MESSAGE(st.ok(), st.message());
  return first;
}

// Reads everything currently in the stream from `r`'s position.
inline std::vector<sluice::OwnedMessage> drain(sluice::filelog::LogReader& r) {
  std::vector<sluice::OwnedMessage> out;
  std::vector<sluice::Message> batch;
  for (;;) {
    batch.clear();
    bool at_end = false;
    sluice::Status st = r.read(&batch, 1000, &at_end);
    REQUIRE_MESSAGE(st.ok(), st.message());
    for (const sluice::Message& m : batch) out.emplace_back(m);
    if (at_end) break;
  }
  return out;
}

// A file: URI of `streams` in the directory `tmp`.
inline sluice::StreamUri uri_of(const TempDir& tmp, std::vector<std::string> streams = {"s"}) {
  sluice::StreamUri u;
  u.scheme = sluice::Scheme::kFile;
  u.dir = tmp.path();
  u.streams = std::move(streams);
  return u;
}

}  // namespace filelog_test
