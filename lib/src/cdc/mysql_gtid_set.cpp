// MySQL GTID sets (see mysql_gtid_set.h).
#include "cdc/mysql_gtid_set.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace sluice::mysql {

namespace {

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

// A uuid in its 8-4-4-4-12 text form.
bool valid_uuid(std::string_view u) {
  if (u.size() != 36) return false;
  for (size_t i = 0; i < u.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? u[i] != '-' : !is_hex(u[i])) return false;
  }
  return true;
}

}  // namespace

void GtidSet::add_interval(const std::string& uuid, Interval iv) {
  auto& v = sets_[uuid];
  // First interval that ends at or after iv.first - 1 (could touch or overlap).
  auto it = std::lower_bound(v.begin(), v.end(), iv.first,
                             [](const Interval& a, uint64_t x) { return a.second + 1 < x; });
  auto end = it;
  while (end != v.end() && end->first <= iv.second + 1) {
    iv.first = std::min(iv.first, end->first);
    iv.second = std::max(iv.second, end->second);
    ++end;
  }
  it = v.erase(it, end);
  v.insert(it, iv);
}

void GtidSet::add(const std::string& uuid, uint64_t gno) {
  if (gno >= 1 && gno <= kMaxGno) add_interval(uuid, {gno, gno});
}

bool GtidSet::contains(const std::string& uuid, uint64_t gno) const {
  auto s = sets_.find(uuid);
  if (s == sets_.end()) return false;
  for (const auto& [a, b] : s->second)
    if (gno >= a && gno <= b) return true;
  return false;
}

std::string GtidSet::format() const {
  std::string out;
  for (const auto& [uuid, ivs] : sets_) {
    if (!out.empty()) out.push_back(',');
    out += uuid;
    for (const auto& [a, b] : ivs) {
      out += ':' + std::to_string(a);
      if (b != a) out += '-' + std::to_string(b);
    }
  }
  return out;
}

Result<GtidSet> GtidSet::parse(std::string_view text) {
  GtidSet set;
  size_t at = 0;
  auto bad = [&](const std::string& why) {
    return Status::BadData("bad GTID set at offset " + std::to_string(at) + ": " + why +
                           " (expected uuid:N[-M][:N[-M]...][,uuid:...])");
  };
  auto skip_space = [&] {
    while (at < text.size() && (text[at] == ' ' || text[at] == '\n' || text[at] == '\t')) ++at;
  };
  auto number = [&](uint64_t* n) {
    const char* b = text.data() + at;
    auto r = std::from_chars(b, text.data() + text.size(), *n);
    if (r.ec != std::errc() || r.ptr == b) return false;
    at += static_cast<size_t>(r.ptr - b);
    return true;
  };
  skip_space();
  if (at == text.size()) return set;  // the empty set
  for (;;) {
    skip_space();
    if (at + 36 > text.size() || !valid_uuid(text.substr(at, 36))) return bad("not a uuid");
    std::string uuid(text.substr(at, 36));
    std::transform(uuid.begin(), uuid.end(), uuid.begin(),
                   [](char c) { return static_cast<char>(std::tolower(c)); });
    at += 36;
    if (at >= text.size() || text[at] != ':') return bad("expected ':' after the uuid");
    while (at < text.size() && text[at] == ':') {
      ++at;
      uint64_t a = 0, b = 0;
      if (!number(&a)) return bad("expected a transaction number");
      b = a;
      if (at < text.size() && text[at] == '-') {
        ++at;
        if (!number(&b)) return bad("expected the interval's last number");
      }
      if (a == 0 || b < a || b > kMaxGno) return bad("empty interval, number 0 or above 2^63-1");
      set.add_interval(uuid, {a, b});
    }
    skip_space();
    if (at == text.size()) return set;
    if (text[at] != ',') return bad("expected ',' or ':'");
    ++at;
  }
}

}  // namespace sluice::mysql
