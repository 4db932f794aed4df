// A rule's own queue and worker thread (see sluice/trigger.h).
#include <vector>

#include "sluice/signals.h"
#include "sluice/trigger.h"

namespace sluice::trigger {

RuleRunner::RuleRunner(std::unique_ptr<Rule> rule, size_t capacity, bool halt_on_failure)
    : rule_(std::move(rule)), capacity_(capacity), halt_on_failure_(halt_on_failure) {
  worker_ = std::thread([this] { work(); });
}

RuleRunner::~RuleRunner() {
  stop();
}

void RuleRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    quit_ = true;
  }
  rule_->cancel();
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

bool RuleRunner::push(const Message& msg, uint64_t line, std::shared_ptr<Ticket> ticket) {
  std::unique_lock<std::mutex> lock(mu_);
  // A halted worker takes nothing more: the source must stop (and it
  // stops before the failed event), not wait for room that never comes.
  if (halted_) return false;
  while (queue_.size() + windows_.size() >= capacity_) {
    if (stop_requested() || halted_) return false;
    cv_.wait_for(lock, Millis(100));
  }
  ticket->pending.fetch_add(1);
  const Millis window = rule_->debounce();
  if (window.count() > 0) {
    // One window per key (@key; none is a key of its own): the first event
    // opens it, a later one takes the place of the one waiting.
    std::string key = msg.key ? "k" + std::string(*msg.key) : std::string("-");
    auto it = window_of_.find(key);
    if (it != window_of_.end()) {
      Job& waiting = *it->second;
      waiting.replaced.push_back(std::move(waiting.ticket));
      waiting.msg = OwnedMessage(msg);
      waiting.line = line;
      waiting.ticket = std::move(ticket);
    } else {
      Job job{OwnedMessage(msg),
              line,
              std::move(ticket),
              {},
              key,
              std::chrono::steady_clock::now() + window};
      windows_.push_back(std::move(job));
      window_of_.emplace(std::move(key), std::prev(windows_.end()));
    }
  } else {
    queue_.push_back(Job{OwnedMessage(msg), line, std::move(ticket), {}, {}, {}});
  }
  cv_.notify_all();
  return true;
}

void RuleRunner::drain() {
  std::unique_lock<std::mutex> lock(mu_);
  while ((!queue_.empty() || !windows_.empty() || busy_) && !halted_ && !stop_requested()) {
    cv_.wait_for(lock, Millis(100));
  }
}

bool RuleRunner::idle() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.empty() && windows_.empty() && !busy_;
}

void RuleRunner::finish(Job& job, Outcome o) {
  if (o != Outcome::kDone) {
    job.ticket->failed.store(true);
    any_failed_.store(true);
  }
  job.ticket->pending.fetch_sub(1);
  for (auto& t : job.replaced) {
    if (o != Outcome::kDone) t->failed.store(true);
    t->pending.fetch_sub(1);
  }
}

void RuleRunner::work() {
  // --to produces without waiting; the events count as done once a flush
  // saw them acknowledged, which happens whenever the queue runs dry (or
  // every 256 events).
  std::vector<Job> produced;
  auto flush_produced = [&] {
    if (produced.empty()) return;
    Status st = rule_->flush_to(Millis(30000));
    if (!st.ok()) warn("rule '" + rule_->name() + "': --to: " + st.message());
    for (Job& j : produced) finish(j, st.ok() ? Outcome::kDone : Outcome::kFailed);
    produced.clear();
  };
  std::unique_lock<std::mutex> lock(mu_);
  using Clock = std::chrono::steady_clock;
  auto window_due = [&] { return !windows_.empty() && windows_.front().due <= Clock::now(); };
  for (;;) {
    if (queue_.empty() && !window_due()) {
      lock.unlock();
      flush_produced();
      lock.lock();
      busy_ = false;
      cv_.notify_all();
      while (queue_.empty() && !window_due() && !quit_) {
        Millis wait(100);
        if (!windows_.empty()) {
          wait = std::min(
              wait,
              std::chrono::duration_cast<Millis>(windows_.front().due - Clock::now()) + Millis(1));
        }
        cv_.wait_for(lock, std::max(wait, Millis(1)));
      }
    }
    if (quit_ || halted_) break;
    Job job;
    if (window_due()) {
      job = std::move(windows_.front());
      window_of_.erase(job.key);
      windows_.pop_front();
    } else {
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    busy_ = true;
    cv_.notify_all();  // room in the queue
    lock.unlock();
    Event e;
    e.msg = job.msg.view();
    e.line = job.line;
    const Outcome o = rule_->fire(e);
    bool halt = false;
    if (o == Outcome::kDone && rule_->has_to()) {
      produced.push_back(std::move(job));
      if (produced.size() >= 256) flush_produced();
    } else {
      finish(job, o);
      halt = o == Outcome::kStopped || (o == Outcome::kFailed && halt_on_failure_);
    }
    lock.lock();
    if (halt) {
      halted_ = true;
      busy_ = false;
      cv_.notify_all();
    }
  }
  busy_ = false;
  lock.unlock();
  flush_produced();
  cv_.notify_all();
}

}  // namespace sluice::trigger
