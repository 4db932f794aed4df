// trigger's rules: building them from flags or a rules file, and running
// one rule's action with retries, backoff, rate and dead letters.
#include <poll.h>
#include <simdjson.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "sluice/command.h"
#include "sluice/signals.h"
#include "sluice/trigger.h"
#include "sluice/units.h"
#include "sluice/uri.h"

namespace sluice::trigger {
namespace {

std::string attempts_text(int64_t n) {
  return std::to_string(n) + (n == 1 ? " attempt" : " attempts");
}

// --rate N/s|m|h: the interval between fires, or 0 when malformed.
int64_t rate_interval_us(const std::string& spec) {
  const size_t slash = spec.find('/');
  const std::string unit = slash == std::string::npos ? "" : spec.substr(slash + 1);
  const int64_t unit_us = unit == "s"   ? 1000000
                          : unit == "m" ? 60000000
                          : unit == "h" ? 3600000000
                                        : 0;
  int64_t n = 0;
  try {
    size_t used = 0;
    n = std::stoll(spec.substr(0, slash), &used);
    if (used != slash) n = 0;
  } catch (...) {
    n = 0;
  }
  if (n <= 0 || unit_us == 0) return 0;
  return unit_us / n;
}

}  // namespace

std::string Event::id() const {
  if (!msg.stream.empty() && msg.seq >= 0) {
    return std::string(msg.stream) + "/" + std::to_string(std::max(msg.shard, 0)) + "/" +
           std::to_string(msg.seq);
  }
  return "stdin/" + std::to_string(line);
}

std::string Event::where() const {
  return line > 0 ? "stdin line " + std::to_string(line) : "event " + id();
}

struct Rule::Attempt {
  bool ok = false;
  bool retry = true;  // false: retrying cannot help
  std::string error;
  Millis retry_after{-1};  // the endpoint's wish, -1: none
};

Rule::~Rule() = default;

void Rule::share_with(const Rule& first) {
  shared_ = first.shared_;
  if (webhook_ && first.webhook_) webhook_->share_connections_with(*first.webhook_);
}

Result<std::unique_ptr<Rule>> Rule::Create(const RuleSpec& spec, const RuleContext& ctx) {
  // A field as the user wrote it: "--retry-backoff" or "retry_backoff".
  auto field = [&](std::string name) {
    if (ctx.from_file) {
      std::replace(name.begin(), name.end(), '-', '_');
      return name;
    }
    return "--" + name;
  };
  auto bad = [](std::string m) { return Status::InvalidArgument(std::move(m)); };
  std::unique_ptr<Rule> r(new Rule());
  r->spec_ = spec;
  r->dry_run_ = ctx.dry_run;
  if (spec.when.empty()) return bad(field("when") + " EXPR is required");
  auto f = filter::Filter::Compile(spec.when);
  if (!f.ok()) return f.status().With(field("when"));
  r->filter_.emplace(std::move(*f));
  r->eval_.emplace(filter::Evaluator::Options{ctx.strict});
  r->strict_ = ctx.strict;
  if (!spec.rate.empty()) {
    const int64_t us = rate_interval_us(spec.rate);
    if (us == 0) {
      return bad(field("rate") + " '" + spec.rate + "': expected N/s, N/m or N/h with N above 0");
    }
    r->rate_interval_ = std::chrono::microseconds(us);
  }
  const bool has_exec = !spec.exec.empty(), has_webhook = !spec.webhook.empty(),
             has_to = !spec.to.empty();
  if (spec.body_template) {
    if (!has_webhook && !has_to) {
      return bad(field("template") + " needs " + field("webhook") + " or " + field("to"));
    }
    auto t = OutputFormat::Parse(*spec.body_template);
    if (!t.ok()) return t.status().With(field("template"));
    r->body_template_ = std::move(*t);
  }
  const int actions = (has_exec ? 1 : 0) + (has_to ? 1 : 0) + (has_webhook ? 1 : 0);
  if (actions > 1) {
    return bad("one action: " + field("exec") + ", " + field("webhook") + " or " + field("to"));
  }
  if (actions == 0 && !ctx.dry_run) {
    return bad("an action is required: " + field("exec") + ", " + field("webhook") + " or " +
               field("to"));
  }
  if (has_webhook) {
    WebhookOptions wo;
    wo.url = spec.webhook;
    wo.method = spec.method;
    for (const std::string& h : spec.webhook_headers) {
      if (h.find(':') == std::string::npos || h.front() == ':') {
        return bad(field("webhook-header") + " '" + h + "': expected NAME:VALUE");
      }
      wo.headers.push_back(h);
    }
    wo.secret = spec.secret;
    auto wt = parse_duration_ms(spec.webhook_timeout);
    if (!wt.ok() || *wt <= 0) {
      return bad(field("webhook-timeout") + " '" + spec.webhook_timeout +
                 "': expected a duration above 0, such as 10s");
    }
    wo.timeout = Millis(*wt);
    Rule* self = r.get();  // the client lives no longer than its rule
    wo.stop = [self] { return self->stopping(); };
    auto w = WebhookClient::Create(std::move(wo));
    if (!w.ok()) {
      return w.status().With(spec.secret.empty() ? field("webhook") : field("webhook-secret"));
    }
    r->webhook_ = std::move(*w);
  }
  if (spec.retries < 0) return bad(field("retries") + ": expected 0 or more");
  {
    const std::string& s = spec.retry_backoff;
    const size_t comma = s.find(',');
    auto lo = parse_duration_ms(s.substr(0, comma));
    auto hi = comma == std::string::npos ? lo : parse_duration_ms(s.substr(comma + 1));
    if (!lo.ok() || !hi.ok() || *lo <= 0 || *hi < *lo) {
      return bad(field("retry-backoff") + " '" + s +
                 "': expected MIN[,MAX], durations above 0 such as 1s,10m");
    }
    r->backoff_min_ = Millis(*lo);
    r->backoff_max_ = Millis(*hi);
  }
  if (spec.max_in_flight < 1) return bad(field("max-in-flight") + ": expected 1 or more");
  if (!spec.debounce.empty()) {
    auto d = parse_duration_ms(spec.debounce);
    if (!d.ok() || *d <= 0) {
      return bad(field("debounce") + " '" + spec.debounce +
                 "': expected a duration above 0, such as 5s");
    }
    if (ctx.dry_run) return bad(field("debounce") + " does not go with --dry-run");
    r->debounce_ = Millis(*d);
  }
  auto et = parse_duration_ms(spec.exec_timeout);
  if (!et.ok()) return et.status().With(field("exec-timeout"));
  r->exec_timeout_ = Millis(*et);
  if (!ctx.dry_run) {
    ProducerOptions po;
    po.timeout = ctx.producer_timeout;
    for (const bool is_to : {true, false}) {
      const std::string& target = is_to ? spec.to : spec.dlq;
      if (target.empty()) continue;
      const std::string name = field(is_to ? "to" : "dlq");
      auto uri = parse_stream_uri(target);
      if (!uri.ok()) return uri.status().With(name);
      auto p = open_producer(*uri, po);
      if (!p.ok()) return p.status().With(name);
      (is_to ? r->to_ : r->dlq_) = std::move(*p);
    }
  }
  return r;
}

Result<bool> Rule::matches(const Event& e) {
  Result<bool> m = evaluate(e, false);
  count(m);
  return m;
}

Result<bool> Rule::evaluate(const Event& e, bool worker) {
  filter::Evaluator* ev = &*eval_;
  if (worker) {
    if (!worker_eval_) worker_eval_.emplace(filter::Evaluator::Options{strict_});
    ev = &*worker_eval_;
  }
  return ev->matches(*filter_, e.msg.payload, filter::EventMeta::Of(e.msg), e.slack);
}

void Rule::count(const Result<bool>& m) {
  ++stats_.events;
  if (m.ok() && *m) ++stats_.matched;
}

Outcome Rule::fire(const Event& e) {
  if (!dry_run_ && rate_interval_.count() > 0 && !pace()) return Outcome::kStopped;
  if (dry_run_) {
    std::string& line = dry_line_;
    line.assign(spec_.name);
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
      warn("rule '" + spec_.name + "': " + e.where() + ": --to: " + st.message());
      ++stats_.failed;
      return Outcome::kFailed;
    }
    ++stats_.fired;
    return Outcome::kDone;
  }
  return run_with_retries(e);
}

