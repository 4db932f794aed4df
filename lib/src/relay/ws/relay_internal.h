// relay-ws internals: the shared, once-encoded frames (Entry), the topic
// rings with a read position per subscription, and the catch-up readers
// that serve a subscription from the backend log. Everything here except
// CatchUp's reader thread and the Inbox runs on the lws service thread.
#pragma once

#include <libwebsockets.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sluice/backend.h"
#include "sluice/filter.h"
#include "sluice/graphql.h"
#include "sluice/relay.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {

// One message encoded once as a data frame and shared (refcounted) by
// every subscriber of its topic. Immutable once built; lws writes its
// frame header into the LWS_PRE bytes in front, on the service thread only.
struct Entry {
  std::string buf;  // LWS_PRE bytes, then the frame
  uint32_t value_off = 0;
  uint32_t value_len = 0;
  int32_t shard = 0;
  int64_t seq = 0;
  int64_t ts_us = 0;
  std::optional<std::string> key;
  // The frame as SSE data lines and the blank line that ends the event,
  // built on the service thread the first time an SSE client takes the
  // entry (sse_session.cpp), then shared as `buf` is.
  mutable std::string sse_data;
  size_t frame_size() const { return buf.size() - LWS_PRE; }
  std::string_view value() const {
    return std::string_view(buf).substr(LWS_PRE + value_off, value_len);
  }
};
using EntryPtr = std::shared_ptr<const Entry>;
EntryPtr make_entry(std::string_view topic, const Message& m);
// A control frame (LWS_PRE bytes, then the text).
std::string make_control(std::string_view frame);

// Serves one subscription from the backend log on its own thread, at the
// pace the client takes frames (a bounded queue).
class CatchUp {
 public:
  CatchUp(lws_context* ctx, std::string topic, size_t max_queue);
  ~CatchUp();  // stops the reader and joins it
  CatchUp(const CatchUp&) = delete;
  CatchUp& operator=(const CatchUp&) = delete;
  Status start(const StreamUri& source, const StartPosition& from, Millis timeout);
  // Service thread: the next entry, or null when none is at hand.
  EntryPtr pop();
  // Service thread: the queue is empty and the reader found the end of the
  // log after its last push (so everything before the end was delivered).
  bool at_end();
  // A reader error, or ok.
  Status error();

 private:
  void run();
  lws_context* ctx_;
  std::string topic_;
  size_t max_queue_;
  std::unique_ptr<Consumer> consumer_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<EntryPtr> queue_;
  bool at_end_ = false;
  bool stop_ = false;
  Status error_;
};

struct Client;
struct Topic;

// GET /sse's query and headers, as they came (URL-decoded).
struct SseRequest {
  std::string topics;  // topics=a,b
  std::string from;    // from=... (empty: end)
  std::optional<std::string> where;
  std::string last_event_id;  // the Last-Event-ID header
};

struct Subscription {
  Client* client = nullptr;
  Topic* topic = nullptr;
  std::optional<filter::Filter> where;
  uint64_t next = 0;  // ring index of the next entry (live)
  // Per shard, the next seq wanted: every delivery skips what is below,
  // so switching between the ring and the log never repeats a message.
  std::unordered_map<int32_t, int64_t> want;
  int64_t want_default = 0;  // shards not in `want`
  // Shards not in `want` take only messages from this time on (an SSE
  // resume with from=@TIME, whose other shards start at that time).
  int64_t want_from_ts = INT64_MIN;
  std::unique_ptr<CatchUp> catchup;
  // A GraphQL operation (graphql_session.cpp): its id and query; null for
  // a relay-ws subscription.
  std::string op_id;
  std::unique_ptr<const GraphqlSubscription> gql;
  bool wants(const Entry& e) const {
    auto it = want.find(e.shard);
    if (it != want.end()) return e.seq >= it->second;
    return e.seq >= want_default && e.ts_us >= want_from_ts;
  }
};

struct Topic {
  std::string name;
  const StreamUri* source = nullptr;  // null: stdin, the ring is the only log
  std::deque<EntryPtr> ring;
  uint64_t base = 0;  // ring index of ring.front()
  uint64_t head() const { return base + ring.size(); }
  std::unordered_map<int32_t, int64_t> last_seq;     // per shard, newest seen
  std::unordered_map<int32_t, int64_t> evicted_max;  // per shard, newest evicted
  std::vector<Subscription*> subs;
};

// A graphql-transport-ws client's state (graphql_session.cpp).
struct GraphqlClient {
  bool init = false;                                      // connection_init came
  bool acked = false;                                     // connection_ack sent
  std::map<std::string, Subscription*, std::less<>> ops;  // by operation id
};

