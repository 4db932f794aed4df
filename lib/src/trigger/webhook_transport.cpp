// WebhookTransport: one curl multi handle, driven by whichever caller
// waits (see webhook_transport.h).
#include "trigger/webhook_transport.h"

#include <algorithm>
#include <chrono>

namespace sluice {

WebhookTransport::WebhookTransport() : multi_(curl_multi_init()) {}

WebhookTransport::~WebhookTransport() {
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
}

CURLcode WebhookTransport::perform(CURL* easy, const std::function<bool()>& stop) {
  if (stop && stop()) return CURLE_ABORTED_BY_CALLBACK;
  Request req;
  req.easy = easy;
  std::unique_lock<std::mutex> lock(mu_);
  requests_.push_back(&req);
  if (leading_) curl_multi_wakeup(multi_);  // the leader adds it
  while (!req.done) {
    if (!leading_) {
      lead(lock, req, stop);
      break;
    }
    if (!req.abort && stop && stop()) {
      req.abort = true;
      curl_multi_wakeup(multi_);
    }
    req.cv.wait_for(lock, std::chrono::milliseconds(20));
  }
  return req.rc;
}

void WebhookTransport::finish(Request* r, CURLcode rc) {
  r->rc = rc;
  r->done = true;
  requests_.erase(std::find(requests_.begin(), requests_.end(), r));
  r->cv.notify_one();  // under mu_: its caller cannot be gone yet
}

void WebhookTransport::sync_requests() {
  // A copy: finish() changes requests_.
  const std::vector<Request*> now(requests_);
  for (Request* r : now) {
    if (r->abort) {
      if (r->added) curl_multi_remove_handle(multi_, r->easy);
      finish(r, CURLE_ABORTED_BY_CALLBACK);
    } else if (!r->added) {
      r->added = true;
      if (curl_multi_add_handle(multi_, r->easy) != CURLM_OK) finish(r, CURLE_FAILED_INIT);
    }
  }
}

void WebhookTransport::lead(std::unique_lock<std::mutex>& lock, Request& own,
                            const std::function<bool()>& stop) {
  leading_ = true;
  while (!own.done) {
    if (!own.abort && stop && stop()) own.abort = true;
    sync_requests();
    if (own.done) break;
    // The curl calls run without the lock: the others may queue requests
    // (and wake the poll) meanwhile; only the leader touches multi_.
    lock.unlock();
    int running = 0;
    curl_multi_perform(multi_, &running);
    std::vector<std::pair<CURL*, CURLcode>> ended;
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg == CURLMSG_DONE) ended.emplace_back(msg->easy_handle, msg->data.result);
    }
    for (const auto& e : ended) curl_multi_remove_handle(multi_, e.first);
    lock.lock();
    for (const auto& [easy, rc] : ended) {
      for (Request* r : requests_) {
        if (r->easy == easy) {
          finish(r, rc);
          break;
        }
      }
    }
    if (own.done) break;
    lock.unlock();
    // Wakes for socket activity, a timeout of libcurl's, or
    // curl_multi_wakeup (a new request or an abort); at most 20 ms, to
    // look at `stop`.
    curl_multi_poll(multi_, nullptr, 0, 20, nullptr);
    lock.lock();
  }
  leading_ = false;
  // Hands the multi handle on: a caller still waiting leads from now on.
  if (!requests_.empty()) requests_.front()->cv.notify_one();
}

}  // namespace sluice
