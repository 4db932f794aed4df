// trigger: run an action for the events a filter matches, at least once.
// Parses flags and wires libsluice objects together: the filter language
// (sluice/filter.h), a consumer or stdin lines for the source, a command
// runner (sluice/command.h) or a producer for the action.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/cli.h"
#include "sluice/backend.h"
#include "sluice/command.h"
#include "sluice/envelope.h"
#include "sluice/filter.h"
#include "sluice/format.h"
#include "sluice/reader.h"
#include "sluice/signals.h"
#include "sluice/units.h"
#include "sluice/uri.h"
#include "sluice/webhook.h"
#include "trigger/flags.h"

using namespace sluice;

namespace {

struct RuleStats {
  uint64_t events = 0;
  uint64_t matched = 0;
  uint64_t fired = 0;
  uint64_t failed = 0;
  uint64_t retried = 0;
  uint64_t dead_lettered = 0;
};

// One event as the rule sees it: the message (payload = the event) and
// where it came from. Its id is stable across retries, restarts and replays:
// the position it was read at (a stream's, or one an envelope carries), else
// its stdin line. Built only when needed, not per event.
struct Event {
  Message msg;
  uint64_t line = 0;  // stdin: the line number; 0 for a stream

  std::string id() const {
    if (!msg.stream.empty() && msg.seq >= 0) {
      return std::string(msg.stream) + "/" + std::to_string(std::max(msg.shard, 0)) + "/" +
             std::to_string(msg.seq);
    }
    return "stdin/" + std::to_string(line);
  }
  // For messages: "stdin line 7" or "event orders/0/42".
  std::string where() const {
    return line > 0 ? "stdin line " + std::to_string(line) : "event " + id();
  }
};

// What became of one matching event.
enum class Outcome { kDone, kFailed, kStopped };

// What to do with a bad event; returns an exit code to stop with, or -1.
int bad_event(const std::string& where, const Status& st, bool skip) {
  if (skip) {
    warn(where + ": " + st.message() + " (skipped)");
    return -1;
  }
  fprintf(stderr, "trigger: %s: %s\n", where.c_str(), st.message().c_str());
  return static_cast<int>(ExitCode::kDataErr);
}

std::string attempts_text(int64_t n) {
  return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

class Rule {
 public:
  struct Options {
    std::string name;
    std::string exec;
    int64_t retries = 8;
    Millis backoff_min{1000};
    Millis backoff_max{600000};
    Millis exec_timeout{60000};
    std::chrono::microseconds rate_interval{0};  // --rate: at least this between fires
    bool dry_run = false;
    std::optional<OutputFormat> body_template;  // --template
  };
  Rule(Options o, filter::Filter f, bool strict, Producer* to, Producer* dlq,
       WebhookClient* webhook, std::string webhook_url)
      : o_(std::move(o)),
        filter_(std::move(f)),
        eval_({strict}),
        to_(to),
        dlq_(dlq),
        webhook_(webhook),
        webhook_url_(std::move(webhook_url)) {}

  // Evaluates the filter: matched, not, or a bad event (kBadData).
  Result<bool> matches(const Event& e) {
    ++stats_.events;
    return eval_.matches(filter_, e.msg.payload, filter::EventMeta::Of(e.msg));
  }

  Outcome fire(const Event& e) {
    ++stats_.matched;
    if (!o_.dry_run && o_.rate_interval.count() > 0 && !pace()) return Outcome::kStopped;
    if (o_.dry_run) {
      std::string& line = dry_line_;
      line.assign(o_.name);
      line += '\t';
      line += e.id();
      line += '\t';
      line.append(e.msg.payload.value_or(""));
      line += '\n';
      fwrite(line.data(), 1, line.size(), stdout);
      dry_pending_ = true;
      ++stats_.fired;
      return Outcome::kDone;
    }
    if (to_) {
      // Only key, headers and payload: the stream, shard and time are the
      // destination's (a consumed message's stream would route it back).
      Message m;
      m.key = e.msg.key;
      m.headers = e.msg.headers;
      m.payload = body(e);
      Status st = to_->produce(m);
      if (!st.ok()) {
        warn("rule '" + o_.name + "': " + e.where() + ": --to: " + st.message());
        ++stats_.failed;
        return Outcome::kFailed;
      }
      ++stats_.fired;
      return Outcome::kDone;
    }
    return run_with_retries(e);
  }

  // --dry-run lines are buffered; the source loops flush them whenever the
  // source has nothing more at hand, so a live pipeline sees them at once.
  void flush_output() {
    if (!dry_pending_) return;
    fflush(stdout);
    dry_pending_ = false;
  }
  bool output_pending() const { return dry_pending_; }

  const RuleStats& stats() const { return stats_; }
  const std::string& name() const { return o_.name; }

 private:
  // --rate: waits until the rule may fire again (evenly spaced fires);
  // false when a stop signal came first.
  bool pace() {
    using Clock = std::chrono::steady_clock;
    const Clock::time_point now = Clock::now();
    if (next_fire_ > now) {
      const auto wait = std::chrono::duration_cast<Millis>(next_fire_ - now).count();
      pollfd p{stop_fd(), POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::max<int64_t>(wait, 1)));
      if (stop_requested()) return false;
    }
    next_fire_ = std::max(now, next_fire_) + o_.rate_interval;
    return true;
  }

  // What --webhook sends and --to produces: the event, or --template of it.
  std::optional<std::string_view> body(const Event& e) {
    if (!o_.body_template) return e.msg.payload;
    body_.clear();
    o_.body_template->render(e.msg, body_);
    return std::string_view(body_);
  }

  // One try of the action.
  struct Attempt {
    bool ok = false;
    bool retry = true;  // false: retrying cannot help
    std::string error;
    Millis retry_after{-1};  // the endpoint's wish, -1: none
  };

  Attempt attempt_exec(const Event& e, int64_t attempt) {
    input_.assign(e.msg.payload.value_or(""));
    input_ += '\n';
    std::vector<std::string> env;
    if (e.msg.payload) append_event_env(*e.msg.payload, env);
    env.push_back("TRIGGER_EVENT_ID=" + e.id());
    env.push_back("TRIGGER_RULE=" + o_.name);
    env.push_back("TRIGGER_ATTEMPT=" + std::to_string(attempt));
    auto r = run_shell_command(o_.exec, input_, env, o_.exec_timeout);
    Attempt a;
    a.ok = r.ok() && r->ok();
    if (!a.ok) a.error = r.ok() ? "--exec: " + r->describe(o_.exec_timeout) : r.status().message();
    return a;
  }

  Attempt attempt_webhook(const Event& e) {
    Attempt a;
    if (disabled_) {
      a.retry = false;
      a.error = "--webhook: disabled after 410 Gone from " + webhook_url_;
      return a;
    }
    const WebhookResult r = webhook_->send(e.id(), body(e).value_or(""));
    a.ok = r.kind == WebhookResult::Kind::kDelivered;
    a.retry = r.kind == WebhookResult::Kind::kRetry;
    a.error = "--webhook: " + r.error;
    a.retry_after = r.retry_after;
    if (r.kind == WebhookResult::Kind::kGone) {
      disabled_ = true;
      fprintf(stderr,
              "trigger: rule '%s': %s answered 410 Gone: the rule is DISABLED; its matching "
              "events from now on fail (or go to --dlq) without a request\n",
              o_.name.c_str(), webhook_url_.c_str());
    }
    return a;
  }

  Outcome run_with_retries(const Event& e) {
    std::string last_error;
    int64_t attempt = 0;
    Millis wait = o_.backoff_min;
    for (;;) {
      ++attempt;
      const Attempt a = webhook_ ? attempt_webhook(e) : attempt_exec(e, attempt);
      if (a.ok) {
        ++stats_.fired;
        return Outcome::kDone;
      }
      last_error = a.error;
      if (!a.retry || attempt > o_.retries || stop_requested()) break;
      ++stats_.retried;
      // Equal jitter: half the wait, plus up to the other half at random;
      // a Retry-After from the endpoint wins.
      const int64_t half = wait.count() / 2;
      std::uniform_int_distribution<int64_t> jitter(0, half);
      const Millis sleep = a.retry_after.count() >= 0 ? a.retry_after : Millis(half + jitter(rng_));
      warn("rule '" + o_.name + "': " + e.where() + ": " + last_error + " (attempt " +
           std::to_string(attempt) + "; retrying in " + std::to_string(sleep.count()) + " ms" +
           (a.retry_after.count() >= 0 ? ", as Retry-After asks)" : ")"));
      pollfd p{stop_fd(), POLLIN, 0};
      poll(&p, 1, static_cast<int>(std::min<int64_t>(sleep.count(), INT32_MAX)));
      if (stop_requested()) break;
      wait = std::min(o_.backoff_max, wait * 2);
    }
    if (stop_requested()) return Outcome::kStopped;
    if (dlq_) {
      std::vector<Header> headers(e.msg.headers.begin(), e.msg.headers.end());
      const std::string id = e.id();
      const std::string attempts = std::to_string(attempt);
      headers.push_back({"trigger-rule", o_.name});
      headers.push_back({"trigger-event-id", id});
      headers.push_back({"trigger-attempts", attempts});
      headers.push_back({"trigger-error", last_error});
      Message m;
      m.key = e.msg.key;
      m.payload = e.msg.payload;
      m.headers = headers;
      Status st = dlq_->produce(m);
      if (st.ok()) st = dlq_->flush(Millis(30000));
      if (st.ok() && dlq_->failed() == 0) {
        warn("rule '" + o_.name + "': " + e.where() + ": " + last_error + " after " +
             attempts_text(attempt) + ": sent to the dead-letter stream");
        ++stats_.dead_lettered;
        return Outcome::kDone;
      }
      warn("rule '" + o_.name + "': " + e.where() +
           ": --dlq: " + (st.ok() ? std::string("refused the record") : st.message()));
    }
    warn("rule '" + o_.name + "': " + e.where() + ": " + last_error + " after " +
         attempts_text(attempt) + ": failed");
    ++stats_.failed;
    return Outcome::kFailed;
  }

  Options o_;
  filter::Filter filter_;
  filter::Evaluator eval_;
  Producer* to_;
  Producer* dlq_;
  WebhookClient* webhook_;
  std::string webhook_url_;
  bool disabled_ = false;                              // the webhook answered 410 Gone
  std::string input_;                                  // --exec's stdin, reused
  std::string body_;                                   // --template's rendering, reused
  std::chrono::steady_clock::time_point next_fire_{};  // --rate
  RuleStats stats_;
  std::mt19937_64 rng_{std::random_device{}()};
  bool dry_pending_ = false;
  std::string dry_line_;
};

struct Source {
  bool skip_bad = false;
  int64_t count = -1;
};

// Runs the rule over stdin lines. Returns the exit code.
int run_stdin(Rule& rule, bool envelope, const Source& src) {
  RecordReader reader(0, Framing::Line(), size_t{64} << 20);
  EnvelopeDecoder decoder;
  bool any_failed = false;
  int64_t seen = 0;
  Event e;
  for (;;) {
    if (stop_requested()) break;
    if (src.count >= 0 && seen >= src.count) break;
    std::string_view line;
    const RecordReader::Next n = reader.next(&line);
    if (n == RecordReader::Next::kWouldBlock) {
      // Nothing at hand: what is buffered goes out now, then wait.
      rule.flush_output();
      pollfd p[2] = {{0, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
      poll(p, 2, -1);
      continue;
    }
    if (n == RecordReader::Next::kEof) break;
    auto where = [&] { return "stdin line " + std::to_string(reader.record_number()); };
    if (n == RecordReader::Next::kOversized) {
      if (int rc = bad_event(where(), Status::BadData("longer than 64 MiB"), src.skip_bad); rc >= 0)
        return rc;
      continue;
    }
    if (n == RecordReader::Next::kError) {
      if (stop_requested()) break;
      return cli::fail(reader.status().With("stdin"));
    }
    if (n != RecordReader::Next::kRecord) continue;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;  // blank
    ++seen;
    e.msg = Message{};
    e.line = reader.record_number();
    if (envelope) {
      Status st = decoder.decode(line, e.msg);
      if (!st.ok()) {
        if (int rc = bad_event(where(), st, src.skip_bad); rc >= 0) return rc;
        continue;
      }
    } else {
      e.msg.payload = line;
    }
    Result<bool> m = rule.matches(e);
    if (!m.ok()) {
      if (int rc = bad_event(where(), m.status(), src.skip_bad); rc >= 0) return rc;
      continue;
    }
    if (!*m) continue;
    const Outcome o = rule.fire(e);
    if (o == Outcome::kStopped) return static_cast<int>(ExitCode::kTempFail);
    if (o == Outcome::kFailed) any_failed = true;
  }
  return any_failed ? static_cast<int>(ExitCode::kTempFail) : 0;
}

// Runs the rule over a stream. The group advances past a batch only after
// every matching event of it is done and --to acknowledged it.
int run_stream(Rule& rule, Consumer& consumer, Producer* to, const Source& src, bool group) {
  MessageBatch batch;
  int64_t seen = 0;
  auto last_commit = std::chrono::steady_clock::now();
  Event e;
  int rc = 0;
  bool done = false;
  while (!done && !stop_requested()) {
    rule.flush_output();
    Status st = consumer.poll(batch, Millis(100));
    if (st.is(StatusCode::kEndOfStream)) break;
    if (!st.ok()) {
      if (stop_requested()) break;
      rc = cli::fail(st);
      break;
    }
    const Message* last_done = nullptr;
    size_t taken = 0;
    for (const Message& m : batch.messages) {
      if (src.count >= 0 && seen >= src.count) {
        done = true;
        break;
      }
      ++seen;
      e.msg = m;
      Result<bool> match = rule.matches(e);
      if (!match.ok()) {
        if (int r = bad_event(e.where(), match.status(), src.skip_bad); r >= 0) {
          rc = r;
          done = true;
          break;
        }
      } else if (*match) {
        const Outcome o = rule.fire(e);
        if (o != Outcome::kDone) {
          rc = static_cast<int>(ExitCode::kTempFail);
          if (o == Outcome::kFailed)
            warn(e.where() + ": stopping; the group stays before this event");
          done = true;
          break;
        }
      }
      last_done = &m;
      ++taken;
    }
    if (to && taken > 0) {
      Status fst = to->flush(Millis(30000));
      if (!fst.ok() || to->failed() > 0) {
        warn("--to: " + (fst.ok() ? std::string("records were refused") : fst.message()) +
             "; the group stays before them");
        return static_cast<int>(ExitCode::kTempFail);
      }
    }
    // mark_taken covers everything before a message on its shard: mark each
    // message, cheap and right across shards.
    if (last_done) {
      for (size_t i = 0; i < taken; ++i) consumer.mark_taken(batch.messages[i]);
    }
    if (group && (done || std::chrono::steady_clock::now() - last_commit > Millis(200))) {
      if (Status cst = consumer.commit(); !cst.ok()) return cli::fail(cst.With("commit"));
      last_commit = std::chrono::steady_clock::now();
    }
    if (src.count >= 0 && seen >= src.count) done = true;
  }
  if (group) {
    if (Status cst = consumer.commit(); !cst.ok() && rc == 0) rc = cli::fail(cst.With("commit"));
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("trigger");
  cli::Args a;
  if (int rc = a.parse(tools::trigger::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;
  const std::string source = a.positionals().front();
  if (!a.has("when")) return cli::usage_error("--when EXPR is required");
  auto f = filter::Filter::Compile(a.value("when"));
  if (!f.ok()) return cli::fail(f.status().With("--when"));

  Rule::Options ro;
  ro.name = a.value("name");
  ro.exec = a.value("exec");
  ro.dry_run = a.has("dry-run");
  if (a.has("rate")) {
    // N/s, N/m or N/h: fires evenly spaced, N per unit at most.
    const std::string spec = a.value("rate");
    const size_t slash = spec.find('/');
    int64_t n = 0;
    const std::string unit = slash == std::string::npos ? "" : spec.substr(slash + 1);
    const int64_t unit_us = unit == "s"   ? 1000000
                            : unit == "m" ? 60000000
                            : unit == "h" ? 3600000000
                                          : 0;
    try {
      size_t used = 0;
      n = std::stoll(spec.substr(0, slash), &used);
      if (used != slash) n = 0;
    } catch (...) {
      n = 0;
    }
    if (n <= 0 || unit_us == 0) {
      return cli::usage_error("--rate '" + spec + "': expected N/s, N/m or N/h with N above 0");
    }
    ro.rate_interval = std::chrono::microseconds(unit_us / n);
  }
  if (a.has("template")) {
    if (!a.has("webhook") && !a.has("to"))
      return cli::usage_error("--template needs --webhook or --to");
    auto t = OutputFormat::Parse(a.value("template"));
    if (!t.ok()) return cli::fail(t.status().With("--template"));
    ro.body_template = std::move(*t);
  }
  const int actions = (a.has("exec") ? 1 : 0) + (a.has("to") ? 1 : 0) + (a.has("webhook") ? 1 : 0);
  if (actions > 1) return cli::usage_error("one action: --exec, --webhook or --to");
  if (actions == 0 && !ro.dry_run) {
    return cli::usage_error("an action is required: --exec, --webhook or --to");
  }
  std::unique_ptr<WebhookClient> webhook;
  if (a.has("webhook")) {
    WebhookOptions wo;
    wo.url = a.value("webhook");
    wo.method = a.value("method");
    for (const std::string& h : a.values("webhook-header")) {
      if (h.find(':') == std::string::npos || h.front() == ':') {
        return cli::usage_error("--webhook-header '" + h + "': expected NAME:VALUE");
      }
      wo.headers.push_back(h);
    }
    wo.secret = a.value("webhook-secret");
    auto wt = parse_duration_ms(a.value("webhook-timeout"));
    if (!wt.ok() || *wt <= 0) {
      return cli::usage_error("--webhook-timeout '" + a.value("webhook-timeout") +
                              "': expected a duration above 0, such as 10s");
    }
    wo.timeout = Millis(*wt);
    auto w = WebhookClient::Create(std::move(wo));
    if (!w.ok())
      return cli::fail(w.status().With(a.has("webhook-secret") ? "--webhook-secret" : "--webhook"));
    webhook = std::move(*w);
  }
  if (!a.integer("retries", 8, &ro.retries, &rc)) return rc;
  if (ro.retries < 0) return cli::usage_error("--retries: expected 0 or more");
  {
    const std::string spec = a.value("retry-backoff");
    const size_t comma = spec.find(',');
    auto lo = parse_duration_ms(spec.substr(0, comma));
    auto hi = comma == std::string::npos ? lo : parse_duration_ms(spec.substr(comma + 1));
    if (!lo.ok() || !hi.ok() || *lo <= 0 || *hi < *lo) {
      return cli::usage_error("--retry-backoff '" + spec +
                              "': expected MIN[,MAX], durations above 0 such as 1s,10m");
    }
    ro.backoff_min = Millis(*lo);
    ro.backoff_max = Millis(*hi);
  }
  auto exec_timeout = parse_duration_ms(a.value("exec-timeout"));
  if (!exec_timeout.ok()) return cli::fail(exec_timeout.status().With("--exec-timeout"));
  ro.exec_timeout = Millis(*exec_timeout);
  auto timeout = parse_duration_ms(a.value("timeout"));
  if (!timeout.ok()) return cli::fail(timeout.status().With("--timeout"));
  std::string on_error;
  if (!a.choice("on-error", &on_error, &rc)) return rc;
  Source src;
  src.skip_bad = on_error == "skip";
  if (!a.integer("count", -1, &src.count, &rc)) return rc;
  if (a.has("count") && src.count < 0) return cli::usage_error("--count: expected 0 or more");
  const bool from_stdin = source == "-";
  if (from_stdin) {
    for (const char* flag : {"group", "from", "exit"}) {
      if (a.has(flag)) return cli::usage_error("--" + std::string(flag) + " needs a stream source");
    }
  } else if (a.has("envelope")) {
    return cli::usage_error("--envelope needs - (stdin) as the source");
  }

  install_stop_handlers();
  ProducerOptions po;
  po.timeout = Millis(*timeout);
  std::unique_ptr<Producer> to;
  std::unique_ptr<Producer> dlq;
  for (const char* flag : {"to", "dlq"}) {
    if (!a.has(flag) || ro.dry_run) continue;
    auto uri = parse_stream_uri(a.value(flag));
    if (!uri.ok()) return cli::fail(uri.status().With("--" + std::string(flag)));
    auto p = open_producer(*uri, po);
    if (!p.ok()) return cli::fail(p.status().With("--" + std::string(flag)));
    (std::string(flag) == "to" ? to : dlq) = std::move(*p);
  }
  Rule rule(ro, std::move(*f), a.has("strict"), to.get(), dlq.get(), webhook.get(),
            a.value("webhook"));

  if (from_stdin) {
    // Non-blocking (as flux reads it), so that trigger knows when no input
    // is at hand and flushes --dry-run's output then; a file stays blocking.
    struct stat in_stat;
    const int flags = fcntl(0, F_GETFL);
    const bool nonblock = fstat(0, &in_stat) == 0 && !S_ISREG(in_stat.st_mode) && flags >= 0;
    if (nonblock) fcntl(0, F_SETFL, flags | O_NONBLOCK);
    rc = run_stdin(rule, a.has("envelope"), src);
    if (nonblock) fcntl(0, F_SETFL, flags);
    if (to) {
      Status st = to->flush(Millis(*timeout));
      if ((!st.ok() || to->failed() > 0) && rc == 0) rc = static_cast<int>(ExitCode::kTempFail);
    }
  } else {
    auto uri = parse_stream_uri(source);
    if (!uri.ok()) return cli::fail(uri.status());
    ConsumerOptions co;
    auto from = parse_start_position(a.value("from"), now_us());
    if (!from.ok()) return cli::fail(from.status().With("--from"));
    co.from = *from;
    co.group = a.value("group");
    co.exit_at_end = a.has("exit");
    co.timeout = Millis(*timeout);
    co.max_batch = 256;
    auto consumer = open_consumer(*uri, co);
    if (!consumer.ok()) return cli::fail(consumer.status());
    if (src.count != 0) rc = run_stream(rule, **consumer, to.get(), src, !co.group.empty());
  }
  if (a.has("stats")) {
    const RuleStats& s = rule.stats();
    fprintf(stderr,
            "trigger: %llu events; rule '%s': %llu matched, %llu fired, %llu failed, %llu "
            "retried, %llu dead-lettered\n",
            static_cast<unsigned long long>(s.events), rule.name().c_str(),
            static_cast<unsigned long long>(s.matched), static_cast<unsigned long long>(s.fired),
            static_cast<unsigned long long>(s.failed), static_cast<unsigned long long>(s.retried),
            static_cast<unsigned long long>(s.dead_lettered));
  }
  return rc;
}