Status Rule::flush_to(Millis timeout) {
  if (!to_) return Status::Ok();
  Status st = to_->flush(timeout);
  if (!st.ok()) return st;
  if (to_->failed() > 0) return Status::TryAgain("records were refused");
  return Status::Ok();
}

void Rule::flush_output() {
  if (!dry_pending_) return;
  fflush(stdout);
  dry_pending_ = false;
}

// --rate: waits until the rule may fire again (evenly spaced fires, shared
// by the lanes); false when a stop signal came first.
bool Rule::pace() {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point now = Clock::now();
  Clock::time_point slot;
  {
    // Book the next free slot of the rule, over all its lanes.
    std::lock_guard<std::mutex> lock(shared_->rate_mu);
    slot = std::max(now, shared_->next_fire);
    shared_->next_fire = slot + rate_interval_;
  }
  if (slot > now && !sleep_for(std::max(std::chrono::ceil<Millis>(slot - now), Millis(1)))) {
    return false;
  }
  return true;
}

// Sleeps, waking for a stop signal or cancel() (then false), in slices so
// that cancel() from another thread is seen soon.
bool Rule::sleep_for(Millis d) {
  const auto until = std::chrono::steady_clock::now() + d;
  for (;;) {
    if (stopping()) return false;
    const auto left =
        std::chrono::duration_cast<Millis>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) return true;
    pollfd p{stop_fd(), POLLIN, 0};
    poll(&p, 1, static_cast<int>(std::min<int64_t>(left, 100)));
  }
}

