// trigger: run an action for the events a filter matches, at least once.
// Parses flags and wires libsluice objects together: the filter language
// (sluice/filter.h), a consumer or stdin lines for the source, a command
// runner (sluice/command.h) or a producer for the action.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
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
#include "sluice/trigger.h"
#include "sluice/units.h"
#include "sluice/uri.h"
#include "trigger/flags.h"

using namespace sluice;

namespace {

using trigger::Event;
using trigger::Outcome;
using trigger::Rule;
using Rules = std::vector<std::unique_ptr<Rule>>;

// What to do with a bad event; returns an exit code to stop with, or -1.
int bad_event(const std::string& where, const Status& st, bool skip) {
  if (skip) {
    warn(where + ": " + st.message() + " (skipped)");
    return -1;
  }
  fprintf(stderr, "trigger: %s: %s\n", where.c_str(), st.message().c_str());
  return static_cast<int>(ExitCode::kDataErr);
}

// --rules FILE and SIGHUP: the handler only sets a flag; the source loops
// reload between two events, so none is lost or run twice.
volatile sig_atomic_t g_reload = 0;
extern "C" void on_hup(int) {
  g_reload = 1;
}

// The rules of the process. Without --dry-run each rule runs in its own
// RuleRunner (a bounded queue and a worker thread), so one slow or failing
// rule never holds up another; --dry-run fires in the source's thread.
struct RuleSet {
  Rules rules;  // --dry-run, or until start()
  std::vector<std::unique_ptr<trigger::RuleRunner>> runners;
  std::string file;         // --rules, or empty
  uint64_t generation = 0;  // counts reloads (evaluations of older rules are stale)
  trigger::RuleContext ctx;
  bool halt_on_failure = false;  // a stream source stops at a failed event
  size_t queue_size = 1024;      // --queue-size: events one lane holds before the source waits
  bool any_failed = false;       // --dry-run's own count

  // --max-in-flight N: a rule runs in N lanes (runners, each with its own
  // copy of the rule); lane[i] is where rule i's first lane is, and events
  // of one key always go to the same lane, so they stay in order.
  struct Lanes {
    size_t first = 0;
    size_t n = 1;
    size_t next = 0;  // round robin for events without a key
  };
  std::vector<Lanes> lanes;

  size_t size() const { return runners.empty() ? rules.size() : lanes.size(); }
  Rule& at(size_t i) { return runners.empty() ? *rules[i] : runners[lanes[i].first]->rule(); }

  // Starts the runners; false (with the error) when a lane cannot open
  // its --to, --dlq or webhook.
  Status start() {
    if (ctx.dry_run) return Status::Ok();
    for (auto& r : rules) {
      Lanes l;
      l.first = runners.size();
      l.n = static_cast<size_t>(r->spec().max_in_flight);
      const trigger::RuleSpec spec = r->spec();
      const Rule& first = *r;
      runners.push_back(
          std::make_unique<trigger::RuleRunner>(std::move(r), queue_size, halt_on_failure));
      for (size_t k = 1; k < l.n; ++k) {
        auto lane = Rule::Create(spec, ctx);
        if (!lane.ok()) return lane.status().With("rule '" + spec.name + "'");
        (*lane)->share_with(first);
        runners.push_back(
            std::make_unique<trigger::RuleRunner>(std::move(*lane), queue_size, halt_on_failure));
      }
      lanes.push_back(l);
    }
    rules.clear();
    return Status::Ok();
  }
  // The counts of rule i, over its lanes.
  trigger::RuleStats stats(size_t i) {
    if (runners.empty()) return rules[i]->stats();
    trigger::RuleStats sum;
    for (size_t k = lanes[i].first; k < lanes[i].first + lanes[i].n; ++k) {
      const trigger::RuleStats& s = runners[k]->rule().stats();
      sum.events += s.events;
      sum.matched += s.matched;
      sum.fired += s.fired;
      sum.failed += s.failed;
      sum.retried += s.retried;
      sum.dead_lettered += s.dead_lettered;
    }
    return sum;
  }
  trigger::RuleRunner& lane_for(size_t i, const Message& m) {
    Lanes& l = lanes[i];
    size_t k = 0;
    if (l.n > 1) {
      k = m.key ? std::hash<std::string_view>{}(*m.key) % l.n : l.next++ % l.n;
    }
    return *runners[l.first + k];
  }

