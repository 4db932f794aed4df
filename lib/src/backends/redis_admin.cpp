// Redis admin: describe streams for `top` and friends.
//
// Streams are the URI's (or the caller's `only`), else every key of type
// stream found with SCAN ... TYPE stream. Per stream: XINFO STREAM (length,
// first and last entry) and XINFO GROUPS. A group's `committed` is the seq
// after its last-delivered-id (Redis tracks delivery, not a commit point);
// its lag is the server's undelivered count (Redis 7 `lag`, computed from
// the range when the server cannot tell) plus the entries delivered but not
// yet acknowledged (`pending`). Its members come from XINFO CONSUMERS, and
// the time of its oldest unconsumed entry from that entry's id.
//
// Redis Cluster: the slot map is read (CLUSTER SLOTS) at every describe();
// the SCAN runs on every master, and each stream is described by the node
// serving its slot, over one cached connection per node.
#include <algorithm>
#include <charconv>

#include "backends/redis_backend.h"

namespace sluice {
namespace {

using namespace redis;  // NOLINT: backend-internal

// Value of `key` in a flat [k1, v1, k2, v2, ...] reply, or null.
const redisReply* field(const redisReply* r, std::string_view key) {
  if (!r || r->type != REDIS_REPLY_ARRAY) return nullptr;
  for (size_t i = 0; i + 1 < r->elements; i += 2) {
    if (reply_str(r->element[i]) == key) return r->element[i + 1];
  }
  return nullptr;
}

int64_t int_of(const redisReply* r, int64_t fallback) {
  if (!r) return fallback;
  if (r->type == REDIS_REPLY_INTEGER) return r->integer;
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) {
    int64_t v = 0;
    const std::string_view s = reply_str(r);
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec == std::errc() && end == s.data() + s.size()) return v;
  }
  return fallback;
}

bool entry_id_of(const redisReply* entry, EntryId* id) {
  return entry && entry->type == REDIS_REPLY_ARRAY && entry->elements > 0 &&
         parse_entry_id(reply_str(entry->element[0]), id);
}

class RedisAdmin final : public Admin {
 public:
  RedisAdmin(ConnConfig cfg, std::vector<std::string> streams)
      : conn_(std::move(cfg)), streams_(std::move(streams)) {}

  Status open() { return conn_.connect(); }

  Result<std::vector<StreamInfo>> describe(const std::vector<std::string>& only) override {
    if (!conn_.connected()) SLUICE_RETURN_IF_ERROR(conn_.reconnect(conn_.config().timeout));
    SLUICE_RETURN_IF_ERROR(map_.refresh(conn_));
    std::vector<std::string> names = !only.empty() ? only : streams_;
    if (names.empty()) {
      for (const std::string& master :
           map_.cluster() ? map_.masters() : std::vector<std::string>{""}) {
        Result<Connection*> node = node_at(master);
        if (!node.ok()) return node.status();
        SLUICE_RETURN_IF_ERROR(scan_streams(**node, &names));
      }
      std::sort(names.begin(), names.end());
    }
    std::vector<StreamInfo> out;
    for (const std::string& name : names) {
      Result<Connection*> node = node_at(map_.cluster() ? map_.owner(key_slot(name)) : "");
      if (!node.ok()) return node.status();
      Result<StreamInfo> info = describe_one(**node, name);
      if (!info.ok()) return info.status();
      out.push_back(std::move(*info));
    }
    return out;
  }

 private:
  // The connection to the cluster node at `endpoint`; the seed connection
  // for "" (no cluster) or the seed's own endpoint.
  Result<Connection*> node_at(std::string_view endpoint) {
    if (endpoint.empty() || endpoint == conn_.config().endpoint) return &conn_;
    for (auto& n : nodes_) {
      if (n->config().endpoint != endpoint) continue;
      if (!n->connected()) SLUICE_RETURN_IF_ERROR(n->reconnect(n->config().timeout));
      return n.get();
    }
    ConnConfig cfg = for_endpoint(conn_.config(), endpoint);
    nodes_.push_back(std::make_unique<Connection>(std::move(cfg)));
    SLUICE_RETURN_IF_ERROR(nodes_.back()->connect());
    return nodes_.back().get();
  }

