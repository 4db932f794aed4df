// The Redis Streams backend (`redis://` and `rediss://`).
//
// Transport: our own non-blocking TCP socket (plus OpenSSL for rediss://),
// with hiredis used only to parse replies (redisReader). Commands are encoded
// to RESP directly into a reused buffer, so the producer can keep thousands
// of XADDs in flight, check replies in order, and re-send exactly the
// unanswered ones after a reconnect. hiredis 0.14 has no TLS, hence the
// transport.
//
// URI: redis://[USER:PASS@]HOST[:PORT]/STREAM[,STREAM...][?params]. The
// password may also come from REDISCLI_AUTH; it is never printed. Several
// hosts are seeds: the first reachable one is used. Parameters:
//   db=N               SELECT N after connecting
//   maxlen=N           producer: XADD MAXLEN ~ N (approximate trimming)
//   claim_idle_ms=N    group consumer: claim other members' pending entries
//                      idle for N ms (XAUTOCLAIM), default 30000
//   consumer=NAME      group member name, default HOSTNAME-PID (tap
//                      --consumer, ConsumerOptions::consumer, wins)
//   from_id=MS-N       consumer: start at this entry ID (it is delivered);
//                      overrides --from, which takes an ID too
//   tls_ca=PATH        rediss: CA bundle (default: the system's)
//   tls_cert=PATH, tls_key=PATH   rediss: client certificate
//   tls_insecure=1     rediss: do not verify the server certificate
//
// Redis Cluster works with the same URI: any host (or several, as seeds)
// of the cluster will do. At open the slot map is read with CLUSTER SLOTS
// (a server without cluster support has none and is used as one node).
// The producer keeps one connection per node serving a stream it writes
// to (the URI's first; a cdc sink routing per table may write to many).
// The consumer keeps one connection per slot its streams live in, to the
// node serving it: multi-key reads must stay in one slot, and a blocking
// read holds its connection, so streams named with a common {hash tag} are
// read together in one call and all others in parallel. -MOVED re-learns
// the map (from the node named) and re-aims the connections (the producer
// re-sends its unanswered XADDs there, in order); -ASK sends ASKING and
// that one command to the named node. CLUSTERDOWN is retried until the
// timeout, then reported as unavailable (exit 69). A node that fails over
// to a replica is not followed (the reconnect goes to the same address).
// Admin lists the streams of every master.
//
// Entry field layout (what the producer writes, what the consumer reads):
//   p          payload bytes (absent = tombstone)
//   k          key bytes (absent = no key)
//   h.<name>   one header; repeated names keep their order
//   n          "" on a tombstone with no key and no headers (XADD needs at
//              least one field)
// An entry written by someone else (any field outside this layout, e.g.
// `XADD s * name alice`) is delivered with a JSON object of all its fields
// as payload, so foreign streams are readable.
//
// Sequence numbers: a Redis entry ID "MS-N" maps to
//   seq = MS * 2^20 + N      (N < 2^20; larger N saturates)
// and ts_us = MS * 1000. The mapping is monotonic and invertible, so
// `--from SEQ` with a seq printed by tap resumes exactly there, and
// `--from @TIME` starts at ID "TIME_MS-0". `--from -N` uses XREVRANGE.
// Message::id carries the ID itself (%i, the envelope's "id"), and
// `--from MS-N` starts at that entry, as from_id= does.
// The producer lets Redis assign IDs ('*'); a producer-side ts is not kept.
//
// Thread safety: as backend.h: each object is used from one thread at a
// time; Consumer::wake() may be called from a signal handler.
#pragma once

#include <hiredis/hiredis.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/backend.h"

namespace sluice {

Result<std::unique_ptr<Producer>> open_redis_producer(const StreamUri& uri,
                                                      const ProducerOptions& o);
Result<std::unique_ptr<Consumer>> open_redis_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o);
Result<std::unique_ptr<Admin>> open_redis_admin(const StreamUri& cluster);

