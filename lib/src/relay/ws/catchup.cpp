// Shared frames and the catch-up readers of relay-ws (relay_internal.h).
#include <cstring>

#include "relay/ws/relay_internal.h"
#include "sluice/relay_protocol.h"

namespace sluice::relay {

EntryPtr make_entry(std::string_view topic, const Message& m) {
  auto e = std::make_shared<Entry>();
  e->buf.assign(LWS_PRE, '\0');
  size_t off = 0, len = 0;
  append_data_frame(topic, m, e->buf, &off, &len);
  e->value_off = static_cast<uint32_t>(off - LWS_PRE);
  e->value_len = static_cast<uint32_t>(len);
  e->shard = m.shard < 0 ? 0 : m.shard;
  e->seq = m.seq;
  e->ts_us = m.ts_us;
  if (m.key) e->key = std::string(*m.key);
  return e;
}

std::string make_control(std::string_view frame) {
  std::string out(LWS_PRE, '\0');
  out.append(frame);
  return out;
}

CatchUp::CatchUp(lws_context* ctx, std::string topic, size_t max_queue)
    : ctx_(ctx), topic_(std::move(topic)), max_queue_(max_queue) {}

CatchUp::~CatchUp() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (consumer_) consumer_->wake();
  if (thread_.joinable()) thread_.join();
}

Status CatchUp::start(const StreamUri& source, const StartPosition& from, Millis timeout) {
  StreamUri uri = source;
  uri.streams = {topic_};
  ConsumerOptions co;
  co.from = from;
  co.timeout = timeout;
  co.max_batch = max_queue_;
  auto c = open_consumer(uri, co);
  if (!c.ok()) return c.status();
  consumer_ = std::move(*c);
  thread_ = std::thread([this] { run(); });
  return Status::Ok();
}

void CatchUp::run() {
  MessageBatch batch;
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_) return;
    }
    Status st = consumer_->poll(batch, Millis(100));
    if (!st.ok() && !st.is(StatusCode::kEndOfStream)) {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = st;
      break;
    }
    if (batch.empty()) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!at_end_) {
        at_end_ = true;
        lws_cancel_service(ctx_);
      }
      continue;
    }
    for (const Message& m : batch.messages) {
      EntryPtr e = make_entry(topic_, m);
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || queue_.size() < max_queue_; });
      if (stop_) return;
      at_end_ = false;
      const bool was_empty = queue_.empty();
      queue_.push_back(std::move(e));
      lock.unlock();
      if (was_empty) lws_cancel_service(ctx_);
    }
  }
  lws_cancel_service(ctx_);
}

EntryPtr CatchUp::pop() {
  std::lock_guard<std::mutex> lock(mu_);
  if (queue_.empty()) return nullptr;
  EntryPtr e = std::move(queue_.front());
  queue_.pop_front();
  if (queue_.size() + 1 == max_queue_) cv_.notify_one();
  return e;
}

bool CatchUp::at_end() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.empty() && at_end_;
}

Status CatchUp::error() {
  std::lock_guard<std::mutex> lock(mu_);
  return error_;
}

}  // namespace sluice::relay
