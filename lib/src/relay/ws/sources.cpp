// relay-ws sources: stream consumers and stdin, each on its own thread,
// handing entries to the service thread through the Inbox.
#include <fcntl.h>
#include <poll.h>

#include "relay/ws/relay_internal.h"
#include "sluice/envelope.h"
#include "sluice/reader.h"
#include "sluice/signals.h"

namespace sluice::relay {

bool Inbox::push(Topic* t, EntryPtr e) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stop_ || items_.size() < capacity_; });
  if (stop_) return false;
  const bool was_empty = items_.empty();
  items_.emplace_back(t, std::move(e));
  lock.unlock();
  if (was_empty && ctx_) lws_cancel_service(ctx_);
  return true;
}

void Inbox::take(std::vector<std::pair<Topic*, EntryPtr>>& out) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(items_);
  }
  cv_.notify_all();
}

void Inbox::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

bool Inbox::stopping() {
  std::lock_guard<std::mutex> lock(mu_);
  return stop_;
}

void Inbox::fail(Status st) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.ok()) failure_ = std::move(st);
  }
  if (ctx_) lws_cancel_service(ctx_);
}

Status Inbox::failure() {
  std::lock_guard<std::mutex> lock(mu_);
  return failure_;
}

namespace {

// A source thread's topics by name, so the hub's lock is taken once per
// topic, not once per message.
class TopicCache {
 public:
  TopicCache(Hub& hub, const StreamUri* source) : hub_(hub), source_(source) {}
  Topic* get(std::string_view name) {
    for (auto& [n, t] : seen_) {
      if (n == name) return t;
    }
    Topic* t = hub_.topic(name, source_);
    seen_.emplace_back(std::string(name), t);
    return t;
  }

 private:
  Hub& hub_;
  const StreamUri* source_;
  std::vector<std::pair<std::string, Topic*>> seen_;
};

}  // namespace

void run_stream_source(Consumer& consumer, const StreamUri& uri, Hub& hub, Inbox& inbox) {
  MessageBatch batch;
  TopicCache topics(hub, &uri);
  while (!inbox.stopping()) {
    Status st = consumer.poll(batch, Millis(200));
    if (!st.ok()) {
      if (!inbox.stopping()) inbox.fail(st.With("source '" + uri.redacted() + "'"));
      return;
    }
    for (const Message& m : batch.messages) {
      Topic* t = topics.get(m.stream);
      if (!inbox.push(t, make_entry(t->name, m))) return;
    }
  }
}

void run_stdin_source(const RelayOptions& opts, Hub& hub, Inbox& inbox) {
  const int flags = fcntl(0, F_GETFL);
  if (flags >= 0) fcntl(0, F_SETFL, flags | O_NONBLOCK);
  RecordReader reader(0, Framing::Line(), size_t{64} << 20);
  EnvelopeDecoder decoder;
  Topic* bare = hub.topic(opts.stdin_topic, nullptr);
  TopicCache topics(hub, nullptr);
  std::unordered_map<Topic*, int64_t> next_seq;
  while (!inbox.stopping()) {
    std::string_view line;
    const RecordReader::Next n = reader.next(&line);
    if (n == RecordReader::Next::kWouldBlock) {
      pollfd p[2] = {{0, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
      poll(p, 2, 500);
      continue;
    }
    if (n == RecordReader::Next::kEof) return;  // serve what came, until stopped
    if (n == RecordReader::Next::kError) {
      inbox.fail(reader.status().With("stdin"));
      return;
    }
    const std::string where = "stdin line " + std::to_string(reader.record_number());
    if (n == RecordReader::Next::kOversized) {
      fprintf(stderr, "relay-ws: %s: longer than 64 MiB, skipped\n", where.c_str());
      continue;
    }
    if (n != RecordReader::Next::kRecord) continue;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    Message m;
    Topic* t = bare;
    if (opts.envelope) {
      if (Status st = decoder.decode(line, m); !st.ok()) {
        fprintf(stderr, "relay-ws: %s: %s, skipped\n", where.c_str(), st.message().c_str());
        continue;
      }
      if (!m.stream.empty()) t = topics.get(m.stream);
    } else {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      m.payload = line;
    }
    // The ring is the log of a stdin topic: its seqs count lines per topic.
    m.shard = 0;
    m.seq = next_seq[t]++;
    if (m.ts_us == 0) m.ts_us = now_us();
    if (!inbox.push(t, make_entry(t->name, m))) return;
  }
}

}  // namespace sluice::relay