  // Runs every rule over one event: a matching rule's action is queued (or
  // fired at once with --dry-run), its ticket counting it. A bad event
  // returns the error with the rule's name when there are several; false
  // in *queued when a rule's worker halted or a stop signal came while a queue was full.
  // A null `t` is made when a rule first needs it (stdin needs no ticket
  // for an event nothing matched, and --dry-run none at all).
  // With `pre`, the rules were evaluated already: event `pre_event` of it.
  Status dispatch(const Event& e, std::shared_ptr<trigger::Ticket>& t, bool* queued,
                  const trigger::BatchMatcher* pre = nullptr, size_t pre_event = 0) {
    *queued = true;
    for (size_t i = 0; i < size(); ++i) {
      Rule& rule = at(i);
      const Result<bool> m = pre ? pre->result(pre_event, i) : rule.evaluate(e, false);
      rule.count(m);
      if (!m.ok()) {
        return size() > 1 ? m.status().With("rule '" + rule.name() + "'") : m.status();
      }
      if (!*m) continue;
      if (runners.empty()) {
        if (rule.fire(e) != Outcome::kDone) {
          any_failed = true;
          if (t) t->failed.store(true);
        }
        continue;
      }
      if (!t) t = std::make_shared<trigger::Ticket>();
      if (!lane_for(i, e.msg).push(e.msg, e.line, t)) {
        *queued = false;
        return Status::Ok();
      }
    }
    return Status::Ok();
  }

  // Waits for every queued action; true when all are done.
  bool drain() {
    for (auto& r : runners) r->drain();
    for (auto& r : runners) {
      if (!r->idle()) return false;
    }
    return true;
  }
  // A stop signal: cuts the running actions short (their events are not
  // done) and ends the workers.
  void stop() {
    for (auto& r : runners) r->stop();
  }
  bool failed() const {
    if (any_failed) return true;
    for (const auto& r : runners) {
      if (r->any_failed()) return true;
    }
    return false;
  }

