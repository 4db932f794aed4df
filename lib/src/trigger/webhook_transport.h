// One curl multi handle for the requests of all the WebhookClients that
// share it (the lanes of one trigger rule): they run there at once, over one
// pool of kept-alive connections.
//
// No thread of its own: a caller waiting for its request drives the multi
// handle (the leader) while the others wait for theirs; when the leader's
// request is done it hands the multi handle to a caller still waiting. One
// lane alone so drives its own requests, with no hand-off between threads.
//
// Thread safety: perform() may be called from any number of threads at
// once; the multi handle is used by the leader only (curl_multi_wakeup
// aside, which libcurl makes safe from any thread).
#pragma once

#include <curl/curl.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <vector>

namespace sluice {

class WebhookTransport {
 public:
  WebhookTransport();
  // No perform() may be running.
  ~WebhookTransport();
  WebhookTransport(const WebhookTransport&) = delete;
  WebhookTransport& operator=(const WebhookTransport&) = delete;

  // False when curl_multi_init failed.
  bool ok() const { return multi_ != nullptr; }
  // Runs `easy` (set up, in no multi handle) to its end and returns its
  // result; the caller keeps the handle. Asks `stop` at least every 20 ms
  // while it waits: true takes the request out at once
  // (CURLE_ABORTED_BY_CALLBACK).
  CURLcode perform(CURL* easy, const std::function<bool()>& stop);

 private:
  struct Request {
    CURL* easy = nullptr;
    CURLcode rc = CURLE_OK;
    bool added = false;          // in the multi handle
    bool abort = false;          // its caller stopped
    bool done = false;           // out of the multi handle, rc set
    std::condition_variable cv;  // done, or the multi handle is free to lead
  };
  // Drives the multi handle until `own` is done; called and returns with
  // `lock` held, releasing it around the curl calls.
  void lead(std::unique_lock<std::mutex>& lock, Request& own, const std::function<bool()>& stop);
  // Under mu_: adds the new requests and takes out the aborted ones.
  void sync_requests();
  // Under mu_: marks r done, drops it from requests_ and wakes its caller.
  void finish(Request* r, CURLcode rc);

  CURLM* multi_ = nullptr;
  std::mutex mu_;
  std::vector<Request*> requests_;  // submitted and not done
  bool leading_ = false;            // a caller drives the multi handle
};

}  // namespace sluice
