// trigger's rules: a name, a compiled filter and one action (--exec,
// --webhook or --to) with its retries, backoff, rate and dead-letter stream.
// A rule is built from a RuleSpec, which comes from the trigger flags (one
// rule) or from a rules file (--rules FILE: a JSON array of rules).
//
// A Rule runs its action in the calling thread, one event at a time, and
// retries with backoff until it succeeds, fails for good or a stop signal
// comes; a stop also cuts a running command or request short. Not
// thread-safe, except cancel(). The lanes of one rule (--max-in-flight: one
// Rule per lane, each in its own thread) share one --rate budget, one 410
// Gone switch and one curl multi handle for their webhook requests (see
// share_with).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "sluice/backend.h"
#include "sluice/filter.h"
#include "sluice/format.h"
#include "sluice/message.h"
#include "sluice/signals.h"
#include "sluice/status.h"
#include "sluice/webhook.h"

namespace sluice::trigger {

using Millis = std::chrono::milliseconds;

struct RuleStats {
  uint64_t events = 0;
  uint64_t matched = 0;
  uint64_t fired = 0;
  uint64_t failed = 0;
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
};

// One event as the rules see it: the message (payload = the event) and
// where it came from. Its id is stable across retries, restarts and replays:
// the position it was read at (a stream's, or one an envelope carries), else
// its stdin line.
struct Event {
  Message msg;
  uint64_t line = 0;  // stdin: the line number; 0 for a stream
  size_t slack = 0;   // readable bytes after the payload in memory (stdin: the read buffer's)

  std::string id() const;
  // For messages: "stdin line 7" or "event orders/0/42".
  std::string where() const;
};

// What became of one matching event.
enum class Outcome { kDone, kFailed, kStopped };

// A rule as written: the flags' values, or one object of a rules file. The
// strings are checked and parsed by Rule::Create.
struct RuleSpec {
  std::string name = "when";
  std::string when;
  std::string exec;
  std::string webhook;                       // URL
  std::string to;                            // stream URI
  std::string dlq;                           // stream URI
  std::vector<std::string> webhook_headers;  // "NAME:VALUE"
  std::string method = "POST";
  std::string secret;  // whsec_BASE64
  std::optional<std::string> body_template;
  int64_t retries = 8;
  std::string retry_backoff = "1s,10m";
  std::string exec_timeout = "1m";
  std::string webhook_timeout = "30s";
  std::string rate;           // N/s, N/m, N/h or empty
  std::string debounce;       // DUR or empty
  int64_t max_in_flight = 1;  // lanes: the rule's actions that may run at once
};

// What every rule of a process shares.
struct RuleContext {
  bool strict = false;
  bool dry_run = false;
  Millis producer_timeout{30000};  // --timeout, for --to and --dlq
  // How errors name a field: false: as a flag ("--rate '5': ..."), true:
  // as a rules file field ("rate: '5': ...").
  bool from_file = false;
};

class Rule {
 public:
  // Compiles the filter, checks every option and opens the producers and
  // the webhook client. Errors name the field (a flag or a file field);
  // kInvalidArgument for a bad value, else the backend's error.
  static Result<std::unique_ptr<Rule>> Create(const RuleSpec& spec, const RuleContext& ctx);
  ~Rule();
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  // Evaluates the filter: matched, not, or a bad event (kBadData).
  Result<bool> matches(const Event& e);
  // The parts of matches(), for BatchMatcher: evaluate() leaves the counts
  // alone; with `worker` it uses an evaluator of its own, so that a second
  // thread may evaluate other events at the same time. count() counts an
  // event with what evaluate() returned for it.
  Result<bool> evaluate(const Event& e, bool worker);
  void count(const Result<bool>& m);
  // Runs the action for a matching event, with retries; kStopped when a
  // stop signal came first.
  Outcome fire(const Event& e);
  // Waits until --to acknowledged what fire() produced; ok without --to.
  Status flush_to(Millis timeout);

  // --dry-run lines are buffered; the source loops flush them whenever the
  // source has nothing more at hand, so a live pipeline sees them at once.
  void flush_output();

  const RuleStats& stats() const { return stats_; }
  // Carries the counts over from the rule this one replaces (a reload).
  void set_stats(const RuleStats& s) { stats_ = s; }
  const std::string& name() const { return spec_.name; }
  const RuleSpec& spec() const { return spec_; }
  bool has_to() const { return to_ != nullptr; }
  // --debounce: the window, 0 for none.
  Millis debounce() const { return debounce_; }
  // From another thread: the retries and --rate waits end at once, and a
  // running command or request is cut short (the event counts as stopped,
  // not done).
  void cancel() { cancelled_.store(true); }
  // Makes this rule a lane of `first`: from then on they share one --rate
  // budget, one 410 Gone switch and one webhook transport (one curl multi
  // handle drives the requests of all the lanes).
  void share_with(const Rule& first);

 private:
  // What the lanes of one rule share, each lane in its own thread.
  struct Shared {
    std::atomic<bool> disabled{false};  // the webhook answered 410 Gone
    std::mutex rate_mu;
    // --rate: the earliest time the next fire may start; each fire books
    // the slot after the last one booked, so the lanes together keep the
    // rate (a token bucket holding one token).
    std::chrono::steady_clock::time_point next_fire{};
  };
  Rule() = default;
  struct Attempt;
  bool pace();
  bool sleep_for(Millis d);
  bool stopping() const { return stop_requested() || cancelled_.load(); }
  std::optional<std::string_view> body(const Event& e);
  Attempt attempt_exec(const Event& e, int64_t attempt);
  Attempt attempt_webhook(const Event& e);
  Outcome run_with_retries(const Event& e);

