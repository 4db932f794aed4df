// Redis admin: describe streams for `top` and friends; create, remove,
// reset a group, trim and configure for `streams`.
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
// A stream has one shard. create makes an empty stream (XGROUP CREATE
// MKSTREAM, then the group is destroyed again) and keeps a retention age
// in the stream's meta hash (meta_key()), which the producer trims to with
// XADD MINID; Redis cannot bound a stream by bytes, so a size is refused.
// reset moves the group with XGROUP SETID (and ENTRIESREAD, so that the
// server's lag stays exact); trim is XTRIM MINID (exact) or MAXLEN; rm
// deletes the stream and its meta hash.
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
    SLUICE_RETURN_IF_ERROR(refresh());
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
    // Pipelined: the three commands of up to kBatch streams of one node in
    // one round trip (10,000 streams in well under a second, B13).
    constexpr size_t kBatch = 500;
    std::vector<StreamInfo> out(names.size());
    std::vector<std::pair<std::string, std::vector<size_t>>> by_node;
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string node(map_.cluster() ? map_.owner(key_slot(names[i])) : "");
      auto it = std::find_if(by_node.begin(), by_node.end(),
                             [&](const auto& n) { return n.first == node; });
      if (it == by_node.end()) it = by_node.insert(by_node.end(), {node, {}});
      it->second.push_back(i);
    }
    for (const auto& [endpoint, idx] : by_node) {
      Result<Connection*> node = node_at(endpoint);
      if (!node.ok()) return node.status();
      for (size_t from = 0; from < idx.size(); from += kBatch) {
        const size_t to = std::min(idx.size(), from + kBatch);
        std::string buf;
        for (size_t k = from; k < to; ++k) append_describe(buf, names[idx[k]]);
        Result<std::vector<ReplyPtr>> r = (*node)->call_many(buf, 3 * (to - from));
        if (!r.ok()) return r.status();
        for (size_t k = from; k < to; ++k) {
          const size_t j = 3 * (k - from);
          Result<StreamInfo> info = describe_from(**node, names[idx[k]], (*r)[j].get(),
                                                  (*r)[j + 1].get(), (*r)[j + 2].get());
          if (!info.ok()) return info.status();
          out[idx[k]] = std::move(*info);
        }
      }
    }
    return out;
  }

  Status create(const std::string& stream, const CreateOptions& o) override {
    if (o.shards != 1) {
      return Status::InvalidArgument("a redis stream has one shard, not " +
                                     std::to_string(o.shards) + " (use one stream per shard)");
    }
    if (o.retention_bytes >= 0) return no_size_retention(stream);
    Result<Connection*> c = for_stream(stream);
    if (!c.ok()) return c.status();
    Result<ReplyPtr> e = command(**c, stream, {"EXISTS", stream});
    if (!e.ok()) return e.status();
    if ((*e)->integer > 0) {
      return Status::InvalidArgument("redis key '" + stream + "' already exists on '" +
                                     conn_.config().endpoint + "'");
    }
    // MKSTREAM makes the empty stream; the group was only the means.
    static constexpr std::string_view kTmpGroup = "sluice-streams-create";
    SLUICE_RETURN_IF_ERROR(
        command(**c, stream, {"XGROUP", "CREATE", stream, kTmpGroup, "$", "MKSTREAM"}).status());
    SLUICE_RETURN_IF_ERROR(command(**c, stream, {"XGROUP", "DESTROY", stream, kTmpGroup}).status());
    if (o.retention_ms >= 0) return set_retention(**c, stream, o.retention_ms);
    return Status::Ok();
  }

  Status remove(const std::string& stream) override {
    Result<Connection*> c = existing(stream);
    if (!c.ok()) return c.status();
    return command(**c, stream, {"DEL", stream, meta_key(stream)}).status();
  }

  Result<std::vector<ShardReset>> reset_group(const std::string& group, const std::string& stream,
                                              const StartPosition& to, bool dry_run,
                                              bool force) override {
    Result<Connection*> c = existing(stream);
    if (!c.ok()) return c.status();
    Result<StreamInfo> info = describe_one(**c, stream);
    if (!info.ok()) return info.status();
    auto g = std::find_if(info->groups.begin(), info->groups.end(),
                          [&](const GroupInfo& gi) { return gi.name == group; });
    if (g == info->groups.end()) {
      return Status::NotFound("group '" + group + "' of redis stream '" + stream +
                              "' does not exist");
    }
    for (const MemberInfo& m : g->members) {
      if (force || m.idle_ms < 0 || m.idle_ms >= kLiveIdleMs) continue;
      return Status::TryAgain("group '" + group + "' of redis stream '" + stream +
                              "' has a live member (" + m.name + ", idle " +
                              std::to_string(m.idle_ms) + " ms): stop it first, or --force");
    }
    Result<EntryId> last = last_before(**c, stream, *info, to);
    if (!last.ok()) return last.status();
    ShardReset r;
    r.before = g->committed.empty() ? -1 : g->committed[0];
    r.after = *last == EntryId{} ? -1 : entry_id_to_seq(*last) + 1;
    if (dry_run) return std::vector<ShardReset>{r};
    Result<int64_t> after = count_after(**c, stream, *info, *last);
    if (!after.ok()) return after.status();
    const std::string id = format_entry_id(*last);
    std::vector<std::string_view> args = {"XGROUP", "SETID", stream, group, id};
    std::string read;
    if (info->appended >= 0) {
      read = std::to_string(std::max<int64_t>(0, info->appended - *after));
      args.insert(args.end(), {"ENTRIESREAD", read});
    }
    SLUICE_RETURN_IF_ERROR(command(**c, stream, args).status());
    return std::vector<ShardReset>{r};
  }

  Result<std::vector<ShardTrim>> trim(const std::string& stream,
                                      const StartPosition& keep_from) override {
    Result<Connection*> c = existing(stream);
    if (!c.ok()) return c.status();
    Result<StreamInfo> before = describe_one(**c, stream);
    if (!before.ok()) return before.status();
    ShardTrim t;
    t.first_before = t.first_after = before->shards[0].first_seq;
    t.dropped = 0;
    std::vector<std::string_view> args = {"XTRIM", stream};
    std::string arg;
    switch (keep_from.kind) {
      case StartPosition::Kind::kBeginning:
        return std::vector<ShardTrim>{t};
      case StartPosition::Kind::kEnd:
        args.insert(args.end(), {"MAXLEN", "0"});
        break;
      case StartPosition::Kind::kFromEnd:
        arg = std::to_string(keep_from.value);
        args.insert(args.end(), {"MAXLEN", arg});
        break;
      case StartPosition::Kind::kSeq:
        arg = format_entry_id(seq_to_entry_id(keep_from.value));
        args.insert(args.end(), {"MINID", arg});
        break;
      case StartPosition::Kind::kTime:
        arg = std::to_string((std::max<int64_t>(0, keep_from.value) + 999) / 1000) + "-0";
        args.insert(args.end(), {"MINID", arg});
        break;
    }
    Result<ReplyPtr> r = command(**c, stream, args);
    if (!r.ok()) return r.status();
    t.dropped = (*r)->integer;
    Result<StreamInfo> after = describe_one(**c, stream);
    if (!after.ok()) return after.status();
    t.first_after = after->shards[0].first_seq;
    return std::vector<ShardTrim>{t};
  }

  Status configure(const std::string& stream, const RetentionChange& change) override {
    if (change.set_bytes && change.retention_bytes >= 0) return no_size_retention(stream);
    Result<Connection*> c = existing(stream);
    if (!c.ok()) return c.status();
    if (!change.set_ms) return Status::Ok();
    return set_retention(**c, stream, change.retention_ms);
  }

 private:
  // A consumer that read within this long is taken for a live member: a
  // tap blocks at most 1 s per read. Redis cannot tell more (7.0 has no
  // `inactive`; a member that exited leaving entries pending stays listed),
  // so one that exited is taken for live for this long.
  static constexpr int64_t kLiveIdleMs = 5000;

  Status refresh() {
    if (!conn_.connected()) SLUICE_RETURN_IF_ERROR(conn_.reconnect(conn_.config().timeout));
    return map_.refresh(conn_);
  }

  Result<Connection*> for_stream(const std::string& stream) {
    SLUICE_RETURN_IF_ERROR(refresh());
    return node_at(map_.cluster() ? map_.owner(key_slot(stream)) : "");
  }

  // The node of `stream`, kNotFound unless it is a stream.
  Result<Connection*> existing(const std::string& stream) {
    Result<Connection*> c = for_stream(stream);
    if (!c.ok()) return c.status();
    Result<ReplyPtr> t = command(**c, stream, {"TYPE", stream});
    if (!t.ok()) return t.status();
    const std::string_view type = reply_str(t->get());
    if (type == "stream") return c;
    if (type == "none") {
      return Status::NotFound("redis stream '" + stream + "' does not exist on '" +
                              conn_.config().endpoint + "'");
    }
    return Status::BadData("redis key '" + stream + "' is a " + std::string(type) +
                           ", not a stream");
  }

  // Runs one command; an error reply becomes a Status naming `key`.
  Result<ReplyPtr> command(Connection& c, std::string_view key,
                           std::initializer_list<std::string_view> args) {
    return command(c, key, std::vector<std::string_view>(args));
  }
  Result<ReplyPtr> command(Connection& c, std::string_view key,
                           const std::vector<std::string_view>& args) {
    std::string buf;
    RespCommand cmd(buf);
    cmd.begin(args.size());
    for (std::string_view a : args) cmd.arg(a);
    Result<ReplyPtr> r = c.call(buf);
    if (!r.ok()) return r.status();
    if ((*r)->type == REDIS_REPLY_ERROR) {
      const std::string_view e = reply_str(r->get());
      if (e.rfind("NOGROUP", 0) == 0) {
        return Status::NotFound("redis stream '" + std::string(key) + "': " + std::string(e));
      }
      return reply_error(c.config(), key, e);
    }
    return r;
  }

  Status no_size_retention(const std::string& stream) {
    return Status::InvalidArgument("redis stream '" + stream +
                                   "': redis cannot bound a stream by bytes; give an age "
                                   "(--retention 7d), or trim with streams trim --keep N");
  }

  Status set_retention(Connection& c, const std::string& stream, int64_t retention_ms) {
    const std::string key = meta_key(stream);
    if (retention_ms < 0) return command(c, stream, {"HDEL", key, "retention_ms"}).status();
    return command(c, stream, {"HSET", key, "retention_ms", std::to_string(retention_ms)}).status();
  }

  // The id a group must have delivered last so that it next reads `to`:
  // "0-0" for the beginning.
  Result<EntryId> last_before(Connection& c, const std::string& stream, const StreamInfo& info,
                              const StartPosition& to) {
    const ShardInfo& sh = info.shards[0];
    EntryId after;
    if (to.kind == StartPosition::Kind::kEnd) {
      return sh.last_seq >= 0 ? seq_to_entry_id(sh.last_seq) : EntryId{};
    }
    if (to.kind == StartPosition::Kind::kFromEnd) {
      if (to.value <= 0) return sh.last_seq >= 0 ? seq_to_entry_id(sh.last_seq) : EntryId{};
      const std::string n = std::to_string(to.value);
      Result<ReplyPtr> r = command(c, stream, {"XREVRANGE", stream, "+", "-", "COUNT", n});
      if (!r.ok()) return r.status();
      const redisReply* rr = r->get();
      EntryId oldest;
      if (rr->type != REDIS_REPLY_ARRAY || static_cast<int64_t>(rr->elements) < to.value ||
          !entry_id_of(rr->element[rr->elements - 1], &oldest)) {
        return EntryId{};  // fewer than N: all of them
      }
      return pred(oldest);
    }
    if (!start_after_id(to, &after)) {
      return Status::InvalidArgument("cannot place a redis group at that position");
    }
    // Before the oldest entry reads from the beginning; past the newest,
    // from the end.
    if (sh.first_seq < 0 || after < seq_to_entry_id(sh.first_seq)) return EntryId{};
    return std::min(after, seq_to_entry_id(sh.last_seq));
  }

  // How many entries of `stream` come after `id` (for ENTRIESREAD).
  Result<int64_t> count_after(Connection& c, const std::string& stream, const StreamInfo& info,
                              const EntryId& id) {
    const ShardInfo& sh = info.shards[0];
    if (sh.last_seq < 0 || id >= seq_to_entry_id(sh.last_seq)) return 0;
    if (id < seq_to_entry_id(sh.first_seq)) return info.messages;
    int64_t n = 0;
    std::string from = "(" + format_entry_id(id);
    while (true) {
      Result<ReplyPtr> r = command(c, stream, {"XRANGE", stream, from, "+", "COUNT", "10000"});
      if (!r.ok()) return r.status();
      const redisReply* rr = r->get();
      if (rr->type != REDIS_REPLY_ARRAY || rr->elements == 0) return n;
      n += static_cast<int64_t>(rr->elements);
      EntryId last;
      if (rr->elements < 10000 || !entry_id_of(rr->element[rr->elements - 1], &last)) return n;
      from = "(" + format_entry_id(last);
    }
  }

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

  // The commands describe_from() takes the replies of, for one stream.
  static void append_describe(std::string& buf, const std::string& name) {
    RespCommand c(buf);
    c.begin(3).arg("XINFO").arg("STREAM").arg(name);
    c.begin(3).arg("HGET").arg(meta_key(name)).arg("retention_ms");
    c.begin(3).arg("XINFO").arg("GROUPS").arg(name);
  }

  Result<StreamInfo> describe_one(Connection& conn, const std::string& name) {
    std::string buf;
    append_describe(buf, name);
    Result<std::vector<ReplyPtr>> r = conn.call_many(buf, 3);
    if (!r.ok()) return r.status();
    return describe_from(conn, name, (*r)[0].get(), (*r)[1].get(), (*r)[2].get());
  }

  // A stream from its XINFO STREAM, HGET retention and XINFO GROUPS
  // replies; each group's details are asked for on `conn`.
  Result<StreamInfo> describe_from(Connection& conn, const std::string& name, const redisReply* s,
                                   const redisReply* meta, const redisReply* groups) {
    StreamInfo info;
    info.name = name;
    ShardInfo shard;
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

    info.retention_ms = int_of(meta, -1);
    std::vector<GroupProbe> probes;
    for (size_t i = 0; groups->type == REDIS_REPLY_ARRAY && i < groups->elements; ++i) {
      const redisReply* gr = groups->element[i];
      GroupInfo gi;
      GroupProbe probe;
      gi.name = std::string(reply_str(field(gr, "name")));
      const redisReply* ld = field(gr, "last-delivered-id");
      probe.have_delivered = ld && parse_entry_id(reply_str(ld), &probe.delivered);
      const bool have = probe.have_delivered;
      gi.committed.push_back(
          have && probe.delivered != EntryId{} ? entry_id_to_seq(probe.delivered) + 1 : -1);
      probe.pending = int_of(field(gr, "pending"), 0);
      int64_t lag = int_of(field(gr, "lag"), -1);
      if (lag < 0) lag = have && probe.delivered >= last ? 0 : info.messages;  // unknown: bound
      gi.lag = lag + probe.pending;
      info.groups.push_back(std::move(gi));
      probes.push_back(probe);
    }
    SLUICE_RETURN_IF_ERROR(add_group_details(conn, name, probes, info.groups));
    return info;
  }

  // What add_group_details() needs of a group besides its GroupInfo.
  struct GroupProbe {
    EntryId delivered;
    bool have_delivered = false;
    int64_t pending = 0;
  };

  // The first entry after the group's last delivered one (XRANGE).
  static void append_next_entry(RespCommand& c, const std::string& stream, const GroupProbe& p) {
    const std::string from = p.have_delivered ? "(" + format_entry_id(p.delivered) : "-";
    c.begin(6).arg("XRANGE").arg(stream).arg(from).arg("+").arg("COUNT").arg("1");
  }

  // The members of each group (XINFO CONSUMERS) and the timestamp of its
  // oldest unconsumed entry: the oldest pending one (XPENDING), else the
  // first entry after the last delivered one (an entry id holds its time
  // in ms). Every group's commands go in one pipeline; only a group whose
  // pending entries were all acknowledged in between needs a second one.
  Status add_group_details(Connection& conn, const std::string& stream,
                           const std::vector<GroupProbe>& probes, std::vector<GroupInfo>& groups) {
    if (groups.empty()) return Status::Ok();
    std::string buf;
    RespCommand c(buf);
    for (size_t g = 0; g < groups.size(); ++g) {
      c.begin(4).arg("XINFO").arg("CONSUMERS").arg(stream).arg(groups[g].name);
      if (probes[g].pending > 0) {
        c.begin(3).arg("XPENDING").arg(stream).arg(groups[g].name);
      } else {
        append_next_entry(c, stream, probes[g]);
      }
    }
    Result<std::vector<ReplyPtr>> r = conn.call_many(buf, 2 * groups.size());
    if (!r.ok()) return r.status();
    for (size_t g = 0; g < groups.size(); ++g) {
      GroupInfo* gi = &groups[g];
      const redisReply* cs = (*r)[2 * g].get();
      for (size_t i = 0; cs->type == REDIS_REPLY_ARRAY && i < cs->elements; ++i) {
        MemberInfo m;
        m.name = std::string(reply_str(field(cs->element[i], "name")));
        m.pending = int_of(field(cs->element[i], "pending"), 0);
        m.idle_ms = int_of(field(cs->element[i], "idle"), -1);
        gi->members.push_back(std::move(m));
      }
      const redisReply* at = (*r)[2 * g + 1].get();
      EntryId oldest;
      bool found = false;
      if (probes[g].pending > 0) {
        found = at->type == REDIS_REPLY_ARRAY && at->elements >= 2 &&
                parse_entry_id(reply_str(at->element[1]), &oldest);
        if (!found && gi->lag > 0) {
          std::string one;
          RespCommand c1(one);
          append_next_entry(c1, stream, probes[g]);
          Result<ReplyPtr> n = conn.call(one);
          if (!n.ok()) return n.status();
          at = n->get();
          found = at->type == REDIS_REPLY_ARRAY && at->elements == 1 &&
                  entry_id_of(at->element[0], &oldest);
        }
      } else if (gi->lag > 0) {
        found = at->type == REDIS_REPLY_ARRAY && at->elements == 1 &&
                entry_id_of(at->element[0], &oldest);
      }
      if (found) gi->oldest_unconsumed_ts_us = static_cast<int64_t>(oldest.ms) * 1000;
    }
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