// What --webhook sends and --to produces: the event, or --template of it.
std::optional<std::string_view> Rule::body(const Event& e) {
  if (!body_template_) return e.msg.payload;
  body_.clear();
  body_template_->render(e.msg, body_);
  return std::string_view(body_);
}

Rule::Attempt Rule::attempt_exec(const Event& e, int64_t attempt) {
  input_.assign(e.msg.payload.value_or(""));
  input_ += '\n';
  std::vector<std::string> env;
  if (e.msg.payload) append_event_env(*e.msg.payload, env);
  env.push_back("TRIGGER_EVENT_ID=" + e.id());
  env.push_back("TRIGGER_RULE=" + spec_.name);
  env.push_back("TRIGGER_ATTEMPT=" + std::to_string(attempt));
  CommandStop stop;
  stop.requested = [this] { return stopping(); };
  auto r = run_shell_command(spec_.exec, input_, env, exec_timeout_, &stop);
  Attempt a;
  a.ok = r.ok() && r->ok();
  if (!a.ok) a.error = r.ok() ? "--exec: " + r->describe(exec_timeout_) : r.status().message();
  return a;
}

Rule::Attempt Rule::attempt_webhook(const Event& e) {
  Attempt a;
  if (shared_->disabled.load()) {
    a.retry = false;
    a.error = "--webhook: disabled after 410 Gone from " + spec_.webhook;
    return a;
  }
  const WebhookResult r = webhook_->send(e.id(), body(e).value_or(""));
  a.ok = r.kind == WebhookResult::Kind::kDelivered;
  a.retry = r.kind == WebhookResult::Kind::kRetry;
  a.error = "--webhook: " + r.error;
  a.retry_after = r.retry_after;
  // One lane's 410 disables every lane of the rule; the first says so.
  if (r.kind == WebhookResult::Kind::kGone && !shared_->disabled.exchange(true)) {
    fprintf(stderr,
            "%s: rule '%s': %s answered 410 Gone: the rule is DISABLED; its matching "
            "events from now on fail (or go to --dlq) without a request\n",
            program_name().c_str(), spec_.name.c_str(), spec_.webhook.c_str());
  }
  return a;
}

Outcome Rule::run_with_retries(const Event& e) {
  std::string last_error;
  int64_t attempt = 0;
  Millis wait = backoff_min_;
  for (;;) {
    ++attempt;
    const Attempt a = webhook_ ? attempt_webhook(e) : attempt_exec(e, attempt);
    if (a.ok) {
      ++stats_.fired;
      return Outcome::kDone;
    }
    last_error = a.error;
    if (!a.retry || attempt > spec_.retries || stopping()) break;
    ++stats_.retried;
    // Equal jitter: half the wait, plus up to the other half at random; a
    // Retry-After from the endpoint wins.
    const int64_t half = wait.count() / 2;
    std::uniform_int_distribution<int64_t> jitter(0, half);
    const Millis sleep = a.retry_after.count() >= 0 ? a.retry_after : Millis(half + jitter(rng_));
    warn("rule '" + spec_.name + "': " + e.where() + ": " + last_error + " (attempt " +
         std::to_string(attempt) + "; retrying in " + std::to_string(sleep.count()) + " ms" +
         (a.retry_after.count() >= 0 ? ", as Retry-After asks)" : ")"));
    if (!sleep_for(sleep)) break;
    wait = std::min(backoff_max_, wait * 2);
  }
  if (stopping()) return Outcome::kStopped;
  if (dlq_) {
    std::vector<Header> headers(e.msg.headers.begin(), e.msg.headers.end());
    const std::string id = e.id();
    const std::string attempts = std::to_string(attempt);
    headers.push_back({"trigger-rule", spec_.name});
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
      warn("rule '" + spec_.name + "': " + e.where() + ": " + last_error + " after " +
           attempts_text(attempt) + ": sent to the dead-letter stream");
      ++stats_.dead_lettered;
      return Outcome::kDone;
    }
    warn("rule '" + spec_.name + "': " + e.where() +
         ": --dlq: " + (st.ok() ? std::string("refused the record") : st.message()));
  }
  warn("rule '" + spec_.name + "': " + e.where() + ": " + last_error + " after " +
       attempts_text(attempt) + ": failed");
  ++stats_.failed;
  return Outcome::kFailed;
}

