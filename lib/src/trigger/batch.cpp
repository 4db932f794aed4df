// BatchMatcher: the rules' filters over a batch of events, on the caller's
// thread and one worker. Both take chunks of kChunk events from an atomic
// cursor; each event's results are written by the one thread that took it,
// and the caller reads them only after the worker said it is done.
#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include "sluice/trigger.h"

namespace sluice::trigger {

namespace {
constexpr size_t kChunk = 64;
}  // namespace

BatchMatcher::BatchMatcher() = default;

BatchMatcher::~BatchMatcher() {
  if (!worker_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void BatchMatcher::work(bool worker) {
  const std::vector<Rule*>& rules = *rules_;
  const std::span<const Event> events = events_;
  for (;;) {
    const size_t from = next_.fetch_add(kChunk);
    if (from >= events.size()) return;
    const size_t to = std::min(events.size(), from + kChunk);
    for (size_t i = from; i < to; ++i) {
      for (size_t r = 0; r < n_rules_; ++r) {
        results_[i * n_rules_ + r] = rules[r]->evaluate(events[i], worker);
      }
    }
  }
}

void BatchMatcher::loop() {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return quit_ || job_ != seen; });
    if (quit_) return;
    seen = job_;
    lock.unlock();
    work(true);
    lock.lock();
    done_ = seen;
    cv_.notify_all();
  }
}

void BatchMatcher::run(const std::vector<Rule*>& rules, std::span<const Event> events) {
  rules_ = &rules;
  events_ = events;
  n_rules_ = rules.size();
  // Every slot of this batch is written by work(); more are kept for the next.
  if (results_.size() < events.size() * n_rules_) {
    results_.resize(events.size() * n_rules_, Result<bool>(false));
  }
  next_.store(0);
  if (events.size() < 2 * kChunk) {
    work(false);
    return;
  }
  if (!worker_.joinable()) {
    // The worker blocks every signal (it inherits the mask it starts
    // with), so that stop and SIGHUP reach the thread that polls the input.
    sigset_t all;
    sigset_t old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    worker_ = std::thread([this] { loop(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
  }
  uint64_t job = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    job = ++job_;
  }
  cv_.notify_all();
  work(false);
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return done_ == job; });
}

}  // namespace sluice::trigger