namespace redis {

// ------------------------------------------------------------ entry IDs

struct EntryId {
  uint64_t ms = 0;
  uint64_t n = 0;
  friend bool operator==(const EntryId&, const EntryId&) = default;
  friend auto operator<=>(const EntryId&, const EntryId&) = default;
};

constexpr int kSeqBits = 20;
constexpr uint64_t kSeqMaxN = (uint64_t{1} << kSeqBits) - 1;

// "1700000000000-5" (or "1700000000000", n = 0) -> EntryId. False when
// malformed.
bool parse_entry_id(std::string_view text, EntryId* id);
std::string format_entry_id(const EntryId& id);
int64_t entry_id_to_seq(const EntryId& id);
EntryId seq_to_entry_id(int64_t seq);
// The greatest ID below `id` ("0-0" stays "0-0"): XREAD returns entries
// after the ID it is given, so starting *at* X means asking after pred(X).
EntryId pred(const EntryId& id);

// The hash in which `streams create` and `streams config` keep the settings
// of `stream` that Redis does not (field retention_ms: the age flux trims
// to with XADD MINID). Named "{STREAM}:sluice" (or "STREAM:sluice" when the
// name has a {hash tag} already), so it lives in the stream's cluster slot;
// `streams rm` deletes it with the stream.
std::string meta_key(std::string_view stream);

// Where a plain (group-less) XREAD starts for a StartPosition that needs no
// server round trip (beginning, seq, entry id, time). kEnd and kFromEnd
// need the server, and a malformed entry id is no position: they return
// false.
bool start_after_id(const StartPosition& from, EntryId* after);

// ------------------------------------------------------------ RESP encoding

// Appends one command in RESP (an array of bulk strings) to `out`.
class RespCommand {
 public:
  explicit RespCommand(std::string& out) : out_(out) {}
  // Must be called first with the number of arguments that follow.
  RespCommand& begin(size_t argc);
  RespCommand& arg(std::string_view a);
  RespCommand& arg(int64_t v);

 private:
  std::string& out_;
};

// Counts the arguments XADD needs for `m` after "XADD key [MAXLEN ~ N] *".
size_t xadd_field_args(const Message& m);
// Appends the field/value pairs of the layout above.
void append_xadd_fields(RespCommand& c, const Message& m);

// ------------------------------------------------------------ replies

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

inline std::string_view reply_str(const redisReply* r) {
  return r && r->str ? std::string_view(r->str, r->len) : std::string_view();
}

// ------------------------------------------------------------ connection

struct ConnConfig {
  std::string endpoint;            // "host:port" as given (for messages)
  std::vector<std::string> seeds;  // every host of the URI, in order
  std::string host;
  std::string port;
  bool tls = false;
  std::string user;
  std::string password;
  int db = 0;
  std::string tls_ca, tls_cert, tls_key;
  bool tls_insecure = false;
  Millis timeout{30000};
};

// Builds a ConnConfig from a URI (aimed at the first host, every host kept
// as a seed; password from REDISCLI_AUTH when the URI has none).
// kInvalidArgument on a bad db= value.
Result<ConnConfig> conn_config(const StreamUri& uri, Millis timeout);

// The same credentials, TLS settings and timeout aimed at one node
// ("host:port", "[v6]:port"; port 6379 when absent), without seeds.
ConnConfig for_endpoint(const ConnConfig& base, std::string_view endpoint);

// One connection to one server: connect (+TLS, AUTH, SELECT), write bytes,
// read and parse replies. Non-blocking socket; every wait is a poll() with a
// deadline, optionally also watching `wake_fd`. Owns the socket, the SSL
// objects and the reply parser; not copyable. Not thread-safe.
class Connection {
 public:
  explicit Connection(ConnConfig cfg);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Connects and authenticates within cfg.timeout, trying cfg.seeds in
  // order when the first cannot be reached (the first reachable wins and
  // becomes the endpoint). Errors: kUnavailable (cannot reach),
  // kPermissionDenied (AUTH refused), kConfig (TLS setup).
  Status connect();
  // Retries connect() with exponential backoff until `budget` passes.
  // Authentication errors are returned at once (retrying cannot help).
  Status reconnect(Millis budget);
  void close();
  // Closes and aims the next connect at another node of the same cluster.
  void retarget(std::string_view endpoint);
  bool connected() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  const ConnConfig& config() const { return cfg_; }

