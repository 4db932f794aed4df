// The offsets file (see mysql_offsets.h).
#include "cdc/mysql_offsets.h"

#include <charconv>

#include "cdc/mysql_gtid_set.h"

namespace sluice::mysql {

std::string format_offsets(const BinlogPosition& p) {
  std::string s = "file=" + p.file + "\npos=" + std::to_string(p.pos) + "\n";
  if (!p.gtid.empty()) s += "gtid=" + p.gtid + "\n";
  if (!p.gtid_set.empty()) s += "gtid_set=" + p.gtid_set + "\n";
  return s;
}

Result<BinlogPosition> parse_offsets(std::string_view text, std::string_view path) {
  BinlogPosition p;
  bool has_pos = false;
  size_t line_no = 0;
  while (!text.empty()) {
    ++line_no;
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (line.empty()) continue;
    size_t eq = line.find('=');
    auto bad = [&](const std::string& why) {
      return Status::BadData("offsets file '" + std::string(path) + "' line " +
                             std::to_string(line_no) + ": " + why +
                             " (expected file=NAME, pos=N, gtid=SET, gtid_set=SET lines)");
    };
    if (eq == std::string_view::npos) return bad("no '='");
    std::string_view k = line.substr(0, eq), v = line.substr(eq + 1);
    if (k == "file") {
      if (v.empty() || v.find('/') != std::string_view::npos) return bad("bad binlog file name");
      p.file.assign(v);
    } else if (k == "pos") {
      auto r = std::from_chars(v.data(), v.data() + v.size(), p.pos);
      if (r.ec != std::errc() || r.ptr != v.data() + v.size() || p.pos < 4)
        return bad("bad position '" + std::string(v) + "'");
      has_pos = true;
    } else if (k == "gtid") {
      p.gtid.assign(v);
    } else if (k == "gtid_set") {
      auto set = GtidSet::parse(v);
      if (!set.ok()) return bad(set.status().message());
      p.gtid_set = set->format();
    }
  }
  // A gtid= line alone (MariaDB) resumes by GTID: after a failover to
  // another server, whose binlog files have other names and positions.
  if (p.file.empty() && !has_pos && !p.gtid.empty()) return p;
  if (p.file.empty() || !has_pos)
    return Status::BadData("offsets file '" + std::string(path) +
                           "' has no file= and pos= lines (nor a gtid= line alone)");
  return p;
}

Result<std::optional<BinlogPosition>> load_offsets(Env* env, const std::string& path) {
  if (!env->exists(path)) return std::optional<BinlogPosition>();
  auto text = env->read_file(path);
  if (!text.ok()) return text.status().With("offsets file");
  auto p = parse_offsets(*text, path);
  if (!p.ok()) return p.status();
  return std::optional<BinlogPosition>(std::move(*p));
}

Status save_offsets(Env* env, const std::string& path, const BinlogPosition& p) {
  Status st = env->write_file_atomic(path, format_offsets(p));
  return st.ok() ? st : st.With("cannot write offsets file '" + path + "'");
}

}  // namespace sluice::mysql
