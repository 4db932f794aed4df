// top's full-screen view over ncurses (see sluice/monitor_screen.h).
#include <langinfo.h>
#include <ncurses.h>

#include <algorithm>
#include <clocale>
#include <cstdlib>
#include <cstring>
#include <future>

#include "sluice/monitor_screen.h"
#include "sluice/signals.h"

namespace sluice::monitor {

namespace {

enum Pair { kPairOk = 1, kPairWarn, kPairBad, kPairRewind, kPairStale, kPairHeader };

enum class SortKey { kName, kShards, kRate, kBytes, kLastSeq, kAge, kLag, kStatus };
constexpr const char* kSortNames[] = {"name",     "shards", "msgs/s", "bytes/s",
                                      "last_seq", "age",    "lag",    "status"};
constexpr int kSortKeys = 8;

struct LastMessages {
  std::string stream;
  std::vector<std::string> lines;
  std::string error;
};

// The last few messages of a stream, read on a thread of their own.
LastMessages read_last(StreamUri cluster, std::string stream) {
  LastMessages out;
  out.stream = stream;
  cluster.streams = {stream};
  ConsumerOptions o;
  o.from.kind = StartPosition::Kind::kFromEnd;
  o.from.value = 5;
  o.exit_at_end = true;
  o.timeout = Millis(3000);
  auto c = open_consumer(cluster, o);
  if (!c.ok()) {
    out.error = c.status().message();
    return out;
  }
  MessageBatch b;
  for (int i = 0; i < 20; ++i) {
    Status st = (*c)->poll(b, Millis(100));
    for (const Message& m : b.messages) {
      std::string line =
          "shard " + std::to_string(m.shard) + " seq " + std::to_string(m.seq) + ": ";
      const std::string_view payload = m.payload.value_or("");
      for (char ch : payload.substr(0, 200)) {
        line += (static_cast<unsigned char>(ch) < 0x20) ? '.' : ch;
      }
      out.lines.push_back(std::move(line));
    }
    if (!st.ok()) break;
  }
  if (out.lines.size() > 10) out.lines.erase(out.lines.begin(), out.lines.end() - 10);
  return out;
}

// The sparkline covers the last minute, whatever the interval.
MonitorOptions monitor_options(const ScreenOptions& o) {
  MonitorOptions m;
  m.window = o.window;
  m.spark_points =
      static_cast<int>(std::max<int64_t>(1, 60000 / std::max<int64_t>(1, o.interval.count())));
  return m;
}

class Screen {
 public:
  Screen(const StreamUri& cluster, const CollectorOptions& copts, const ScreenOptions& opts)
      : cluster_(cluster),
        opts_(opts),
        collector_(cluster, copts, monitor_options(opts), opts.interval) {
    graph_ = opts.graph;
  }

  Status run() {
    setlocale(LC_ALL, "");
    utf8_ = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    if (initscr() == nullptr) return Status::IoError("cannot set up the terminal");
    cbreak();
    noecho();
    keypad(stdscr, TRUE);
    set_escdelay(25);  // Esc goes back at once, as in htop
    curs_set(0);
    timeout(100);
    color_ = has_colors() && getenv("NO_COLOR") == nullptr;
    if (color_) {
      start_color();
      use_default_colors();
      init_pair(kPairOk, COLOR_GREEN, -1);
      init_pair(kPairWarn, COLOR_YELLOW, -1);
      init_pair(kPairBad, COLOR_RED, -1);
      init_pair(kPairRewind, COLOR_MAGENTA, -1);
      init_pair(kPairStale, COLOR_YELLOW, -1);
      init_pair(kPairHeader, COLOR_BLACK, COLOR_CYAN);
    }
    uint64_t seen = ~uint64_t{0};
    bool dirty = true;
    while (!stop_requested()) {
      const uint64_t gen = collector_.generation();
      if (gen != seen && !paused_) {
        seen = gen;
        if (auto v = collector_.view()) view_ = v;
        dirty = true;
      }
      if (last_.valid() && last_.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
        messages_ = last_.get();
        dirty = true;
      }
      if (dirty) draw();
      dirty = false;
      int ch = getch();
      if (ch == ERR) continue;
      dirty = true;
      if (!key(ch)) break;
    }
    endwin();
    return Status::Ok();
  }

