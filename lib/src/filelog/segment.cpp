// Stream-level helpers of the file log: the meta file and segment listing.

#include <fcntl.h>

#include <algorithm>
#include <charconv>

#include "filelog/filelog.h"

namespace sluice::filelog {

std::string StreamSettings::encode() const {
  std::string s;
  s += "segment_bytes=" + std::to_string(segment_bytes) + "\n";
  s += "retention_bytes=" + std::to_string(retention_bytes) + "\n";
  s += "retention_ms=" + std::to_string(retention_ms) + "\n";
  s += "shards=" + std::to_string(shards) + "\n";
  return s;
}

Result<StreamSettings> StreamSettings::Parse(std::string_view text) {
  StreamSettings out;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty() || line[0] == '#') continue;
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::Config("meta line " + std::to_string(line_no) + ": expected key=value");
    }
    std::string_view key = line.substr(0, eq);
    std::string_view val = line.substr(eq + 1);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(val.data(), val.data() + val.size(), v);
    int64_t shards = -1;
    int64_t* field = nullptr;
    if (key == "shards") field = &shards;
    if (key == "segment_bytes") field = &out.segment_bytes;
    if (key == "retention_bytes") field = &out.retention_bytes;
    if (key == "retention_ms") field = &out.retention_ms;
    if (!field) continue;  // newer keys are ignored by older readers
    if (ec != std::errc() || end != val.data() + val.size()) {
      return Status::Config("meta line " + std::to_string(line_no) + ": '" + std::string(key) +
                            "' is not an integer");
    }
    *field = v;
    if (field == &shards) {
      if (v < 1 || v > kMaxShards) {
        return Status::Config("meta line " + std::to_string(line_no) + ": shards must be 1 to " +
                              std::to_string(kMaxShards));
      }
      out.shards = static_cast<int32_t>(v);
    }
  }
  if (out.segment_bytes <= 0) {
    return Status::Config("meta: segment_bytes must be positive");
  }
  return out;
}

Result<StreamSettings> read_settings(Env* env, const std::string& stream_dir) {
  std::string path = stream_dir + "/meta";
  Result<std::string> text = env->read_file(path);
  if (!text.ok()) {
    if (text.status().is(StatusCode::kNotFound)) return StreamSettings{};
    return text.status();
  }
  Result<StreamSettings> s = StreamSettings::Parse(*text);
  if (!s.ok()) return s.status().With("'" + path + "'");
  return s;
}

std::string shard_dir(const std::string& stream_dir, int32_t shards, int32_t shard) {
  if (shards <= 1) return stream_dir;
  return stream_dir + "/shards/" + std::to_string(shard);
}

Result<StreamSettings> find_stream(Env* env, const std::string& stream_dir, std::string_view name) {
  auto missing = [&] {
    size_t slash = stream_dir.find_last_of('/');
    std::string parent = slash == std::string::npos ? "." : stream_dir.substr(0, slash);
    return Status::NotFound("stream '" + std::string(name) + "' does not exist in '" + parent +
                            "'");
  };
  if (!env->exists(stream_dir + "/meta")) {
    // A stream from before meta existed has segments; a directory with
    // neither is a stream still being created (meta is written last).
    Result<std::vector<int64_t>> bases = list_segments(env, stream_dir);
    if (!bases.ok()) {
      if (bases.status().is(StatusCode::kNotFound)) return missing();
      return bases.status();
    }
    if (bases->empty()) return missing();
  }
  return read_settings(env, stream_dir);
}

Result<std::vector<int64_t>> list_segments(Env* env, const std::string& stream_dir) {
  Result<std::vector<std::string>> names = env->list_dir(stream_dir);
  if (!names.ok()) return names.status();
  std::vector<int64_t> bases;
  for (const std::string& n : *names) {
    int64_t b;
    if (parse_segment_file_name(n, &b)) bases.push_back(b);
  }
  std::sort(bases.begin(), bases.end());
  return bases;
}

}  // namespace sluice::filelog
