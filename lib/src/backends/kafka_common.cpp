// Pieces shared by the Kafka producer, consumer and admin: property building,
// secret masking, error mapping, handle creation and the connectivity check.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <random>
#include <string>

#include "backends/kafka_backend.h"

namespace sluice::kafka {

// ----------------------------------------------------------------- tickets

uint64_t TicketWatermark::issue() {
  if (outstanding() + 1 > ring_.size()) grow();
  size_t idx = (head_ + outstanding()) & (ring_.size() - 1);
  ring_[idx] = 0;
  return next_++;
}

bool TicketWatermark::finish(uint64_t ticket) {
  if (ticket <= acked_ || ticket >= next_) return false;
  const size_t mask = ring_.size() - 1;
  uint8_t& flag = ring_[(head_ + (ticket - acked_ - 1)) & mask];
  if (flag) return false;
  flag = 1;
  while (acked_ + 1 < next_ && ring_[head_]) {
    ring_[head_] = 0;
    head_ = (head_ + 1) & mask;
    ++acked_;
  }
  return true;
}

void TicketWatermark::grow() {
  // Power-of-two sizes keep the index a mask; unwrap into the new ring.
  const size_t old = ring_.size();
  std::vector<uint8_t> bigger(old == 0 ? 1024 : old * 2, 0);
  for (size_t i = 0; i < outstanding(); ++i) {
    bigger[i] = ring_[(head_ + i) & (old - 1)];
  }
  ring_.swap(bigger);
  head_ = 0;
}

// ------------------------------------------------------------- properties

Properties default_properties(Role role) {
  Properties p;
  switch (role) {
    case Role::kProducer:
      p.insert(p.end(), {
                            {"acks", "all"},
                            {"enable.idempotence", "true"},
                            // Throughput: fill big batches (by bytes; more messages per
                            // batch measured no faster on the mock and cost RSS), wait a
                            // little for them, and let a burst queue up instead of blocking.
                            {"linger.ms", "5"},
                            {"batch.num.messages", "10000"},
                            {"batch.size", "1000000"},
                            {"queue.buffering.max.messages", "1000000"},
                            {"queue.buffering.max.kbytes", "1048576"},
                            // The Java client's partitioner, so keys land where other
                            // clients put them.
                            {"partitioner", "murmur2_random"},
                        });
      break;
    case Role::kConsumer:
      p.insert(p.end(), {
                            {"enable.auto.commit", "false"},
                            {"enable.auto.offset.store", "false"},
                            {"enable.partition.eof", "true"},
                            // Notice new data (and the end of a partition) sooner than the
                            // 500 ms default.
                            {"fetch.wait.max.ms", "100"},
                        });
      break;
    case Role::kAdmin:
      break;
  }
  return p;
}

Properties env_properties(const char* const* envp) {
  Properties out;
  static constexpr std::string_view kPrefix = "SLUICE_KAFKA_";
  for (; envp != nullptr && *envp != nullptr; ++envp) {
    std::string_view var(*envp);
    if (var.substr(0, kPrefix.size()) != kPrefix) continue;
    size_t eq = var.find('=');
    if (eq == std::string_view::npos || eq == kPrefix.size()) continue;
    std::string name(var.substr(kPrefix.size(), eq - kPrefix.size()));
    for (char& c : name) {
      c = c == '_' ? '.' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    out.emplace_back(std::move(name), std::string(var.substr(eq + 1)));
  }
  return out;
}

Properties build_properties(const StreamUri& uri, Role role, const Properties& env,
                            const Properties& extra) {
  Properties p = default_properties(role);
  std::string servers;
  for (const std::string& h : uri.hosts) {
    if (!servers.empty()) servers += ',';
    servers += h;
  }
  p.emplace_back("bootstrap.servers", servers);
  p.insert(p.end(), env.begin(), env.end());
  p.insert(p.end(), uri.params.begin(), uri.params.end());
  p.insert(p.end(), extra.begin(), extra.end());
  // Keep one entry per name (the last one wins) so the list reads as the
  // effective configuration.
  Properties out;
  for (auto it = p.rbegin(); it != p.rend(); ++it) {
    bool seen =
        std::any_of(out.begin(), out.end(), [&](const auto& e) { return e.first == it->first; });
    if (!seen) out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Properties consumer_identity(const ConsumerOptions& o) {
  Properties out;
  if (!o.group.empty()) {
    out.emplace_back("group.id", o.group);
  } else {
    // assign() needs a group handle even though nothing is ever joined or
    // committed; the name is private to this process.
    std::random_device rd;
    out.emplace_back("group.id",
                     "sluice-tap-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  }
  if (!o.consumer.empty()) out.emplace_back("client.id", o.consumer);
  return out;
}

bool is_secret_property(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower.find("password") != std::string::npos || lower.find("secret") != std::string::npos ||
         lower == "sasl.oauthbearer.config" || lower == "ssl.key.pem" || lower == "ssl_key" ||
         lower == "ssl.keystore.password";
}

std::vector<std::string> secret_values(const Properties& props) {
  std::vector<std::string> out;
  for (const auto& [name, value] : props) {
    if (is_secret_property(name) && !value.empty()) out.push_back(value);
  }
  // Longest first, so a secret containing another is masked whole.
  std::sort(out.begin(), out.end(),
            [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
  return out;
}

std::string mask_secrets(std::string_view text, const std::vector<std::string>& secrets) {
  std::string out(text);
  for (const std::string& s : secrets) {
    if (s.empty()) continue;
    size_t at = 0;
    while ((at = out.find(s, at)) != std::string::npos) {
      out.replace(at, s.size(), "***");
      at += 3;
    }
  }
  return out;
}

// ------------------------------------------------------- start positions

int64_t start_offset(const StartPosition& from, int64_t low, int64_t high, int64_t time_offset) {
  if (high < low) high = low;
  switch (from.kind) {
    case StartPosition::Kind::kBeginning:
      return low;
    case StartPosition::Kind::kEnd:
      return high;
    case StartPosition::Kind::kSeq:
      return std::clamp<int64_t>(from.value, low, high);
    case StartPosition::Kind::kFromEnd:
      return from.value >= high - low ? low : high - from.value;
    case StartPosition::Kind::kTime:
      if (time_offset < 0) return high;
      return std::clamp<int64_t>(time_offset, low, high);
  }
  return high;
}

const char* auto_offset_reset(const StartPosition& from) {
  // An offset that fell out of retention restarts at the oldest message for
  // every position but "end": losing data silently is worse than repeating.
  return from.kind == StartPosition::Kind::kEnd ? "latest" : "earliest";
}

// ---------------------------------------------------------------- context

void KafkaContext::on_log(int level, const char* fac, const char* buf) {
  // syslog levels: 0 emerg .. 4 warning .. 7 debug.
  if (level > 4 || quiet_) return;
  std::string line = "kafka: ";
  line += fac != nullptr ? fac : "";
  line += ": ";
  line += buf != nullptr ? buf : "";
  warn(mask(line));
}

void KafkaContext::on_error(int err, const char* reason) {
  std::string why =
      mask(reason != nullptr ? reason : rd_kafka_err2str(static_cast<rd_kafka_resp_err_t>(err)));
  const bool auth = err == RD_KAFKA_RESP_ERR__AUTHENTICATION ||
                    err == RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED;
  if (auth) auth_failed_ = true;
  if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
    all_down_ = true;
  } else if (err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__RESOLVE) {
    // A non-connection error: say it once it is not only connection noise.
    if (!quiet_ && err == RD_KAFKA_RESP_ERR__FATAL) warn("kafka: fatal error: " + why);
  }
  std::lock_guard<std::mutex> lock(mu_);
  // Keep the most telling reason: a transport error says why a broker is
  // down; "all brokers are down" alone does not, and a refused login says
  // more than the disconnect that follows it.
  if (auth_failed_ && !auth) return;
  if (err != RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN || last_error_.empty()) {
    last_error_ = why;
  }
}

std::string KafkaContext::brokers() const {
  std::string s;
  for (const std::string& h : uri_.hosts) {
    if (!s.empty()) s += ',';
    s += h;
  }
  return s;
}

std::string KafkaContext::last_error() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_error_;
}

Status KafkaContext::unreachable(std::string_view why) const {
  if (auth_failed_) {
    return Status::PermissionDenied("kafka broker '" + brokers() +
                                    "' refused the login: " + std::string(why) +
                                    " (check sasl.mechanism, sasl.username and sasl.password, or "
                                    "SLUICE_KAFKA_SASL_USERNAME/SLUICE_KAFKA_SASL_PASSWORD)");
  }
  std::string m =
      uri_.hosts.size() > 1 ? "cannot reach kafka brokers '" : "cannot reach kafka broker '";
  m += brokers();
  m += "': ";
  m += why.empty() ? std::string_view("no answer") : why;
  m += " (is it running?)";
  return Status::Unavailable(std::move(m));
}

// ---------------------------------------------------------------- handles

namespace {

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  auto* ctx = static_cast<KafkaContext*>(rd_kafka_opaque(rk));
  if (ctx == nullptr) return;
  try {
    ctx->on_log(level, fac, buf);
  } catch (...) {  // never let an exception into librdkafka
  }
}

void error_cb(rd_kafka_t*, int err, const char* reason, void* opaque) {
  auto* ctx = static_cast<KafkaContext*>(opaque);
  if (ctx == nullptr) return;
  try {
    ctx->on_error(err, reason);
  } catch (...) {
  }
}

}  // namespace

Result<HandlePtr> make_handle(rd_kafka_type_t type, const Properties& props, KafkaContext* ctx,
                              void (*customize)(rd_kafka_conf_t*, void*), void* customize_arg) {
  ConfPtr conf(rd_kafka_conf_new());
  char errstr[512];
  for (const auto& [name, value] : props) {
    errstr[0] = '\0';
    rd_kafka_conf_res_t r =
        rd_kafka_conf_set(conf.get(), name.c_str(), value.c_str(), errstr, sizeof errstr);
    if (r == RD_KAFKA_CONF_UNKNOWN) {
      return Status::Config("unknown kafka property '" + name +
                            "' (see librdkafka's CONFIGURATION.md for the "
                            "property names)");
    }
    if (r != RD_KAFKA_CONF_OK) {
      std::string shown = is_secret_property(name) ? "***" : value;
      return Status::Config("invalid value '" + shown + "' for kafka property '" + name +
                            "': " + ctx->mask(errstr));
    }
  }
  rd_kafka_conf_set_opaque(conf.get(), ctx);
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  if (customize != nullptr) customize(conf.get(), customize_arg);
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), errstr, sizeof errstr);
  if (rk == nullptr) {
    // Most causes are conflicting or incomplete settings (e.g. idempotence
    // with acks=1, SASL without a mechanism).
    return Status::Config("cannot configure the kafka client: " + ctx->mask(errstr));
  }
  (void)conf.release();  // rd_kafka_new took ownership
  return HandlePtr(rk);
}

Result<MetadataPtr> wait_for_metadata(rd_kafka_t* rk, KafkaContext& ctx,
                                      rd_kafka_topic_t* only_topic, bool all_topics,
                                      Millis timeout) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + timeout;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  for (;;) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    // Short slices: a refused connection shows up at once as "all brokers
    // down" and should not cost the whole timeout.
    int slice = static_cast<int>(std::clamp<int64_t>(left.count(), 1, 250));
    const rd_kafka_metadata_t* md = nullptr;
    err = rd_kafka_metadata(rk, all_topics ? 1 : 0, only_topic, &md, slice);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return MetadataPtr(md);
    rd_kafka_poll(rk, 0);  // serves error_cb
    if (ctx.all_brokers_down()) return ctx.unreachable(ctx.last_error());
    if (err != RD_KAFKA_RESP_ERR__TIMED_OUT && err != RD_KAFKA_RESP_ERR__TRANSPORT) {
      return status_from(err, "cannot read kafka metadata from '" + ctx.brokers() + "'");
    }
    if (Clock::now() >= deadline) break;
  }
  std::string why = ctx.last_error();
  if (why.empty()) {
    why = "no answer within " + std::to_string(timeout.count()) + " ms";
  }
  return ctx.unreachable(why);
}

Status status_from(rd_kafka_resp_err_t err, std::string_view context) {
  std::string m(context);
  if (!m.empty()) m += ": ";
  std::string text = rd_kafka_err2str(err);
  // librdkafka capitalises ("Local: Broker transport failure"); sluice
  // messages are lowercase.
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  m += text;
  switch (err) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return Status::Unavailable(std::move(m));
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
      return Status::TimedOut(std::move(m));
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
      return Status::NotFound(std::move(m));
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
      return Status::PermissionDenied(std::move(m));
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
      return Status::BadData(std::move(m));
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return Status::InvalidArgument(std::move(m));
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
      return Status::TryAgain(std::move(m));
    default:
      return Status::Internal(std::move(m));
  }
}

bool is_valid_topic_name(std::string_view name) {
  if (name.empty() || name.size() > 249 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
  });
}

}  // namespace sluice::kafka
