// Redis Cluster helpers: key slots, redirect replies, the slot map.
// See redis_backend.h for the design.
#include <algorithm>
#include <array>
#include <charconv>

#include "backends/redis_backend.h"

namespace sluice::redis {

namespace {
// CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, as in the
// Redis Cluster specification.
constexpr std::array<uint16_t, 256> crc16_table() {
  std::array<uint16_t, 256> t{};
  for (unsigned i = 0; i < 256; ++i) {
    unsigned crc = i << 8;
    for (int b = 0; b < 8; ++b) crc = (crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1;
    t[i] = static_cast<uint16_t>(crc);
  }
  return t;
}
constexpr std::array<uint16_t, 256> kCrc16 = crc16_table();

uint16_t crc16(std::string_view s) {
  uint16_t crc = 0;
  for (const char c : s) {
    crc = static_cast<uint16_t>((crc << 8) ^ kCrc16[((crc >> 8) ^ static_cast<uint8_t>(c)) & 0xff]);
  }
  return crc;
}
}  // namespace

uint16_t key_slot(std::string_view key) {
  // Only the part between the first '{' and the next '}' counts, when it
  // is not empty ("foo{}{bar}" hashes the whole key).
  const size_t open = key.find('{');
  if (open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) {
      key = key.substr(open + 1, close - open - 1);
    }
  }
  return crc16(key) & 16383;
}

bool parse_redirect(std::string_view error, Redirect* out) {
  if (error.rfind("MOVED ", 0) == 0) {
    out->ask = false;
    error.remove_prefix(6);
  } else if (error.rfind("ASK ", 0) == 0) {
    out->ask = true;
    error.remove_prefix(4);
  } else {
    return false;
  }
  const size_t space = error.find(' ');
  if (space == std::string_view::npos || space + 1 >= error.size()) return false;
  unsigned slot = 0;
  auto [end, ec] = std::from_chars(error.data(), error.data() + space, slot);
  if (ec != std::errc() || end != error.data() + space || slot > 16383) return false;
  out->slot = static_cast<uint16_t>(slot);
  out->endpoint = std::string(error.substr(space + 1));
  // Redis 7 may announce an unknown endpoint as ":port"; for_endpoint()
  // keeps the host already dialled then.
  return out->endpoint.find(':') != std::string::npos;
}

Status cluster_state_error(const ConnConfig& cfg, std::string_view error) {
  if (error.rfind("CLUSTERDOWN", 0) == 0) {
    return Status::Unavailable("redis cluster node '" + cfg.endpoint +
                               "' says the cluster is down (" + std::string(error) +
                               "); check `redis-cli -p PORT cluster info` on every node");
  }
  return Status::Ok();
}

Status SlotMap::refresh(Connection& conn) {
  Result<ReplyPtr> r = conn.call({"CLUSTER", "SLOTS"});
  if (!r.ok()) return r.status();
  const redisReply* rep = r->get();
  std::vector<Range> ranges;
  if (rep->type == REDIS_REPLY_ERROR) {
    // "ERR This instance has cluster support disabled": a plain server. A
    // user the ACL denies CLUSTER (NOPERM) is served as if it were one too,
    // rather than refused where a plain server would serve it.
    ranges_.clear();
    return Status::Ok();
  }
  for (size_t i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; ++i) {
    // [first, last, [host, port, id, ...] (master), [replica]...]
    const redisReply* e = rep->element[i];
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
        e->element[0]->type != REDIS_REPLY_INTEGER || e->element[1]->type != REDIS_REPLY_INTEGER ||
        e->element[2]->type != REDIS_REPLY_ARRAY || e->element[2]->elements < 2) {
      continue;
    }
    const redisReply* master = e->element[2];
    std::string_view host = reply_str(master->element[0]);
    if (host.empty() || host == "?") host = conn.config().host;
    std::string endpoint = host.find(':') != std::string_view::npos ? "[" + std::string(host) + "]"
                                                                    : std::string(host);
    endpoint += ':';
    endpoint += master->element[1]->type == REDIS_REPLY_INTEGER
                    ? std::to_string(master->element[1]->integer)
                    : std::string(reply_str(master->element[1]));
    ranges.push_back({static_cast<uint16_t>(e->element[0]->integer),
                      static_cast<uint16_t>(e->element[1]->integer), std::move(endpoint)});
  }
  std::sort(ranges.begin(), ranges.end(),
            [](const Range& a, const Range& b) { return a.first < b.first; });
  ranges_ = std::move(ranges);
  return Status::Ok();
}

std::string_view SlotMap::owner(uint16_t slot) const {
  for (const Range& r : ranges_) {
    if (slot >= r.first && slot <= r.last) return r.endpoint;
  }
  return {};
}

std::vector<std::string> SlotMap::masters() const {
  std::vector<std::string> out;
  for (const Range& r : ranges_) {
    if (std::find(out.begin(), out.end(), r.endpoint) == out.end()) out.push_back(r.endpoint);
  }
  return out;
}

Status learn_map(Connection& conn, const Redirect& to, SlotMap* map) {
  SLUICE_RETURN_IF_ERROR(map->refresh(conn));
  if (!map->cluster()) {
    return Status::Unavailable(
        "redis '" + conn.config().endpoint + "' redirected (MOVED slot " + std::to_string(to.slot) +
        ") but gave no slot map (CLUSTER SLOTS); allow the user +cluster|slots");
  }
  return Status::Ok();
}

Result<ReplyPtr> ask_call(const ConnConfig& base, std::string_view endpoint, const std::string& cmd,
                          std::unique_ptr<Connection>* side) {
  if (!*side || (*side)->config().endpoint != endpoint || !(*side)->connected()) {
    ConnConfig cfg = for_endpoint(base, endpoint);
    *side = std::make_unique<Connection>(std::move(cfg));
    SLUICE_RETURN_IF_ERROR((*side)->connect());
  }
  Result<ReplyPtr> asking = (*side)->call({"ASKING"});
  if (!asking.ok()) return asking.status();
  return (*side)->call(cmd);
}

}  // namespace sluice::redis
