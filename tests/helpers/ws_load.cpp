// ws_load: a WebSocket load generator for relay-ws tests and benchmarks
// (epoll, one thread; in its own process so the relay keeps its own
// open-files budget).
//
//   ws_load HOST PORT CONNECTIONS TOPIC EXPECT [TIMEOUT_S] [READY_FILE]
//
// Opens CONNECTIONS WebSocket connections to ws://HOST:PORT/, subscribes
// each to TOPIC (from the end), writes READY_FILE once every subscription
// is acknowledged, then waits until every connection got EXPECT data
// frames. Prints "connections N subscribed N complete N frames F" and
// exits 0 when complete == N, 1 otherwise (timeout, refused, closed).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

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
      if (payload.rfind("{\"topic\"", 0) == 0) ++c.data;
      if (payload.rfind("{\"type\":\"subscribed\"", 0) == 0) c.subscribed = true;
    }
    pos += hdr + len;
  }
  c.in.erase(0, pos);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: ws_load HOST PORT CONNECTIONS TOPIC EXPECT [TIMEOUT_S] [READY_FILE]\n");
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
  const std::string upgrade = std::string("GET / HTTP/1.1\r\nHost: ") + host +
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
      for (;;) {
        const ssize_t r = read(c.fd, buf, sizeof buf);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          c.state = Conn::kDead;
          break;
        }
        if (r < 0) break;
        c.in.append(buf, static_cast<size_t>(r));
      }
      if (c.state == Conn::kHandshake) {
        const size_t end = c.in.find("\r\n\r\n");
        if (end == std::string::npos) continue;
        if (c.in.rfind("HTTP/1.1 101", 0) != 0) {
          c.state = Conn::kDead;
        } else {
          c.in.erase(0, end + 4);
          c.state = Conn::kOpen;
          if (!send_all(c.fd, sub)) c.state = Conn::kDead;
        }
      }
      const bool was_sub = c.subscribed;
      const long before = c.data;
      if (c.state != Conn::kHandshake) parse(c);
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
  return complete == n ? 0 : 1;
}
