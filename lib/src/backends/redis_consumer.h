// Redis consumer: XREAD (plain) or XREADGROUP (--group) over every stream
// of the URI at once.
//
// Each read carries every stream's own last ID, and COUNT applies per
// stream, so a busy stream can neither starve nor skip a quiet one. Reads
// block at most 1 s on the server (never BLOCK 0), and the socket wait also
// watches a self-pipe, so wake() is prompt and async-signal-safe. A read may
// still be in flight when poll() returns (after wake(), or a prefetch issued
// to overlap the server with the sink); the next poll() or commit() picks
// its reply up first, so replies are always consumed in order.
//
// Groups: the group is created at the --from position with MKSTREAM
// (BUSYGROUP ignored). A member first re-reads its own pending entries
// (ID 0 onwards: what it had delivered but not acknowledged before a
// restart), then new ones ('>'). Every claim_idle_ms/2 it takes over entries
// idle longer than claim_idle_ms from any member (XAUTOCLAIM), so a crashed
// member's records are not stuck. commit() XACKs the entries mark_taken()
// covered. A clean exit leaves no dead member behind: what the sink did
// not take is handed on, and a member with nothing pending deletes itself
// (leave_group()).
//
// Redis Cluster: a multi-key read must stay in one hash slot, and a
// blocking read holds its connection, so the streams are read through one
// Reader (connection + read state) per slot they live in, each talking to
// the node serving that slot (CLUSTER SLOTS at open). Streams sharing a
// slot through a {hash tag} share a read; without a cluster there is one
// Reader for all streams. Reads go out to every Reader at once and poll()
// takes whichever answer first, so a quiet stream's read never holds up a
// busy one. Control calls (XGROUP, XACK, XAUTOCLAIM) go to the stream's
// Reader while no read is in flight on it. -MOVED re-learns the slot map
// and lays the Readers out again (a group member then re-reads its pending
// entries, as after a reconnect); -ASK sends ASKING and the command to the
// named node once.
//
// The class is split over redis_consumer.cpp (opening, layout, control
// calls, groups, recovery) and redis_consumer_read.cpp (reads and their
// replies). Backend-internal: nothing outside these two files includes it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <deque>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/redis_backend.h"

namespace sluice::redis {

using Clock = std::chrono::steady_clock;

inline constexpr Millis kMaxBlock{1000};
// leave_group() marks entries it hands on as idle for a year; entries this
// idle were released by a member at its clean exit (or abandoned for most
// of a year): their owner is gone.
inline constexpr Millis kReleaseIdle{int64_t{365} * 86400 * 1000};
inline constexpr Millis kReleasedIdle{int64_t{300} * 86400 * 1000};

class RedisConsumer final : public Consumer {
 public:
  RedisConsumer(ConnConfig cfg, const std::vector<std::string>& streams, ConsumerOptions opts,
                std::string consumer_name, Millis claim_idle)
      : cfg_(std::move(cfg)),
        opts_(std::move(opts)),
        consumer_name_(std::move(consumer_name)),
        claim_idle_(claim_idle) {
    for (const std::string& s : streams) {
      StreamState st;
      st.name = s;
      states_.push_back(std::move(st));
    }
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
      wake_r_ = p[0];
      wake_w_ = p[1];
    }
  }
  ~RedisConsumer() override {
    leave_group();
    if (wake_r_ >= 0) ::close(wake_r_);
    if (wake_w_ >= 0) ::close(wake_w_);
  }

  Status open(const std::string* from_id);
  Status poll(MessageBatch& batch, Millis timeout) override;
  void mark_taken(const Message& m) override;
  Status commit() override;

  void wake() override {
    if (wake_w_ >= 0) {
      const ssize_t n = ::write(wake_w_, "w", 1);
      (void)n;
    }
  }

 private:
  struct StreamState {
    std::string name;
    size_t reader = 0;            // index into readers_
    EntryId last;                 // plain: last delivered; group: start position
    EntryId end;                  // plain + exit_at_end: last entry at open
    bool drained = false;         // plain + exit_at_end: reached `end`
    bool history = false;         // group: still re-reading own pending entries
    EntryId history_after;        // group: pending-read cursor
    std::deque<int64_t> unacked;  // group: delivered, not yet marked taken
    std::vector<int64_t> to_ack;  // group: marked, not yet XACKed
  };

  // One connection and the streams (all in one slot in a cluster) read
  // through it, with the state of its read.
  struct Reader {
    std::unique_ptr<Connection> conn;
    uint16_t slot = 0;
    std::vector<size_t> streams;  // indices into states_
    std::string cmd;
    bool in_flight = false;
    bool blocks = false;
    bool is_new = false;     // group: the read in flight asks for '>' only
    bool new_empty = false;  // group: the last '>' read came back empty
    Clock::time_point sent_at;
    ReplyPtr stashed;  // a read's answer not yet taken
    Clock::time_point next_claim;
  };

  StreamState* find(std::string_view name) {
    for (StreamState& s : states_) {
      if (s.name == name) return &s;
    }
    return nullptr;
  }

  std::string names_of(const Reader& r) const;

  // ---------------------------------------------------------- layout

  // Learns the slot map through `asker` (after -MOVED `moved`, insisting on
  // one) and opens one Reader per slot the
  // streams live in (one Reader for all when the server is no cluster).
  // Connections to the same node are reused from `asker` and the old
  // Readers when nothing is in flight on them.
  Status lay_out(std::unique_ptr<Connection> asker, const Redirect* moved = nullptr);

  // A group member that lost its place (reconnect, new layout) re-reads
  // its pending entries from the start.
  void reset_group_reading(StreamState& s);