  Status scan_streams(Connection& conn, std::vector<std::string>* names) {
    std::string cursor = "0";
    do {
      Result<ReplyPtr> r = conn.call({"SCAN", cursor, "COUNT", "1000", "TYPE", "stream"});
      if (!r.ok()) return r.status();
      const redisReply* rep = r->get();
      if (rep->type == REDIS_REPLY_ERROR) return reply_error(conn.config(), "*", reply_str(rep));
      if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) break;
      cursor = std::string(reply_str(rep->element[0]));
      const redisReply* keys = rep->element[1];
      for (size_t i = 0; keys->type == REDIS_REPLY_ARRAY && i < keys->elements; ++i) {
        names->emplace_back(reply_str(keys->element[i]));
      }
    } while (cursor != "0");
    return Status::Ok();
  }

  Result<StreamInfo> describe_one(Connection& conn, const std::string& name) {
    StreamInfo info;
    info.name = name;
    ShardInfo shard;
    Result<ReplyPtr> r = conn.call({"XINFO", "STREAM", name});
    if (!r.ok()) return r.status();
    const redisReply* s = r->get();
    if (s->type == REDIS_REPLY_ERROR) {
      // A missing key is an empty stream; anything else (WRONGTYPE) is not.
      if (reply_str(s).find("no such key") != std::string_view::npos) {
        info.shards.push_back(shard);
        return info;
      }
      return reply_error(conn.config(), name, reply_str(s));
    }
    info.messages = int_of(field(s, "length"), 0);
    info.appended = int_of(field(s, "entries-added"), -1);  // redis 7.0+
    EntryId first, last;
    if (entry_id_of(field(s, "first-entry"), &first)) {
      shard.first_seq = entry_id_to_seq(first);
      shard.first_ts_us = static_cast<int64_t>(first.ms) * 1000;
    }
    if (entry_id_of(field(s, "last-entry"), &last)) {
      shard.last_seq = entry_id_to_seq(last);
      shard.last_ts_us = static_cast<int64_t>(last.ms) * 1000;
    }
    info.shards.push_back(shard);

    Result<ReplyPtr> g = conn.call({"XINFO", "GROUPS", name});
    if (!g.ok()) return g.status();
    const redisReply* groups = g->get();
    for (size_t i = 0; groups->type == REDIS_REPLY_ARRAY && i < groups->elements; ++i) {
      const redisReply* gr = groups->element[i];
      GroupInfo gi;
      gi.name = std::string(reply_str(field(gr, "name")));
      EntryId delivered;
      const redisReply* ld = field(gr, "last-delivered-id");
      const bool have = ld && parse_entry_id(reply_str(ld), &delivered);
      gi.committed.push_back(have && delivered != EntryId{} ? entry_id_to_seq(delivered) + 1 : -1);
      const int64_t pending = int_of(field(gr, "pending"), 0);
      int64_t lag = int_of(field(gr, "lag"), -1);
      if (lag < 0) lag = have && delivered >= last ? 0 : info.messages;  // unknown: bound
      gi.lag = lag + pending;
      SLUICE_RETURN_IF_ERROR(
          add_group_details(conn, name, have ? &delivered : nullptr, pending, &gi));
      info.groups.push_back(std::move(gi));
    }
    return info;
  }

  // The members of the group (XINFO CONSUMERS) and the timestamp of its
  // oldest unconsumed entry: the oldest pending one, else the first entry
  // after the last delivered one (an entry id holds its time in ms).
  Status add_group_details(Connection& conn, const std::string& stream, const EntryId* delivered,
                           int64_t pending, GroupInfo* gi) {
    Result<ReplyPtr> c = conn.call({"XINFO", "CONSUMERS", stream, gi->name});
    if (!c.ok()) return c.status();
    const redisReply* cs = c->get();
    for (size_t i = 0; cs->type == REDIS_REPLY_ARRAY && i < cs->elements; ++i) {
      MemberInfo m;
      m.name = std::string(reply_str(field(cs->element[i], "name")));
      m.pending = int_of(field(cs->element[i], "pending"), 0);
      m.idle_ms = int_of(field(cs->element[i], "idle"), -1);
      gi->members.push_back(std::move(m));
    }
    EntryId oldest;
    bool found = false;
    if (pending > 0) {
      Result<ReplyPtr> p = conn.call({"XPENDING", stream, gi->name});
      if (!p.ok()) return p.status();
      const redisReply* pr = p->get();
      found = pr->type == REDIS_REPLY_ARRAY && pr->elements >= 2 &&
              parse_entry_id(reply_str(pr->element[1]), &oldest);
    }
    if (!found && gi->lag > 0) {
      const std::string from = delivered ? "(" + format_entry_id(*delivered) : "-";
      Result<ReplyPtr> r = conn.call({"XRANGE", stream, from, "+", "COUNT", "1"});
      if (!r.ok()) return r.status();
      const redisReply* rr = r->get();
      found = rr->type == REDIS_REPLY_ARRAY && rr->elements == 1 &&
              entry_id_of(rr->element[0], &oldest);
    }
    if (found) gi->oldest_unconsumed_ts_us = static_cast<int64_t>(oldest.ms) * 1000;
    return Status::Ok();
  }

  Connection conn_;                                 // to the seed
  std::vector<std::unique_ptr<Connection>> nodes_;  // to other cluster masters
  SlotMap map_;
  std::vector<std::string> streams_;
};

}  // namespace

Result<std::unique_ptr<Admin>> open_redis_admin(const StreamUri& cluster) {
  Result<ConnConfig> cfg = redis::conn_config(cluster, Millis(10000));
  if (!cfg.ok()) return cfg.status();
  auto a = std::make_unique<RedisAdmin>(std::move(*cfg), cluster.streams);
  SLUICE_RETURN_IF_ERROR(a->open());
  return std::unique_ptr<Admin>(std::move(a));
}

}  // namespace sluice