 private:
  // The rows shown: filtered and sorted streams of the current view.
  std::vector<const StreamView*> rows() const {
    std::vector<const StreamView*> out;
    if (!view_) return out;
    for (const StreamView& s : view_->streams) {
      if (filter_.empty() || s.name.find(filter_) != std::string::npos) out.push_back(&s);
    }
    auto lag = [](const StreamView* s) {
      int64_t l = 0;
      for (const GroupView& g : s->groups) l += g.lag;
      return l;
    };
    auto worst = [](const StreamView* s) {
      int w = 0;
      for (const GroupView& g : s->groups) w = std::max(w, severity(g.status));
      return w;
    };
    auto num = [](const std::optional<double>& v) { return v ? *v : -1.0; };
    std::stable_sort(out.begin(), out.end(), [&](const StreamView* a, const StreamView* b) {
      switch (sort_) {
        case SortKey::kName:
          return a->name < b->name;
        case SortKey::kShards:
          return a->shards.size() > b->shards.size();
        case SortKey::kRate:
          return num(a->msgs_per_s) > num(b->msgs_per_s);
        case SortKey::kBytes:
          return num(a->bytes_per_s) > num(b->bytes_per_s);
        case SortKey::kLastSeq:
          return a->last_seq > b->last_seq;
        case SortKey::kAge:
          return num(a->age_s) > num(b->age_s);
        case SortKey::kLag:
          return lag(a) > lag(b);
        case SortKey::kStatus:
          return worst(a) > worst(b);
      }
      return false;
    });
    if (reverse_) std::reverse(out.begin(), out.end());
    return out;
  }

  bool key(int ch) {
    if (filtering_) {
      if (ch == '\n' || ch == KEY_ENTER) {
        filtering_ = false;
      } else if (ch == 27) {
        filtering_ = false;
        filter_.clear();
      } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (!filter_.empty()) filter_.pop_back();
      } else if (ch >= 0x20 && ch < 0x7f) {
        filter_ += static_cast<char>(ch);
      }
      selected_ = 0;
      return true;
    }
    if (help_) {
      help_ = false;  // any key closes the help; q still quits
      return ch != 'q';
    }
    const int n = static_cast<int>(rows().size());
    const int page = std::max(1, LINES - 4);
    switch (ch) {
      case 'q':
        return false;
      case '?':
      case KEY_F(1):
        help_ = true;
        break;
      case 'p':
        paused_ = !paused_;
        collector_.set_paused(paused_);
        break;
      case 'g':
        graph_ = !graph_;
        break;
      case '/':
        filtering_ = true;
        break;
      case 's':
      case '>':
        sort_ = static_cast<SortKey>((static_cast<int>(sort_) + 1) % kSortKeys);
        break;
      case '<':
        sort_ = static_cast<SortKey>((static_cast<int>(sort_) + kSortKeys - 1) % kSortKeys);
        break;
      case 'r':
      case 'I':
        reverse_ = !reverse_;
        break;
      case KEY_UP:
      case 'k':
        --selected_;
        break;
      case KEY_DOWN:
      case 'j':
        ++selected_;
        break;
      case KEY_PPAGE:
        selected_ -= page;
        break;
      case KEY_NPAGE:
        selected_ += page;
        break;
      case KEY_HOME:
        selected_ = 0;
        break;
      case KEY_END:
        selected_ = n - 1;
        break;
      case '\n':
      case KEY_ENTER:
      case KEY_RIGHT:
        if (detail_.empty() && n > 0) {
          auto r = rows();
          detail_ = r[static_cast<size_t>(std::clamp(selected_, 0, n - 1))]->name;
          messages_ = LastMessages{};
          last_ = std::async(std::launch::async, read_last, cluster_, detail_);
        }
        break;
      case 27:
      case KEY_LEFT:
      case KEY_BACKSPACE:
      case 127:
        detail_.clear();
        break;
      case KEY_RESIZE:
        clear();
        break;
      default:
        break;
    }
    selected_ = std::clamp(selected_, 0, std::max(0, n - 1));
    return true;
  }

