// ws_load: a WebSocket load generator for relay-ws tests and benchmarks
// (epoll, one thread; in its own process so the relay keeps its own
// open-files budget).
//
//   ws_load [--sse] HOST PORT CONNECTIONS TOPIC EXPECT [TIMEOUT_S] [READY_FILE]
//   ws_load --emit RATE COUNT
//
// Opens CONNECTIONS WebSocket connections to ws://HOST:PORT/, subscribes
// each to TOPIC (from the end), writes READY_FILE once every subscription
// is acknowledged, then waits until every connection got EXPECT data
// frames. Prints "connections N subscribed N complete N frames F" and
// exits 0 when complete == N, 1 otherwise (timeout, refused, closed).
//
// --sse: Server-Sent Events instead (GET /sse?topics=TOPIC): a stream
// counts as subscribed once the relay's 200 arrived, and each event whose
// data is a data frame as one frame.
//
// Delivery latency: a data frame whose value holds "t_ns":NANOS (the
// CLOCK_REALTIME time it was produced) counts as one sample, now - NANOS at
// the read that completed the frame; with samples, a second line
// "latency_us samples S p50 A p99 B max C" follows. A third line,
// "arrival_us ...", has the same from the kernel's receive timestamp of
// the read (SO_TIMESTAMPNS: when the newest segment read reached this
// socket) instead of the read's own time: the delivery without the time
// the frame waited in the socket for this one thread to come round.
//
// --emit writes COUNT JSON lines {"i":N,"t_ns":NANOS,"pad":...} to stdout,
// RATE lines a second (0: as fast as it can), each stamped as it is
// written: the producer side of the latency measurement (piped into flux).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

// Delivery latencies in microseconds, one per stamped data frame.
std::vector<uint32_t> g_latency_us;
std::vector<uint32_t> g_arrival_us;
int64_t g_now_ns = 0;     // the time of the current read
int64_t g_arrive_ns = 0;  // its kernel receive timestamp (0: none)

// The "t_ns" stamp in a data frame, or -1.
int64_t stamp_of(std::string_view payload) {
  const size_t at = payload.find("\"t_ns\":");
  if (at == std::string_view::npos) return -1;
  int64_t v = 0;
  size_t i = at + 7;
  if (i >= payload.size() || payload[i] < '0' || payload[i] > '9') return -1;
  for (; i < payload.size() && payload[i] >= '0' && payload[i] <= '9'; ++i) {
    v = v * 10 + (payload[i] - '0');
  }
  return v;
}

// ws_load --emit RATE COUNT: paced, stamped JSON lines on stdout.
int emit(double rate, long count) {
  const auto start = std::chrono::steady_clock::now();
  char line[160];
  for (long i = 0; i < count; ++i) {
    if (rate > 0) {
      const auto due = start + std::chrono::nanoseconds(static_cast<int64_t>(i * 1e9 / rate));
      std::this_thread::sleep_until(due);
    }
    const int n =
        snprintf(line, sizeof line, "{\"i\":%ld,\"t_ns\":%lld,\"pad\":\"0123456789abcdef\"}\n",
                 i + 1, static_cast<long long>(realtime_ns()));
    if (fwrite(line, 1, static_cast<size_t>(n), stdout) != static_cast<size_t>(n)) return 74;
    // Paced: each line goes out as it is stamped. Burst: stdio buffers.
    if (rate > 0 && fflush(stdout) != 0) return 74;
  }
  return fflush(stdout) == 0 ? 0 : 74;
}

void print_latency(const char* name, std::vector<uint32_t>& v) {
  if (v.empty()) return;
  auto at = [&v](double q) {
    const size_t k = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
  };
  const uint32_t p50 = at(0.50), p99 = at(0.99);
  const uint32_t mx = *std::max_element(v.begin(), v.end());
  printf("%s samples %zu p50 %u p99 %u max %u\n", name, v.size(), p50, p99, mx);
}

struct Conn {
  int fd = -1;
  enum { kHandshake, kOpen, kDead } state = kHandshake;
  std::string in;
  bool subscribed = false;
  long data = 0;
};