  RuleSpec spec_;
  bool dry_run_ = false;
  Millis backoff_min_{1000};
  Millis backoff_max_{600000};
  Millis exec_timeout_{60000};
  std::chrono::microseconds rate_interval_{0};
  Millis debounce_{0};
  std::optional<filter::Filter> filter_;
  std::optional<filter::Evaluator> eval_;
  std::optional<filter::Evaluator> worker_eval_;  // evaluate(e, true): BatchMatcher's thread
  bool strict_ = false;
  std::optional<OutputFormat> body_template_;
  std::unique_ptr<Producer> to_;
  std::unique_ptr<Producer> dlq_;
  std::unique_ptr<WebhookClient> webhook_;
  std::shared_ptr<Shared> shared_ = std::make_shared<Shared>();
  std::string input_;  // --exec's stdin, reused
  std::string body_;   // --template's rendering, reused
  RuleStats stats_;
  std::mt19937_64 rng_{std::random_device{}()};
  bool dry_pending_ = false;
  std::string dry_line_;
  std::atomic<bool> cancelled_{false};
};

// One event's pending actions: the source advances past it once `pending`
// is 0 and it did not fail.
struct Ticket {
  std::atomic<int> pending{0};
  std::atomic<bool> failed{false};
};

// A rule with its own bounded queue and worker thread, so that a slow or
// failing action of one rule never holds up another. push() blocks while
// the queue is full: that is the only backpressure on the source.
class RuleRunner {
 public:
  // halt_on_failure: after an event failed for good, the worker takes no
  // more events (a stream source stops before that event).
  RuleRunner(std::unique_ptr<Rule> rule, size_t capacity, bool halt_on_failure);
  ~RuleRunner();  // stop()
  // Abandons what is queued, cuts the running action short (its event is
  // not done) and joins the worker. Idempotent.
  void stop();
  RuleRunner(const RuleRunner&) = delete;
  RuleRunner& operator=(const RuleRunner&) = delete;

  // Queues a matching event; false when the worker halted, or a stop
  // signal came while the queue was full.
  bool push(const Message& msg, uint64_t line, std::shared_ptr<Ticket> ticket);
  // Waits until every queued event is done (or the worker halted, or a
  // stop signal came).
  void drain();
  bool any_failed() const { return any_failed_.load(); }
  // Nothing queued and nothing running.
  bool idle();
  Rule& rule() { return *rule_; }

 private:
  struct Job {
    OwnedMessage msg;
    uint64_t line = 0;
    std::shared_ptr<Ticket> ticket;
    // --debounce: the events this one replaced in its window (done with it)
    std::vector<std::shared_ptr<Ticket>> replaced;
    std::string key;
    std::chrono::steady_clock::time_point due{};
  };
  void work();
  void finish(Job& job, Outcome o);

  std::unique_ptr<Rule> rule_;
  size_t capacity_;
  bool halt_on_failure_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  // --debounce: one job per key, the latest event, until its window ends
  std::list<Job> windows_;  // in the order the windows opened (= end)
  std::unordered_map<std::string, std::list<Job>::iterator> window_of_;
  bool busy_ = false;
  bool quit_ = false;
  bool halted_ = false;
  std::atomic<bool> any_failed_{false};
  std::thread worker_;
};

// Evaluates the rules' filters over a batch of events on two threads, the
// caller's and a worker of its own, which take chunks of events in turn (so
// a busy machine only shifts the share). result(i, r) is what
// rules[r]->matches(events[i]) would return, but nothing is counted: the
// caller counts (Rule::count) the events it goes on to dispatch, in order.
// Small batches are evaluated in the caller's thread alone.
class BatchMatcher {
 public:
  BatchMatcher();
  ~BatchMatcher();  // ends the worker
  BatchMatcher(const BatchMatcher&) = delete;
  BatchMatcher& operator=(const BatchMatcher&) = delete;

  void run(const std::vector<Rule*>& rules, std::span<const Event> events);
  const Result<bool>& result(size_t event, size_t rule) const {
    return results_[event * n_rules_ + rule];
  }

 private:
  void work(bool worker);  // evaluates chunks until none is left
  void loop();             // the worker thread

  const std::vector<Rule*>* rules_ = nullptr;
  std::span<const Event> events_;
  size_t n_rules_ = 0;
  std::vector<Result<bool>> results_;
  std::atomic<size_t> next_{0};  // the first event no thread has taken
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t job_ = 0;   // batches handed to the worker
  uint64_t done_ = 0;  // batches the worker is done with
  bool quit_ = false;
  std::thread worker_;
};

// Reads a rules file: a JSON array of objects, each with "name", "when",
// one of "exec", "webhook", "to" (none with dry_run), and optionally
// "retries", "retry_backoff", "exec_timeout", "webhook_timeout",
// "webhook_header" (a string or an array), "method", "template", "secret",
// "dlq", "rate". Errors (kConfig) name the rule by index and name, and the
// field: "rule 2 ('eu'): when: 1:5: ...".
Result<std::vector<RuleSpec>> ParseRulesFile(const std::string& path);

// Parses every spec into a rule; the first error names the rule as
// ParseRulesFile does, with code kConfig when ctx.from_file.
Result<std::vector<std::unique_ptr<Rule>>> CreateRules(const std::vector<RuleSpec>& specs,
                                                       const RuleContext& ctx);

}  // namespace sluice::trigger