// ---- rules files ----

Result<std::vector<RuleSpec>> ParseRulesFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FromErrno(errno, path).With("--rules");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  auto cfg = [&](const std::string& m) { return Status::Config("--rules " + path + ": " + m); };
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (auto err = parser.parse(text).get(doc); err != simdjson::SUCCESS) {
    return cfg(std::string("not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::array rules;
  if (doc.get_array().get(rules) != simdjson::SUCCESS) {
    return cfg("expected a JSON array of rules");
  }
  std::vector<RuleSpec> specs;
  std::set<std::string> names;
  size_t index = 0;
  for (simdjson::dom::element rule : rules) {
    ++index;
    std::string label = "rule " + std::to_string(index);
    simdjson::dom::object obj;
    if (rule.get_object().get(obj) != simdjson::SUCCESS) return cfg(label + ": expected an object");
    RuleSpec s;
    std::string_view name;
    if (obj["name"].get_string().get(name) != simdjson::SUCCESS || name.empty()) {
      return cfg(label + ": name: expected a non-empty string");
    }
    s.name = std::string(name);
    label += " ('" + s.name + "')";
    if (!names.insert(s.name).second) return cfg(label + ": name: used by an earlier rule");
    for (auto [key, value] : obj) {
      auto str = [&](std::string& out) -> Status {
        std::string_view v;
        if (value.get_string().get(v) != simdjson::SUCCESS) {
          return cfg(label + ": " + std::string(key) + ": expected a string");
        }
        out = std::string(v);
        return Status::Ok();
      };
      Status st;
      if (key == "name") continue;
      if (key == "when")
        st = str(s.when);
      else if (key == "exec")
        st = str(s.exec);
      else if (key == "webhook")
        st = str(s.webhook);
      else if (key == "to")
        st = str(s.to);
      else if (key == "dlq")
        st = str(s.dlq);
      else if (key == "method")
        st = str(s.method);
      else if (key == "secret" || key == "webhook_secret")
        st = str(s.secret);
      else if (key == "retry_backoff")
        st = str(s.retry_backoff);
      else if (key == "exec_timeout")
        st = str(s.exec_timeout);
      else if (key == "webhook_timeout")
        st = str(s.webhook_timeout);
      else if (key == "rate")
        st = str(s.rate);
      else if (key == "template") {
        std::string t;
        st = str(t);
        s.body_template = t;
      } else if (key == "max_in_flight") {
        int64_t n = 0;
        if (value.get_int64().get(n) != simdjson::SUCCESS || n < 1) {
          return cfg(label + ": max_in_flight: expected an integer, 1 or more");
        }
        s.max_in_flight = n;
      } else if (key == "retries") {
        int64_t n = 0;
        if (value.get_int64().get(n) != simdjson::SUCCESS || n < 0) {
          return cfg(label + ": retries: expected an integer, 0 or more");
        }
        s.retries = n;
      } else if (key == "webhook_header") {
        if (value.is_string()) {
          s.webhook_headers.emplace_back(std::string(value.get_string().value_unsafe()));
        } else if (value.is_array()) {
          const simdjson::dom::array list = value.get_array().value_unsafe();
          for (simdjson::dom::element h : list) {
            if (!h.is_string()) return cfg(label + ": webhook_header: expected strings");
            s.webhook_headers.emplace_back(std::string(h.get_string().value_unsafe()));
          }
        } else {
          return cfg(label + ": webhook_header: expected a string or an array of strings");
        }
      } else {
        return cfg(label + ": unknown field '" + std::string(key) + "'");
      }
      if (!st.ok()) return st;
    }
    if (s.when.empty()) return cfg(label + ": when: required");
    specs.push_back(std::move(s));
  }
  if (specs.empty()) return cfg("no rules");
  return specs;
}

Result<std::vector<std::unique_ptr<Rule>>> CreateRules(const std::vector<RuleSpec>& specs,
                                                       const RuleContext& ctx) {
  std::vector<std::unique_ptr<Rule>> rules;
  for (size_t i = 0; i < specs.size(); ++i) {
    auto r = Rule::Create(specs[i], ctx);
    if (!r.ok()) {
      if (!ctx.from_file) return r.status();
      return Status::Config("rule " + std::to_string(i + 1) + " ('" + specs[i].name +
                            "'): " + r.status().message());
    }
    rules.push_back(std::move(*r));
  }
  return rules;
}

}  // namespace sluice::trigger