// A masked client text frame (mask 0: the XOR is the identity, allowed);
// payloads up to 64 KiB.
std::string text_frame(const std::string& payload) {
  std::string f;
  f.push_back(static_cast<char>(0x81));
  if (payload.size() < 126) {
    f.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(payload.size() >> 8));
    f.push_back(static_cast<char>(payload.size() & 0xff));
  }
  f.append(4, '\0');
  f.append(payload);
  return f;
}

bool send_all(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = write(fd, s.data() + off, s.size() - off);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// The stamp of one data frame that arrived now.
void sample(std::string_view payload) {
  const int64_t t = stamp_of(payload);
  if (t <= 0) return;
  auto us = [t](int64_t at) {
    const int64_t d = std::max<int64_t>(0, (at - t) / 1000);
    return static_cast<uint32_t>(std::min<int64_t>(d, UINT32_MAX));
  };
  g_latency_us.push_back(us(g_now_ns));
  if (g_arrive_ns) g_arrival_us.push_back(us(g_arrive_ns));
}

// read(2) that also takes the kernel's receive timestamp of the newest
// segment read (SO_TIMESTAMPNS) into g_arrive_ns, when there is one.
ssize_t read_stamped(int fd, char* buf, size_t len) {
  iovec iov{buf, len};
  alignas(cmsghdr) char ctl[CMSG_SPACE(sizeof(timespec))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = ctl;
  msg.msg_controllen = sizeof ctl;
  const ssize_t r = recvmsg(fd, &msg, 0);
  for (cmsghdr* cm = CMSG_FIRSTHDR(&msg); r > 0 && cm; cm = CMSG_NXTHDR(&msg, cm)) {
    if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      memcpy(&ts, CMSG_DATA(cm), sizeof ts);
      g_arrive_ns = int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
    }
  }
  return r;
}

// Consumes whole events from c.in (SSE): an event with a data frame on its
// "data: " line counts; comments (keep-alive) and notices do not.
void parse_sse(Conn& c) {
  size_t pos = 0;
  for (;;) {
    const size_t end = c.in.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string_view event(c.in.data() + pos, end - pos);
    for (size_t at = 0; at < event.size();) {
      size_t nl = event.find('\n', at);
      if (nl == std::string_view::npos) nl = event.size();
      const std::string_view line = event.substr(at, nl - at);
      if (line.rfind("data: {\"topic\"", 0) == 0) {
        ++c.data;
        sample(line.substr(6));
      }
      at = nl + 1;
    }
    pos = end + 2;
  }
  c.in.erase(0, pos);
}

// Consumes whole frames from c.in; counts data and acknowledgement frames.
void parse(Conn& c) {
  size_t pos = 0;
  for (;;) {
    if (c.in.size() - pos < 2) break;
    const auto* b = reinterpret_cast<const unsigned char*>(c.in.data() + pos);
    const int op = b[0] & 0x0f;
    uint64_t len = b[1] & 0x7f;
    size_t hdr = 2;
    if (len == 126) {
      if (c.in.size() - pos < 4) break;
      len = (uint64_t{b[2]} << 8) | b[3];
      hdr = 4;
    } else if (len == 127) {
      if (c.in.size() - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[2 + i];
      hdr = 10;
    }
    if (c.in.size() - pos < hdr + len) break;
    const std::string_view payload(c.in.data() + pos + hdr, len);
    if (op == 8) c.state = Conn::kDead;
    if (op == 9) {
      // Answer pings, or the relay hangs up after twice --ping-interval.
      std::string pong = text_frame(std::string(payload));
      pong[0] = static_cast<char>(0x8a);
      if (!send_all(c.fd, pong)) c.state = Conn::kDead;
    }
    if (op == 1) {
      if (payload.rfind("{\"topic\"", 0) == 0) {
        ++c.data;
        sample(payload);
      }
      if (payload.rfind("{\"type\":\"subscribed\"", 0) == 0) c.subscribed = true;
    }
    pos += hdr + len;
  }
  c.in.erase(0, pos);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string_view(argv[1]) == "--emit") return emit(atof(argv[2]), atol(argv[3]));
  const bool sse = argc > 1 && std::string_view(argv[1]) == "--sse";
  if (sse) {
    --argc;
    ++argv;
  }
  if (argc < 6) {
    fprintf(stderr,
            "usage: ws_load [--sse] HOST PORT CONNECTIONS TOPIC EXPECT [TIMEOUT_S] [READY_FILE]\n"
            "       ws_load --emit RATE COUNT\n");
    return 64;
  }
  const char* host = argv[1];
  const int port = atoi(argv[2]);
  const int n = atoi(argv[3]);
  const std::string topic = argv[4];
  const long expect = atol(argv[5]);
  const int timeout_s = argc > 6 ? atoi(argv[6]) : 60;
  const char* ready_file = argc > 7 ? argv[7] : nullptr;
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) == 0) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &addr.sin_addr);
  const int ep = epoll_create1(0);
  std::vector<Conn> conns(static_cast<size_t>(n));
  const std::string upgrade =
      sse ? "GET /sse?topics=" + topic + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"
          : std::string("GET / HTTP/1.1\r\nHost: ") + host +
                "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n";
  const std::string sub = text_frame("{\"action\":\"subscribe\",\"topics\":[\"" + topic + "\"]}");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  // Connect in blocking mode (simple; loopback), then switch to epoll.
  for (int i = 0; i < n; ++i) {
    Conn& c = conns[static_cast<size_t>(i)];
    c.fd = socket(AF_INET, SOCK_STREAM, 0);
    if (c.fd < 0 || connect(c.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        !send_all(c.fd, upgrade)) {
      fprintf(stderr, "ws_load: connection %d: %s\n", i, strerror(errno));
      return 1;
    }
    fcntl(c.fd, F_SETFL, O_NONBLOCK);
    const int on = 1;
    setsockopt(c.fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(ep, EPOLL_CTL_ADD, c.fd, &ev);
  }
  int subscribed = 0, complete = 0, dead = 0;
  long frames = 0;
  bool ready_written = false;
  std::vector<epoll_event> evs(1024);
  char buf[65536];
  while (complete + dead < n && std::chrono::steady_clock::now() < deadline) {
    const int k = epoll_wait(ep, evs.data(), static_cast<int>(evs.size()), 100);
    for (int e = 0; e < k; ++e) {
      Conn& c = conns[evs[static_cast<size_t>(e)].data.u32];
      if (c.state == Conn::kDead) continue;
      g_arrive_ns = 0;
      for (;;) {
        const ssize_t r = read_stamped(c.fd, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          c.state = Conn::kDead;
          break;
        }
        if (r < 0) break;
        c.in.append(buf, static_cast<size_t>(r));
        // A short read drained the socket: skip the read that would say
        // EAGAIN (epoll is level-triggered, it reports what comes next).
        if (static_cast<size_t>(r) < sizeof buf) break;
      }
      g_now_ns = realtime_ns();
      const bool was_sub = c.subscribed;
      if (c.state == Conn::kHandshake) {
        const size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        const bool sse_ok = sse && c.in.rfind("HTTP/1.1 200", 0) == 0;
        if (!sse_ok && c.in.rfind("HTTP/1.1 101", 0) != 0) {
          c.state = Conn::kDead;
        } else {
          c.in.erase(0, end + 4);
          c.state = Conn::kOpen;
          if (sse_ok) {
            c.subscribed = true;  // the 200 comes once the stream is subscribed
          } else if (!send_all(c.fd, sub)) {
            c.state = Conn::kDead;
          }
        }
      }
      const long before = c.data;
      if (sse) {
        if (c.state == Conn::kOpen) parse_sse(c);
      } else if (c.state != Conn::kHandshake) {
        parse(c);
      }
      if (!was_sub && c.subscribed) ++subscribed;
      frames += c.data - before;
      if (before < expect && c.data >= expect) ++complete;
      if (c.state == Conn::kDead) ++dead;
    }
    if (!ready_written && subscribed == n && ready_file) {
      FILE* f = fopen(ready_file, "w");
      if (f) fclose(f);
      ready_written = true;
    }
  }
  printf("connections %d subscribed %d complete %d frames %ld\n", n, subscribed, complete, frames);
  print_latency("latency_us", g_latency_us);
  print_latency("arrival_us", g_arrival_us);
  return complete == n ? 0 : 1;
}