struct Client {
  lws* wsi = nullptr;
  std::unique_ptr<GraphqlClient> gql;  // null: the relay-ws protocol
  bool sse = false;                    // a Server-Sent Events stream (sse_session.cpp)
  bool sse_keepalive = false;          // a ": keep-alive" comment is due
  std::deque<std::string> control;     // type frames, sent before data
  std::vector<std::unique_ptr<Subscription>> subs;
  size_t rr = 0;  // round robin over subs
  bool writable_requested = false;
  bool ready = false;        // in Hub's queue of clients with new live frames
  size_t ready_slot = 0;     // its index there, while `ready`
  bool peer_closed = false;  // it sent a close (lws answers it) or is gone: we write no more
  int close_code = 0;        // non-zero: close with it at the next WRITEABLE
  std::string close_reason;
  bool authed = true;
  std::optional<std::vector<std::string>> allowed;  // from the token's claim
  std::string rx;                                   // a message in fragments
  // --compress: the last frame written, kept while lws may still read it.
  EntryPtr tx_hold;
  std::string tx_hold_control;
};

// The `next` frame (LWS_PRE bytes in front) of entry `e` for GraphQL
// operation `s`, into `out` (graphql_session.cpp).
void graphql_data_frame(const Subscription& s, const Entry& e, std::string& out);

// The close code and reason for a token the verifier refused.
int close_code_for(JwtError e);

struct Metrics {
  uint64_t clients = 0;  // all protocols
  uint64_t connections_total = 0;
  uint64_t graphql_clients = 0;  // of which graphql-transport-ws
  uint64_t graphql_connections_total = 0;
  uint64_t sse_clients = 0;  // of which Server-Sent Events streams
  uint64_t sse_connections_total = 0;
  uint64_t connections_refused = 0;  // --max-connections
  uint64_t frames_out = 0;
  uint64_t bytes_out = 0;
  uint64_t dropped = 0;
  uint64_t catch_ups = 0;
  uint64_t slow_closes = 0;
  uint64_t auth_failures = 0;
  uint64_t messages_in = 0;
};

// Topics, their rings and subscriptions: the fan-out. Service thread only,
// except topic() (locked: source threads create topics from envelopes).
class Hub {
 public:
  Hub(const RelayOptions& opts, lws_context** ctx, Metrics& metrics);
  // The topic named `name`, created on first use (source is null for stdin).
  Topic* topic(std::string_view name, const StreamUri* source);
  Topic* find(std::string_view name);
  // Before the source of `uri` starts: each of its topics' shards at the
  // end of the log, as far as the backend tells (Admin::describe), so that
  // from=end resolves to a position on every shard, not only those that
  // had a message since (an SSE stream's first id says them). Nothing
  // when the backend does not tell.
  void seed_positions(const StreamUri& uri);
  std::vector<std::pair<std::string, size_t>> subscription_counts();
  // Appends to the ring; wakes subscribers; applies --slow-client.
  void append(Topic* t, EntryPtr e);
  // Handles one client message; queues acknowledgements and errors.
  void on_message(Client* c, std::string_view text);
  // The same for a graphql-transport-ws client (graphql_session.cpp).
  void on_graphql_message(Client* c, std::string_view text);
  // Opens the SSE stream of `c` (GET /sse, sse_session.cpp): subscribes it
  // as the query and Last-Event-ID say, or queues an `event: error` and
  // marks it closing. `allowed` is the token's topics claim, if any.
  void open_sse(Client* c, const SseRequest& req);
  // LWS_CALLBACK_HTTP_WRITEABLE of an SSE client: 0, or -1 to close.
  int on_sse_writeable(lws* wsi, Client* c);
  // Queues the SSE event `event` (empty: a plain message) with `data`.
  void send_sse(Client* c, std::string_view event, std::string_view data);
  // Appends the positions of SSE client `c` as an event id's value
  // (sluice/relay_sse.h): entry `e` of `via` first, when given, then the
  // other topic-shards whose position is known (delivered, or resolved from
  // `from`); false when there is nothing to say (no `e` and none known).
  bool append_sse_positions(Client* c, const Subscription* via, const Entry* e, std::string& out);
  // Subscribes `c` to `t` from `from`, filtered by `where`; *out (optional)
  // is the new subscription. `resume` (optional, not empty) gives shards
  // the exact next seq, overriding `from` for them (an SSE Last-Event-ID);
  // the other shards start where `from` says. An error when the backend
  // log cannot be read.
  Status attach(Client* c, Topic* t, const From& from, std::optional<filter::Filter> where,
                Subscription** out = nullptr,
                const std::vector<std::pair<int32_t, int64_t>>* resume = nullptr);
  // Ends subscription `s` of its client (and frees it).
  void detach(Subscription* s);
  void unsubscribe_all(Client* c);
  // The next frame for `c` (control first), or false when it has none;
  // *via (optional) is the subscription a data frame is for.
  bool next_frame(Client* c, std::string* control, EntryPtr* data, Subscription** via = nullptr);
  // next_frame(), except while `c` is closing: then only what is queued
  // for it (its error frames) goes out, no more data.
  bool next_due(Client* c, std::string* control, EntryPtr* data, Subscription** via);
  void request_write(Client* c);
  void send_error(Client* c, std::string_view code, std::string_view message, int line = 0,
                  int column = 0);
  void send_control(Client* c, std::string frame);
  // Service thread: subscriptions whose catch-up reader has news.
  void poll_catchups();
  // LWS_CALLBACK_SERVER_WRITEABLE: writes what is due for `c` (session.cpp);
  // 0, or -1 to close the connection.
  int on_writeable(lws* wsi, Client* c);
  // After append(): writes the new frames to the clients they are for
  // right away, without a round through the event loop per client (two
  // epoll_ctl calls and a dispatch each, most of the cost of a small
  // frame); a client whose socket is backed up gets a writable callback.
  // The clients are taken in the order their first new frame came, up to
  // kFlushSlice of them; `refill` (may be empty) is called every
  // kRefillEvery clients to append what arrived meanwhile. A client not
  // yet reached takes that in this visit; one already visited is queued
  // again at the end. So a message waits about one turn of the queue,
  // however long the queue is. True when clients are still queued: the
  // caller lets the event loop do its other work, then calls again.
  bool flush_ready(const std::function<void()>& refill = {});
  // A client about to be freed leaves the queue.
  void forget(Client* c);
  // Closes `c` at the loop's next turn, writing nothing more: for a
  // socket a write failed on, or whose peer has gone. (lws never calls
  // the writable callback of a socket it has marked unusable, so waiting
  // for one would keep the client forever.)
  void hang_up(Client* c);
  // True: queued frames go out framed by us, several per lws_write (server
  // frames are unmasked, so a frame's bytes are the same for every client).
  // Set it false when permessage-deflate may be negotiated: then each frame
  // goes through lws_write(LWS_WRITE_TEXT) for the extension to compress.
  bool preframed = true;