  // ---------------------------------------------------------- control calls

  // Sends `cmd` about stream `i` to the node serving it, following one
  // redirect. No read may be in flight on that stream's Reader.
  Result<ReplyPtr> call_on(size_t i, const std::string& cmd);

  Result<ReplyPtr> call_on(size_t i, std::initializer_list<std::string_view> args);

  // After -MOVED: the map changed; reads in flight elsewhere are dropped
  // (a plain reader re-reads from its last ID, a group member re-reads its
  // pending entries).
  Status relay_out(const Redirect& to);

  Status checked_call(size_t i, std::initializer_list<std::string_view> args, ReplyPtr* out);

  Status error_on(size_t i, std::string_view err);

  // A missing stream: kNotFound with --exit, as every backend; when
  // following, one warning (a group's XGROUP CREATE ... MKSTREAM makes it).
  Status check_exists(size_t i);

  // ID of the newest entry, "0-0" when the stream is empty or missing.
  Status last_id(size_t i, EntryId* id);

  // The ID to read after so that the last `n` entries are delivered.
  Status nth_from_end(size_t i, int64_t n, EntryId* after);

  Status create_group(size_t i, const std::string& start);

  // ---------------------------------------------------------- reading

  bool any_history(const Reader& r) const;

  // Encodes the reader's next XREAD/XREADGROUP into r.cmd; false when there
  // is nothing to read (plain --exit and every stream drained).
  bool build_read(Reader& r, Millis timeout);

  Status send_read(Reader& r);

  // Waits until the read in flight on `only` (or, when null, on any Reader)
  // has been answered, moving each answer to its Reader's `stashed`.
  // Returns ok with nothing stashed when woken first (reads stay in
  // flight). On a failure, failed_ names the Reader.
  Status await_reads(Reader* only, bool wakeable);

  Status poll_once(MessageBatch& batch, Millis timeout);

  Status take_read_reply(Reader& r, ReplyPtr reply, MessageBatch& batch);
  // Appends the entries of one stream (an array of [id, [f, v, ...]]).
  void add_entries(StreamState& s, const redisReply* entries, MessageBatch& batch, bool history);

  // Field layout in redis_backend.h; foreign entries become a JSON object.
  void decode_fields(const redisReply* f, Message& m);

  // Headers live in one vector that may grow while the batch is built, so
  // the spans are attached once it is complete.
  void finish_batch(MessageBatch& batch);

  // Takes over entries other members left idle (XAUTOCLAIM, Redis 6.2+) on
  // the streams of Reader `ri`.
  Status claim(size_t ri, MessageBatch& batch);

  // Makes the Readers of every stream `wanted` accepts free for control
  // calls: a read in flight there is answered first and kept for poll(),
  // so replies are consumed in order.
  template <typename Pred>
  Status settle_reads(Pred wanted);

  // Sends `verb STREAM GROUP [consumer min-idle] ID... [tail]` for `ids` of
  // stream `i` in chunks of 2048 IDs.
  template <typename Ids>
  Status per_id_calls(size_t i, std::string_view verb, bool as_member, const Ids& ids,
                      bool claim_tail);

  Status commit_once();

  // On a clean exit, entries this member was given but the sink never took
  // would wait claim_idle_ms for another member. Marking them idle for a
  // year (XCLAIM to ourselves with IDLE) lets the next member's first
  // XAUTOCLAIM take them at once, so `tap --group g --count N` run again
  // continues in order; that member then deletes this one (claim()). A
  // member left with no pending entry deletes itself (XGROUP DELCONSUMER),
  // so runs from cron, each a new HOSTNAME-PID, do not pile up dead
  // members. Best effort: errors are ignored.
  void leave_group();

  // The members other than this one holding entries released at a clean
  // exit (idle for most of a year: see leave_group()) on stream `i`: they
  // have exited. Best effort: empty on any error.
  std::vector<std::string> released_members(size_t i);

  // Deletes member `name` of stream `i`'s group if it has no pending entry,
  // in one step on the server (a script), so an entry it is given between
  // the check and the deletion cannot lose its pending record. Best effort.
  void drop_if_empty(size_t i, const std::string& name);

  // Reconnects the Reader that failed (and any that lost its connection)
  // with backoff; a group member then re-reads its pending entries (what it
  // delivered but never acknowledged), a plain reader continues after the
  // last entry it delivered. Gives up when the failures last longer than
  // --timeout (a cluster that stays down).
  Status recover(const Status& why);

  ConnConfig cfg_;  // as the URI says; Readers aim copies at cluster nodes
  ConsumerOptions opts_;
  std::string consumer_name_;
  Millis claim_idle_;
  std::vector<StreamState> states_;  // never resized after construction
  std::vector<std::unique_ptr<Reader>> readers_;
  std::unique_ptr<Connection> ask_conn_;  // to the node an -ASK named
  size_t layouts_ = 0;                    // bumped by every lay_out(): Reader references are stale
  size_t failed_ = 0;                     // the Reader the last error came from
  Status deferred_;                       // a failure to recover from at the next poll()
  int wake_r_ = -1;
  int wake_w_ = -1;
  std::vector<struct pollfd> pollfds_;  // await_reads() scratch, reused
  std::vector<Reader*> polled_;

  bool woken_ = false;
  bool recovering_ = false;
  Clock::time_point recover_since_;

  // What the current batch's views point into; cleared by the next poll().
  std::vector<ReplyPtr> held_;
  std::vector<Header> headers_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::deque<std::string> owned_;
};

}  // namespace sluice::redis