  // Writes what it can of data without blocking; returns bytes written.
  Result<size_t> write_some(const char* data, size_t len);
  // Waits up to `timeout` for the socket to become readable (or writable
  // when `want_write`) or `wake_fd` to become readable, then reads what is
  // available into the parser. *woken is set when wake_fd fired.
  Status wait_and_read(Millis timeout, bool want_write, int wake_fd = -1, bool* woken = nullptr,
                       bool* writable = nullptr);
  // Reads what is available without waiting.
  Status read_available();
  // True when TLS holds decrypted bytes a poll() on fd() would not see.
  bool tls_pending() const { return ssl_ && SSL_pending(ssl_) > 0; }
  // Next parsed reply, or null when none is complete yet.
  Result<ReplyPtr> next_reply();

  // Sends `cmd` (RESP) and waits for its reply within cfg.timeout. For the
  // control path (setup, XACK, XINFO), not for pipelined traffic.
  Result<ReplyPtr> call(const std::string& cmd);
  Result<ReplyPtr> call(std::initializer_list<std::string_view> args);
  // Sends `cmds`, `count` commands in RESP, at once and waits for their
  // `count` replies (in order) within cfg.timeout: one round trip for many
  // control commands (Admin::describe of thousands of streams).
  Result<std::vector<ReplyPtr>> call_many(const std::string& cmds, size_t count);

  // "cannot reach redis 'h:p': ..." style helpers.
  Status lost(std::string_view why) const;

 private:
  Status connect_once();
  Status tls_handshake(std::chrono::steady_clock::time_point deadline);
  Status authenticate();

  ConnConfig cfg_;
  int fd_ = -1;
  SSL_CTX* ssl_ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  redisReader* reader_ = nullptr;
  char rbuf_[64 * 1024];
};

// Maps an error reply to a Status naming the key: WRONGTYPE -> kBadData,
// NOPERM/NOAUTH/WRONGPASS -> kPermissionDenied, others kBadData.
Status reply_error(const ConnConfig& cfg, std::string_view key, std::string_view error);

// ------------------------------------------------------------ cluster

// The hash slot (0..16383) of a key: CRC16 (XMODEM) mod 16384 of the key,
// or of the first non-empty {hash tag} in it, as Redis Cluster computes it.
uint16_t key_slot(std::string_view key);

// A -MOVED or -ASK error reply: the slot now (MOVED) or for this one
// command (ASK) lives on `endpoint`.
struct Redirect {
  bool ask = false;
  uint16_t slot = 0;
  std::string endpoint;
};
// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381" -> true.
bool parse_redirect(std::string_view error, Redirect* out);

// "CLUSTERDOWN ..." and friends as a kUnavailable naming the node and
// saying what to check; other errors unchanged (kOk when not a cluster
// state error).
Status cluster_state_error(const ConnConfig& cfg, std::string_view error);

// Which node serves which slots, from CLUSTER SLOTS. Empty (cluster()
// false) when the server runs without cluster support or refuses the
// command (ACL).
class SlotMap {
 public:
  // Asks `conn`. Endpoints a node does not announce are taken to be on the
  // host `conn` dialled.
  Status refresh(Connection& conn);
  bool cluster() const { return !ranges_.empty(); }
  // The endpoint serving `slot`; empty when no node covers it.
  std::string_view owner(uint16_t slot) const;
  // Every master's endpoint, each once, in slot order.
  std::vector<std::string> masters() const;

 private:
  struct Range {
    uint16_t first, last;
    std::string endpoint;
  };
  std::vector<Range> ranges_;
};

// After -MOVED `to`: reads the slot map through `conn` (best a fresh
// connection to the node named: a pipelined one still has replies queued).
// kUnavailable when the node gives no map (a user without +cluster|slots).
Status learn_map(Connection& conn, const Redirect& to, SlotMap* map);

// Sends ASKING and then `cmd` to `endpoint`, once (the answer to an -ASK
// redirect). `side` caches the connection to that node between calls.
Result<ReplyPtr> ask_call(const ConnConfig& base, std::string_view endpoint, const std::string& cmd,
                          std::unique_ptr<Connection>* side);

}  // namespace redis
}  // namespace sluice
