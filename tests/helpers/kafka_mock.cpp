// kafka_mock: a librdkafka mock cluster on loopback, for tests, benchmarks
// and a Kafka demo without a broker.
//
//   kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...
//
// Prints the bootstrap address ("127.0.0.1:P1,127.0.0.1:P2,...") as the first
// line of stdout, then reads commands from stdin, one a line, answering each
// with "ok ..." or "error ..." on stdout:
//   down BROKER_ID   the broker drops its connections and refuses new ones
//   up BROKER_ID     it accepts connections again
//   missing TOPIC PARTITIONS
//                    TOPIC is there to no client: Metadata answers
//                    UNKNOWN_TOPIC_OR_PART for it, so a consumer sees a
//                    topic that does not exist yet
//   create TOPIC     TOPIC (made missing before) appears, with the
//                    partitions named then
//   commit GROUP TOPIC PARTITION OFFSET
//                    GROUP's committed offset of the partition becomes
//                    OFFSET (a reset, as kafka-consumer-groups
//                    --reset-offsets does; the group must have no live
//                    member)
//   quit             exit
// Answers echo the command ("ok missing t 2", "ok create t").
//
// Why "missing" takes the partitions: the mock creates any topic a client
// asks about (its Metadata handler auto-creates unknown topics, whatever
// the client's allow.auto.create.topics says), so a topic cannot simply be
// left out. Instead "missing" creates it and sets a topic error
// (rd_kafka_mock_topic_set_error) that Metadata reports; "create" clears
// it. The error only affects Metadata: Produce and Fetch would still work on
// a client that guessed the partitions, which no sluice client does.
// Exits on quit, end of stdin, SIGTERM or SIGINT. Keep stdin open (a FIFO
// held by the test, or `sleep infinity |`) while the cluster is needed.
//
// Limits of the mock (librdkafka 2.0.2): ~5 MiB or 100k message sets kept
// per partition, no offsets-by-time, no group listing, no CreateTopics.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

volatile sig_atomic_t g_stop = 0;
void on_signal(int) {
  g_stop = 1;
}

int usage(const char* why) {
  fprintf(stderr, "kafka_mock: %s\nusage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n",
          why);
  return 64;
}

bool parse_int(const char* s, int* out) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || *end != '\0' || v < 0 || v > 100000) return false;
  *out = static_cast<int>(v);
  return true;
}