  // Between two events: on SIGHUP, waits for the queued actions, then reads
  // the file again; a bad file keeps the rules that run. Counts carry over
  // to a rule of the same name.
  void maybe_reload() {
    if (!g_reload) return;
    g_reload = 0;
    if (file.empty()) return;
    drain();
    auto specs = trigger::ParseRulesFile(file);
    Result<Rules> fresh =
        specs.ok() ? trigger::CreateRules(*specs, ctx) : Result<Rules>(specs.status());
    if (!fresh.ok()) {
      fprintf(stderr, "trigger: SIGHUP: --rules %s: %s; keeping the %zu rules that run\n",
              file.c_str(), fresh.status().message().c_str(), size());
      return;
    }
    for (auto& r : *fresh) {
      for (size_t i = 0; i < size(); ++i) {
        if (at(i).name() == r->name()) r->set_stats(stats(i));
      }
    }
    flush_output();
    any_failed = failed();
    runners.clear();
    lanes.clear();
    rules = std::move(*fresh);
    ++generation;
    if (Status st = start(); !st.ok()) {
      fprintf(stderr, "trigger: SIGHUP: --rules %s: %s; the rule runs in fewer lanes\n",
              file.c_str(), st.message().c_str());
    }
    fprintf(stderr, "trigger: SIGHUP: reloaded --rules %s: %zu rules\n", file.c_str(), size());
  }
  void flush_output() {
    for (auto& r : rules) r->flush_output();
  }
  // The rules in order (rule i, or its first lane).
  std::vector<Rule*> list() {
    std::vector<Rule*> out;
    for (size_t i = 0; i < size(); ++i) out.push_back(&at(i));
    return out;
  }
};

struct Source {
  bool skip_bad = false;
  int64_t count = -1;
  uint64_t events = 0;  // read so far
};

bool blank(std::string_view line) {
  return line.find_first_not_of(" \t\r") == std::string_view::npos;
}

// Lines at hand are evaluated as a batch (BatchMatcher, two threads), then
// taken one by one as if read one by one: the same order, line numbers,
// errors and stops.
constexpr size_t kBatch = 4096;

struct Line {
  RecordReader::Next n = RecordReader::Next::kEof;
  std::string_view text;
  uint64_t number = 0;
  size_t slack = 0;
  int64_t event = -1;  // its index in the evaluated batch, or -1
};

// Runs the rules over stdin lines. Returns the exit code.
int run_stdin(RuleSet& rules, bool envelope, Source& src) {
  RecordReader reader(0, Framing::Line(), size_t{64} << 20);
  EnvelopeDecoder decoder;
  trigger::BatchMatcher matcher;
  std::vector<Line> at_hand;  // lines read, not yet taken
  size_t taken = 0;
  std::vector<Event> batch;
  uint64_t batch_generation = 0;
  // After next() returned `first`, the records behind it that are in the
  // buffer already (their views stay valid together) join it, and the
  // rules are evaluated over the batch. --envelope decodes one at a time.
  auto gather = [&](const Line& first) {
    at_hand.assign(1, first);
    taken = 0;
    while (!envelope && at_hand.size() < kBatch) {
      Line l;
      l.n = reader.next_buffered(&l.text);
      if (l.n != RecordReader::Next::kRecord && l.n != RecordReader::Next::kOversized) break;
      l.number = reader.record_number();
      if (l.n == RecordReader::Next::kRecord) l.slack = reader.bytes_after(l.text);
      at_hand.push_back(l);
    }
    if (at_hand.size() < 2) return;
    // The Events of the last batch are reused: only these fields differ.
    size_t n = 0;
    for (Line& l : at_hand) {
      if (l.n != RecordReader::Next::kRecord || blank(l.text)) continue;
      l.event = static_cast<int64_t>(n);
      if (n == batch.size()) batch.emplace_back();
      Event& e = batch[n++];
      e.msg.payload = l.text;
      e.line = l.number;
      e.slack = l.slack;
    }
    matcher.run(rules.list(), std::span<const Event>(batch.data(), n));
    batch_generation = rules.generation;
  };
  int64_t seen = 0;
  Event e;
  for (;;) {
    if (stop_requested()) break;
    if (src.count >= 0 && seen >= src.count) break;
    rules.maybe_reload();
    Line cur;
    if (taken < at_hand.size()) {
      cur = at_hand[taken++];
    } else {
      at_hand.clear();
      cur.n = reader.next(&cur.text);
      cur.number = reader.record_number();
      if (cur.n == RecordReader::Next::kRecord) {
        cur.slack = envelope ? 0 : reader.bytes_after(cur.text);
        gather(cur);
        if (!at_hand.empty()) cur = at_hand[taken++];
      }
    }
    const RecordReader::Next n = cur.n;
    const std::string_view line = cur.text;
    if (n == RecordReader::Next::kWouldBlock) {
      // Nothing at hand: what is buffered goes out now, then wait.
      rules.flush_output();
      rules.maybe_reload();
      pollfd p[2] = {{0, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
      poll(p, 2, -1);
      continue;
    }
    if (n == RecordReader::Next::kEof) break;
    auto where = [&] { return "stdin line " + std::to_string(cur.number); };
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
    if (cur.event < 0 && blank(line)) continue;
    ++seen;
    ++src.events;
    e.msg = Message{};
    e.line = cur.number;
    if (envelope) {
      Status st = decoder.decode(line, e.msg);
      if (!st.ok()) {
        if (int rc = bad_event(where(), st, src.skip_bad); rc >= 0) {
          rules.drain();
          return rc;
        }
        continue;
      }
    } else {
      e.msg.payload = line;
    }
    e.slack = cur.slack;
    bool queued = true;
    std::shared_ptr<trigger::Ticket> ticket;
    const bool pre = cur.event >= 0 && batch_generation == rules.generation;
    Status st = rules.dispatch(e, ticket, &queued, pre ? &matcher : nullptr,
                               static_cast<size_t>(cur.event));
    if (!st.ok()) {
      if (int rc = bad_event(where(), st, src.skip_bad); rc >= 0) {
        rules.drain();
        return rc;
      }
      continue;
    }
    if (!queued) break;
  }
  // At the end: every queued action runs to its end first; a stop signal
  // cuts them short instead.
  if (stop_requested()) rules.stop();
  const bool all_done = rules.drain();
  return !all_done || rules.failed() ? static_cast<int>(ExitCode::kTempFail) : 0;
}

// Runs the rules over a stream. The group advances past an event only once
// every matching rule's action for it succeeded or went to --dlq (--to:
// was acknowledged); events in flight wait in order.
int run_stream(RuleSet& rules, Consumer& consumer, Source& src, bool group) {
  MessageBatch batch;
  int64_t seen = 0;
  auto last_commit = std::chrono::steady_clock::now();
  Event e;
  int rc = 0;
  bool done = false;
  struct InFlight {
    OwnedMessage pos;  // stream, shard, seq, id: what mark_taken needs
    std::shared_ptr<trigger::Ticket> ticket;
  };
  std::deque<InFlight> in_flight;
  // Marks what is done, in order; stops at a failed event.
  auto advance = [&] {
    while (!in_flight.empty() && in_flight.front().ticket->pending.load() == 0) {
      if (in_flight.front().ticket->failed.load()) {
        if (rc == 0) {
          rc = static_cast<int>(ExitCode::kTempFail);
          if (!stop_requested()) {
            Event fe;
            fe.msg = in_flight.front().pos.view();
            warn(fe.where() + ": stopping; the group stays before this event");
          }
        }
        done = true;
        return;
      }
      consumer.mark_taken(in_flight.front().pos.view());
      in_flight.pop_front();
    }
  };
  while (!done && !stop_requested()) {
    rules.flush_output();
    rules.maybe_reload();
    advance();
    if (done) break;
    if (group && std::chrono::steady_clock::now() - last_commit > Millis(200)) {
      if (Status cst = consumer.commit(); !cst.ok()) return cli::fail(cst.With("commit"));
      last_commit = std::chrono::steady_clock::now();
    }
    Status st = consumer.poll(batch, Millis(100));
    if (st.is(StatusCode::kEndOfStream)) break;
    if (!st.ok()) {
      if (stop_requested()) break;
      rc = cli::fail(st);
      break;
    }
    for (const Message& m : batch.messages) {
      if (src.count >= 0 && seen >= src.count) {
        done = true;
        break;
      }
      ++seen;
      ++src.events;
      e.msg = m;
      auto ticket = std::make_shared<trigger::Ticket>();
      bool queued = true;
      Status dst = rules.dispatch(e, ticket, &queued);
      if (!dst.ok()) {
        if (int r = bad_event(e.where(), dst, src.skip_bad); r >= 0) {
          rc = r;
          done = true;
          break;
        }
      }
      if (!queued) {
        done = true;
        break;
      }
      Message pos;
      pos.stream = m.stream;
      pos.shard = m.shard;
      pos.seq = m.seq;
      pos.id = m.id;
      pos.ts_us = m.ts_us;
      in_flight.push_back({OwnedMessage(pos), std::move(ticket)});
      advance();
      if (done) break;
    }
    if (src.count >= 0 && seen >= src.count) done = true;
  }
  // The end (--exit, --count, a bad event): the actions queued run to their
  // end, unless one failed or a stop signal came.
  // A stop signal cuts the running actions short: the group stays before
  // the first event not done, so a restart runs it again.
  if (rc == 0 && !stop_requested()) rules.drain();
  if (stop_requested()) rules.stop();
  advance();
  if (group) {
    if (Status cst = consumer.commit(); !cst.ok() && rc == 0) rc = cli::fail(cst.With("commit"));
  }
  if (rc == 0 && !in_flight.empty()) rc = static_cast<int>(ExitCode::kTempFail);
  return rc;
}
}  // namespace

int main(int argc, char** argv) {
  set_program_name("trigger");
  cli::Args a;
  if (int rc = a.parse(tools::trigger::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;
  const std::string source = a.positionals().front();
  RuleSet rules;
  rules.ctx.strict = a.has("strict");
  rules.ctx.dry_run = a.has("dry-run");
  auto timeout = parse_duration_ms(a.value("timeout"));
  if (!timeout.ok()) return cli::fail(timeout.status().With("--timeout"));
  rules.ctx.producer_timeout = Millis(*timeout);

  std::vector<trigger::RuleSpec> specs;
  if (a.has("rules")) {
    // The per-rule flags belong in the file then.
    for (const char* flag : {"when", "exec", "webhook", "to", "dlq", "name", "template", "rate",
                             "retries", "retry-backoff", "exec-timeout", "webhook-timeout",
                             "webhook-header", "webhook-secret", "debounce"}) {
      if (a.has(flag)) {
        return cli::usage_error("--" + std::string(flag) +
                                " is a per-rule option: with --rules, set it in the file");
      }
    }
    rules.file = a.value("rules");
    rules.ctx.from_file = true;
    auto parsed = trigger::ParseRulesFile(rules.file);
    if (!parsed.ok()) return cli::fail(parsed.status());
    specs = std::move(*parsed);
  } else {
    if (!a.has("when")) return cli::usage_error("--when EXPR is required (or --rules FILE)");
    trigger::RuleSpec s;
    s.name = a.value("name");
    s.when = a.value("when");
    s.exec = a.value("exec");
    s.webhook = a.value("webhook");
    s.to = a.value("to");
    s.dlq = a.value("dlq");
    s.webhook_headers = a.values("webhook-header");
    s.method = a.value("method");
    s.secret = a.value("webhook-secret");
    if (a.has("template")) s.body_template = a.value("template");
    if (!a.integer("retries", 8, &s.retries, &rc)) return rc;
    s.retry_backoff = a.value("retry-backoff");
    s.exec_timeout = a.value("exec-timeout");
    s.webhook_timeout = a.value("webhook-timeout");
    s.rate = a.value("rate");
    s.debounce = a.value("debounce");
    if (!a.integer("max-in-flight", 1, &s.max_in_flight, &rc)) return rc;
    specs.push_back(std::move(s));
  }
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
  // --dry-run prints every match: large writes (stdio's default is a
  // syscall per 4 KiB); flush_output() still flushes whenever the source
  // has nothing at hand. A terminal keeps its line buffering.
  // (glibc ignores the size without a buffer; a static array outlives the
  // flush at exit, which runs after the destructors.)
  static char out_buffer[1 << 20];
  if (rules.ctx.dry_run && !isatty(1)) setvbuf(stdout, out_buffer, _IOFBF, sizeof out_buffer);
  {
    auto built = trigger::CreateRules(specs, rules.ctx);
    if (!built.ok()) {
      const Status& st = built.status();
      if (rules.ctx.from_file) return cli::fail(st.With("--rules " + rules.file));
      // A bad flag value is a usage error; the rest (a filter that does not
      // compile, an unreachable --to) says what it is.
      if (st.is(StatusCode::kInvalidArgument) && st.message().rfind("--when", 0) != 0) {
        return cli::usage_error(st.message());
      }
      return cli::fail(st);
    }
    rules.rules = std::move(*built);
  }
  rules.halt_on_failure = !from_stdin;
  {
    int64_t q = 0;
    if (!a.integer("queue-size", 1024, &q, &rc)) return rc;
    if (q < 1) return cli::usage_error("--queue-size: expected 1 or more");
    rules.queue_size = static_cast<size_t>(q);
  }
  if (Status st = rules.start(); !st.ok()) return cli::fail(st);
  if (!rules.file.empty()) {
    // SIGHUP reloads the rules instead of stopping.
    struct sigaction sa = {};
    sa.sa_handler = on_hup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: a waiting poll() returns and the loop reloads
    sigaction(SIGHUP, &sa, nullptr);
  }

  if (from_stdin) {
    // Non-blocking (as flux reads it), so that trigger knows when no input
    // is at hand and flushes --dry-run's output then; a file stays blocking.
    struct stat in_stat;
    const int flags = fcntl(0, F_GETFL);
    const bool nonblock = fstat(0, &in_stat) == 0 && !S_ISREG(in_stat.st_mode) && flags >= 0;
    if (nonblock) fcntl(0, F_SETFL, flags | O_NONBLOCK);
    rc = run_stdin(rules, a.has("envelope"), src);
    if (nonblock) fcntl(0, F_SETFL, flags);
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
    if (src.count != 0) rc = run_stream(rules, **consumer, src, !co.group.empty());
  }
  rules.flush_output();
  if (a.has("stats")) {
    std::string line = "trigger: " + std::to_string(src.events) + " events";
    for (size_t i = 0; i < rules.size(); ++i) {
      const trigger::RuleStats s = rules.stats(i);
      line += "; rule '" + rules.at(i).name() + "': " + std::to_string(s.matched) + " matched, " +
              std::to_string(s.fired) + " fired, " + std::to_string(s.failed) + " failed, " +
              std::to_string(s.retried) + " retried, " + std::to_string(s.dead_lettered) +
              " dead-lettered";
    }
    fprintf(stderr, "%s\n", line.c_str());
  }
  return rc;
}