 private:
  int write_next(lws* wsi, Client* c);
  bool gather(Client* c, size_t max_bytes, uint64_t* frames, uint64_t* bytes);
  // Up to kWritesPerWakeup batches: -1 when a write failed, else whether
  // more is due (`*more`).
  int write_batches(lws* wsi, Client* c, bool* more);
  // The same for an SSE client (sse_session.cpp); -1 also when it is
  // done closing.
  int sse_write_batches(lws* wsi, Client* c, bool* more);
  void subscribe(Client* c, const std::string& topic, const ClientRequest& req);
  void unsubscribe(Client* c, const std::string& topic);
  Status start_catchup(Subscription* s, const StartPosition& from);
  void fell_behind(Subscription* s);
  // News about `s` that is not data, in its client's protocol.
  void notice_dropped(Subscription* s, uint64_t lost);
  void notice_error(Subscription* s, std::string_view code, const std::string& message);
  void try_go_live(Subscription* s);
  bool pick(Subscription* s, EntryPtr* out);
  bool matches(Subscription* s, const Entry& e);
  void mark_ready(Client* c);  // queues `c` for flush_ready()

  const RelayOptions& opts_;
  lws_context** ctx_;
  Metrics& metrics_;
  std::mutex topics_mu_;
  std::map<std::string, std::unique_ptr<Topic>, std::less<>> topics_;
  std::vector<Subscription*> catching_up_;
  filter::Evaluator eval_;
  std::string wbuf_;  // LWS_PRE bytes, then the frames of one write
  static constexpr size_t kFlushSlice = 2048;
  static constexpr size_t kRefillEvery = 256;
  // See flush_ready(): ready_[ready_head_...] are due, in order; a null
  // is a client forgotten while queued.
  std::vector<Client*> ready_;
  size_t ready_head_ = 0;
  std::string gql_frame_;  // a GraphQL client's `next`, built per send
  std::vector<std::pair<int32_t, int64_t>> sse_shards_;  // append_sse_positions()
};

// The hand-over from source threads to the service thread: a locked
// queue, and lws_cancel_service() to wake the loop. push() blocks while the
// queue is full, so a stalled service thread slows the sources down.
class Inbox {
 public:
  explicit Inbox(size_t capacity) : capacity_(capacity) {}
  void set_context(lws_context* ctx) { ctx_ = ctx; }
  // False when stopping (the entry is dropped).
  bool push(Topic* t, EntryPtr e);
  // Service thread: moves everything queued into `out`.
  void take(std::vector<std::pair<Topic*, EntryPtr>>& out);
  void stop();
  bool stopping();
  // A source failed for good: the relay stops with `st`.
  void fail(Status st);
  Status failure();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<Topic*, EntryPtr>> items_;
  size_t capacity_;
  lws_context* ctx_ = nullptr;
  bool stop_ = false;
  Status failure_;
};

// Source threads. A stream source follows its consumer (opened at the
// end) until the inbox stops; stdin reads lines (or envelopes) until EOF.
void run_stream_source(Consumer& consumer, const StreamUri& uri, Hub& hub, Inbox& inbox);
void run_stdin_source(const RelayOptions& opts, Hub& hub, Inbox& inbox);

}  // namespace sluice::relay