// Commits `offset` for `group` on one partition through a client of the
// cluster at `bootstraps`; "" on success, else why not.
std::string commit_offset(const char* bootstraps, const char* group, const char* topic,
                          int partition, long long offset) {
  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstraps, errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr)) {
    rd_kafka_conf_destroy(conf);
    return errstr;
  }
  rd_kafka_t* c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
  if (c == nullptr) return errstr;
  rd_kafka_topic_partition_list_t* l = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(l, topic, partition)->offset = offset;
  rd_kafka_resp_err_t err = rd_kafka_commit(c, l, 0);  // synchronous
  rd_kafka_topic_partition_list_destroy(l);
  rd_kafka_consumer_close(c);
  rd_kafka_destroy(c);
  return err ? rd_kafka_err2str(err) : "";
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 1;
  std::vector<std::pair<std::string, int>> topics;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if ((a == "--brokers" || a == "-b") && i + 1 < argc) {
      if (!parse_int(argv[++i], &brokers) || brokers < 1)
        return usage("--brokers needs a positive number");
    } else if ((a == "--topic" || a == "-t") && i + 1 < argc) {
      std::string t = argv[++i];
      size_t colon = t.rfind(':');
      int parts = 1;
      if (colon != std::string::npos) {
        if (!parse_int(t.c_str() + colon + 1, &parts) || parts < 1) {
          return usage(("--topic '" + t + "': expected NAME:PARTITIONS").c_str());
        }
        t.resize(colon);
      }
      if (t.empty()) return usage("--topic needs a name");
      topics.emplace_back(t, parts);
    } else if (a == "-h" || a == "--help") {
      printf("usage: kafka_mock [--brokers N] [--topic NAME:PARTITIONS]...\n");
      return 0;
    } else {
      return usage(("unknown argument '" + a + "'").c_str());
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  char errstr[256];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The handle only hosts the cluster; keep its own logging quiet.
  rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == nullptr) {
    fprintf(stderr, "kafka_mock: cannot create a kafka handle: %s\n", errstr);
    return 70;
  }
  rd_kafka_mock_cluster_t* mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (mc == nullptr) {
    fprintf(stderr, "kafka_mock: cannot start the mock cluster\n");
    rd_kafka_destroy(rk);
    return 70;
  }
  for (const auto& [name, parts] : topics) {
    rd_kafka_resp_err_t err =
        rd_kafka_mock_topic_create(mc, name.c_str(), parts, std::min(brokers, 3));
    if (err) {
      fprintf(stderr, "kafka_mock: cannot create topic '%s': %s\n", name.c_str(),
              rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(mc);
      rd_kafka_destroy(rk);
      return 70;
    }
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);

  std::string line;
  int rc = 0;
  while (!g_stop) {
    struct pollfd p = {0, POLLIN, 0};
    int n = poll(&p, 1, 200);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0) continue;
    char buf[256];
    ssize_t got = read(0, buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;  // end of stdin: the test is done with us
    line.append(buf, static_cast<size_t>(got));
    size_t nl;
    bool quit = false;
    while ((nl = line.find('\n')) != std::string::npos) {
      std::string cmd = line.substr(0, nl);
      line.erase(0, nl + 1);
      char verb[16] = {0};
      int id = -1;
      int fields = sscanf(cmd.c_str(), "%15s %d", verb, &id);
      if (fields >= 1 && strcmp(verb, "quit") == 0) {
        quit = true;
        break;
      }
      char topic[256] = {0};
      int parts = 0;
      if (fields >= 1 && strcmp(verb, "missing") == 0) {
        if (sscanf(cmd.c_str(), "%*15s %255s %d", topic, &parts) != 2 || parts < 1) {
          printf("error %s: expected missing TOPIC PARTITIONS\n", cmd.c_str());
        } else {
          rd_kafka_resp_err_t err =
              rd_kafka_mock_topic_create(mc, topic, parts, std::min(brokers, 3));
          if (err) {
            printf("error %s: %s\n", cmd.c_str(), rd_kafka_err2str(err));
          } else {
            rd_kafka_mock_topic_set_error(mc, topic, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
            printf("ok %s\n", cmd.c_str());
          }
        }
      } else if (fields >= 1 && strcmp(verb, "create") == 0) {
        if (sscanf(cmd.c_str(), "%*15s %255s", topic) != 1) {
          printf("error %s: expected create TOPIC\n", cmd.c_str());
        } else {
          rd_kafka_mock_topic_set_error(mc, topic, RD_KAFKA_RESP_ERR_NO_ERROR);
          printf("ok %s\n", cmd.c_str());
        }
      } else if (fields >= 1 && strcmp(verb, "commit") == 0) {
        char group[256] = {0};
        long long offset = -1;
        if (sscanf(cmd.c_str(), "%*15s %255s %255s %d %lld", group, topic, &parts, &offset) != 4) {
          printf("error %s: expected commit GROUP TOPIC PARTITION OFFSET\n", cmd.c_str());
        } else {
          std::string err =
              commit_offset(rd_kafka_mock_cluster_bootstraps(mc), group, topic, parts, offset);
          if (err.empty()) {
            printf("ok %s\n", cmd.c_str());
          } else {
            printf("error %s: %s\n", cmd.c_str(), err.c_str());
          }
        }
      } else if (fields == 2 && (strcmp(verb, "down") == 0 || strcmp(verb, "up") == 0)) {
        rd_kafka_resp_err_t err = strcmp(verb, "down") == 0 ? rd_kafka_mock_broker_set_down(mc, id)
                                                            : rd_kafka_mock_broker_set_up(mc, id);
        if (err)
          printf("error %s %d: %s\n", verb, id, rd_kafka_err2str(err));
        else
          printf("ok %s %d\n", verb, id);
      } else if (!cmd.empty()) {
        printf(
            "error unknown command '%s' (expected down ID, up ID, missing "
            "TOPIC PARTITIONS, create TOPIC, commit GROUP TOPIC PARTITION OFFSET "
            "or quit)\n",
            cmd.c_str());
      }
      fflush(stdout);
    }
    if (quit) break;
  }
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return rc;
}