  void paint(int pair, int extra = 0) { attrset((color_ && pair ? COLOR_PAIR(pair) : 0) | extra); }

  int status_pair(GroupStatus s) const {
    switch (s) {
      case GroupStatus::kOk:
        return kPairOk;
      case GroupStatus::kWarn:
        return kPairWarn;
      case GroupStatus::kRewind:
        return kPairRewind;
      default:
        return kPairBad;
    }
  }

  std::string spark(const std::vector<double>& v, size_t width) const {
    static const char* const kBlocks[] = {" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    static const char kAscii[] = " .:-=+*#%@";
    // The whole series (the last minute) in at most `width` cells: each
    // cell the mean of its share of the points.
    std::vector<double> cells;
    const size_t n = std::min(width, v.size());
    for (size_t c = 0; c < n; ++c) {
      const size_t a = c * v.size() / n, b = (c + 1) * v.size() / n;
      double sum = 0;
      for (size_t i = a; i < b; ++i) sum += v[i];
      cells.push_back(b > a ? sum / static_cast<double>(b - a) : 0);
    }
    double mx = 0;
    for (double x : cells) mx = std::max(mx, x);
    std::string out;
    for (double x : cells) {
      const double f = mx > 0 ? x / mx : 0;
      if (utf8_) {
        out += kBlocks[static_cast<int>(f * 8 + 0.5)];
      } else {
        out += kAscii[static_cast<int>(f * 9 + 0.5)];
      }
    }
    return out;
  }

  void header() {
    const Status err = collector_.error();
    paint(kPairHeader, color_ ? 0 : A_REVERSE);
    move(0, 0);
    clrtoeol();
    std::string h = "sluice top  " + cluster_.redacted();
    if (view_) {
      h += "  streams " + std::to_string(view_->streams.size()) + "  msgs/s " +
           human_count(view_->msgs_per_s) + "  bytes/s " + human_count(view_->bytes_per_s) +
           "  groups " + std::to_string(view_->groups) + "  lag " +
           human_count(static_cast<double>(view_->total_lag));
    }
    if (paused_) h += "  [paused]";
    mvaddnstr(0, 0, h.c_str(), COLS);
    paint(0);
    move(1, 0);
    clrtoeol();
    if (!err.ok()) {
      paint(kPairBad, A_BOLD);
      mvaddnstr(1, 0,
                (err.message() + " (retrying every " +
                 human_duration(opts_.interval.count() / 1000.0) + ")")
                    .c_str(),
                COLS);
    } else if (view_) {
      int x = 0;
      for (int i = 0; i < kStatusCount; ++i) {
        const auto s = static_cast<GroupStatus>(i);
        std::string t = std::string(status_name(s)) + " " + std::to_string(view_->status_count[i]);
        paint(status_pair(s), A_BOLD);
        mvaddnstr(1, x, t.c_str(), COLS - x);
        x += static_cast<int>(t.size()) + 2;
        if (x >= COLS) break;
      }
      paint(0);
      std::string sort = std::string("  sort: ") + kSortNames[static_cast<int>(sort_)] +
                         (reverse_ ? " (reversed)" : "");
      if (!filter_.empty() || filtering_) sort += "  filter: " + filter_ + (filtering_ ? "_" : "");
      if (x < COLS) mvaddnstr(1, x, sort.c_str(), COLS - x);
    } else {
      mvaddnstr(1, 0, "sampling...", COLS);
    }
    paint(0);
  }

  void draw_list() {
    auto r = rows();
    const int top_row = 3;
    const int page = std::max(1, LINES - top_row - 1);
    if (selected_ < scroll_) scroll_ = selected_;
    if (selected_ >= scroll_ + page) scroll_ = selected_ - page + 1;
    paint(0, A_BOLD);
    char line[512];
    snprintf(line, sizeof line, "%-24s %6s %8s %8s %16s %7s  %-20s %s", "STREAM", "SHARDS",
             "MSGS/S", "BYTES/S", "LAST_SEQ", "AGE", "LAST MINUTE", "GROUPS");
    mvaddnstr(2, 0, line, COLS);
    paint(0);
    const double stale_s = std::max(60.0, 10.0 * opts_.interval.count() / 1000.0);
    for (int i = 0; i < page && scroll_ + i < static_cast<int>(r.size()); ++i) {
      const StreamView& s = *r[static_cast<size_t>(scroll_ + i)];
      const int y = top_row + i;
      const bool sel = scroll_ + i == selected_;
      const bool stale = s.age_s && *s.age_s > stale_s;
      move(y, 0);
      clrtoeol();
      paint(stale ? kPairStale : 0, sel ? A_REVERSE : 0);
      snprintf(line, sizeof line, "%-24.24s %6zu %8s %8s %16lld %7s  ", s.name.c_str(),
               s.shards.size(), human_count(s.msgs_per_s).c_str(),
               human_count(s.bytes_per_s).c_str(), static_cast<long long>(s.last_seq),
               human_duration(s.age_s).c_str());
      std::string text = line;
      std::string sp = spark(s.spark, 20);
      text += sp;
      const size_t cells = std::min<size_t>(20, s.spark.size());
      text.append(20 - cells + 1, ' ');
      mvaddnstr(y, 0, text.c_str(), COLS);
      int x = static_cast<int>(line[0] ? strlen(line) : 0) + 21;
      for (const GroupView& g : s.groups) {
        if (x >= COLS) break;
        std::string t = g.name + ":" + std::string(status_name(g.status)) + " ";
        paint(status_pair(g.status), sel ? A_REVERSE : 0);
        mvaddnstr(y, x, t.c_str(), COLS - x);
        x += static_cast<int>(t.size());
      }
      paint(0);
    }
    for (int y = top_row + static_cast<int>(std::min<size_t>(r.size(), page)); y < LINES; ++y) {
      move(y, 0);
      clrtoeol();
    }
  }

  void draw_detail() {
    const StreamView* s = nullptr;
    for (const StreamView& x : view_->streams) {
      if (x.name == detail_) s = &x;
    }
    int y = 2;
    for (int k = 2; k < LINES; ++k) {
      move(k, 0);
      clrtoeol();
    }
    if (s == nullptr) {
      mvaddnstr(y, 0, ("stream '" + detail_ + "' is gone").c_str(), COLS);
      return;
    }
    char line[512];
    paint(0, A_BOLD);
    mvaddnstr(y++, 0, ("stream " + s->name + "  (Esc: back)").c_str(), COLS);
    snprintf(line, sizeof line, "%6s %16s %16s %8s", "SHARD", "FIRST_SEQ", "LAST_SEQ", "AGE");
    std::string hdr = line;
    for (const GroupView& g : s->groups) hdr += "  lag:" + g.name;
    mvaddnstr(y++, 0, hdr.c_str(), COLS);
    paint(0);
    for (size_t i = 0; i < s->shards.size() && y < LINES; ++i) {
      const ShardInfo& sh = s->shards[i];
      std::optional<double> age;
      if (sh.last_ts_us > 0 && view_) age = (view_->ts_us - sh.last_ts_us) / 1e6;
      snprintf(line, sizeof line, "%6d %16lld %16lld %8s", sh.shard,
               static_cast<long long>(sh.first_seq), static_cast<long long>(sh.last_seq),
               human_duration(age).c_str());
      std::string t = line;
      for (const GroupView& g : s->groups) {
        t += "  " + std::to_string(i < g.shard_lag.size() ? g.shard_lag[i] : 0);
      }
      mvaddnstr(y++, 0, t.c_str(), COLS);
    }
    ++y;
    paint(0, A_BOLD);
    snprintf(line, sizeof line, "%-20s %10s %8s %8s %8s %-6s %8s  %s", "GROUP", "LAG", "LAG_S",
             "RATE", "ETA", "STATUS", "RUNWAY", "MEMBERS");
    if (y < LINES) mvaddnstr(y++, 0, line, COLS);
    paint(0);
    for (const GroupView& g : s->groups) {
      if (y >= LINES) break;
      std::string members;
      for (const MemberInfo& m : g.members) {
        members += m.name + "(pending " + std::to_string(m.pending) + ", idle " +
                   human_duration(m.idle_ms >= 0 ? std::optional<double>(m.idle_ms / 1000.0)
                                                 : std::nullopt) +
                   ") ";
      }
      snprintf(line, sizeof line, "%-20.20s %10lld %8s %8s %8s ", g.name.c_str(),
               static_cast<long long>(g.lag), human_duration(g.lag_s).c_str(),
               human_count(g.consume_per_s).c_str(), human_duration(g.eta_s).c_str());
      mvaddnstr(y, 0, line, COLS);
      int x = static_cast<int>(strlen(line));
      paint(status_pair(g.status), A_BOLD);
      snprintf(line, sizeof line, "%-6s", std::string(status_name(g.status)).c_str());
      if (x < COLS) mvaddnstr(y, x, line, COLS - x);
      paint(g.runway_short ? kPairBad : 0);
      snprintf(line, sizeof line, " %8s  %s", human_duration(g.runway_s).c_str(), members.c_str());
      x += 6;
      if (x < COLS) mvaddnstr(y, x, line, COLS - x);
      paint(0);
      ++y;
    }
    ++y;
    paint(0, A_BOLD);
    if (y < LINES) mvaddnstr(y++, 0, "LATEST MESSAGES", COLS);
    paint(0);
    if (messages_.stream != detail_) {
      if (y < LINES) mvaddnstr(y++, 0, "reading...", COLS);
    } else if (!messages_.error.empty()) {
      if (y < LINES) mvaddnstr(y++, 0, messages_.error.c_str(), COLS);
    } else {
      for (const std::string& l : messages_.lines) {
        if (y >= LINES) break;
        mvaddnstr(y++, 0, l.c_str(), COLS);
      }
    }
  }

  void draw_graph() {
    std::string g = to_graph(*view_);
    int y = 2;
    size_t start = 0;
    for (int k = 2; k < LINES; ++k) {
      move(k, 0);
      clrtoeol();
    }
    while (start < g.size() && y < LINES) {
      size_t end = g.find('\n', start);
      if (end == std::string::npos) end = g.size();
      mvaddnstr(y++, 0, g.substr(start, end - start).c_str(), COLS);
      start = end + 1;
    }
  }

  void draw_help() {
    static const char* const kHelp[] = {
        "sluice top: keys",
        "",
        "  Up/Down, PgUp/PgDn, Home/End   move",
        "  s or >   sort by the next column      <   by the previous one",
        "  r        reverse the order",
        "  /        filter streams by name (Enter: keep, Esc: clear)",
        "  Enter    drill into a stream: shards, groups, latest messages (Esc: back)",
        "  g        the processing graph: streams and the groups that read them",
        "  p        pause sampling          q   quit          ?   this help",
        "",
        "status (Burrow's rules over the last --window samples):",
        "  OK      lag reached zero, or fell        WARN    lag never fell",
        "  STALL   position did not move, lag > 0   STOP    no activity for the window",
        "  REWIND  position went back",
        "",
        "press any key",
    };
    erase();
    int y = 1;
    for (const char* l : kHelp) {
      if (y >= LINES) break;
      mvaddnstr(y++, 2, l, COLS - 2);
    }
  }

  void draw() {
    if (help_) {
      draw_help();
    } else {
      header();
      if (!view_) {
        for (int k = 2; k < LINES; ++k) {
          move(k, 0);
          clrtoeol();
        }
      } else if (graph_) {
        draw_graph();
      } else if (!detail_.empty()) {
        draw_detail();
      } else {
        draw_list();
      }
    }
    refresh();
  }

  StreamUri cluster_;
  ScreenOptions opts_;
  BackgroundCollector collector_;
  std::shared_ptr<const ClusterView> view_;
  bool color_ = false;
  bool utf8_ = false;
  bool paused_ = false;
  bool help_ = false;
  bool graph_ = false;
  bool filtering_ = false;
  bool reverse_ = false;
  std::string filter_;
  std::string detail_;
  SortKey sort_ = SortKey::kName;
  int selected_ = 0;
  int scroll_ = 0;
  std::future<LastMessages> last_;
  LastMessages messages_;
};

}  // namespace

Status run_screen(const StreamUri& cluster, const CollectorOptions& copts,
                  const ScreenOptions& opts) {
  Screen screen(cluster, copts, opts);
  return screen.run();
}

}  // namespace sluice::monitor
