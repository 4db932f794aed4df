// Fuzz target for telling a torn tail from corruption: the input is a
// segment file (a valid header is put in front when it has none). The
// whole-stream check, a skipping reader, a failing reader and a writer's
// repair must agree with each other:
// - the skipping reader returns exactly check_stream()'s valid records, in
//   increasing seq order, below its next_seq;
// - the failing reader returns a prefix of them, and fails only if some
//   corrupt range loses a record;
// - a writer's open truncates nothing but the torn tail, keeps every valid
//   record, and appends at check_stream()'s next_seq (no seq reused).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "filelog/filelog.h"

using namespace sluice;
using namespace sluice::filelog;

namespace {

void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_segment_scan: %s\n", what);
    std::abort();
  }
}

// A temporary directory for the one stream every input is written to,
// removed at exit.
struct TempStream {
  std::string root;
  std::string dir;
  TempStream() {
    const char* base = getenv("TMPDIR");
    root = std::string(base && *base ? base : "/tmp") + "/fuzz-segment-XXXXXX";
    check(mkdtemp(root.data()) != nullptr, "mkdtemp");
    dir = root + "/s";
  }
  ~TempStream() {
    std::error_code ec;
    std::filesystem::remove_all(root, ec);
  }
};

const std::string& stream_dir() {
  static TempStream t;
  return t.dir;
}

std::vector<int64_t> read_seqs(OnCorrupt on, size_t chunk, Status* st) {
  ReaderOptions ro;
  ro.on_corrupt = on;
  ro.read_chunk = chunk;
  auto r = LogReader::Open(stream_dir(), "s", ro);
  check(r.ok(), "open reader");
  StartPosition from;
  from.kind = StartPosition::Kind::kBeginning;
  check((*r)->seek(from).ok(), "seek");
  std::vector<int64_t> out;
  std::vector<Message> batch;
  for (int rounds = 0; rounds < 100000; ++rounds) {
    batch.clear();
    bool at_end = false;
    *st = (*r)->read(&batch, 7, &at_end);
    for (const Message& m : batch) out.push_back(m.seq);
    if (!st->ok() || at_end) return out;
  }
  check(false, "reader never reached the end");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 16)) return 0;
  sluice::set_warning_handler([](std::string_view) {});
  const std::string dir = stream_dir();
  std::filesystem::create_directories(dir);
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".log") std::filesystem::remove(e.path());
  }
  std::string bytes(reinterpret_cast<const char*>(data), size);
  int64_t base = 0;
  if (!decode_segment_header(bytes.data(), bytes.size(), &base) || base < 0 ||
      base > (int64_t{1} << 40)) {
    char header[kSegmentHeaderBytes];
    encode_segment_header(0, header);
    bytes = std::string(header, sizeof header) + bytes;
    base = 0;
  }
  {
    std::ofstream out(segment_path(dir, base), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    // Written here, the writer does not create it with an fsync per run.
    std::ofstream(dir + "/meta") << StreamSettings{}.encode();
  }

  auto c = check_stream(Env::Default(), dir);
  check(c.ok(), "check_stream failed");
  const StreamCheck first = *c;
  bool loses = false;
  for (const BadRange& b : first.bad) loses = loses || b.lost() > 0;

  Status st;
  const size_t chunk = size % 2 == 0 ? 64 : 4096;
  std::vector<int64_t> all = read_seqs(OnCorrupt::kSkip, chunk, &st);
  check(st.ok(), "a skipping reader failed");
  check(static_cast<int64_t>(all.size()) == first.records, "skip reader != check_stream records");
  for (size_t i = 0; i < all.size(); ++i) {
    check(all[i] < first.next_seq, "seq beyond next_seq");
    check(i == 0 || all[i] > all[i - 1], "seqs not increasing");
  }
  std::vector<int64_t> prefix = read_seqs(OnCorrupt::kFail, chunk, &st);
  check(prefix.size() <= all.size() && std::equal(prefix.begin(), prefix.end(), all.begin()),
        "a failing reader returned what a skipping one did not");
  check(st.is(StatusCode::kBadData) == loses, "a failing reader disagrees with check_stream");
  check(st.ok() || st.is(StatusCode::kBadData), "an unexpected reader error");

  WriterOptions wo;
  wo.fsync = FsyncPolicy::kNever;
  auto w = LogWriter::Open(dir, wo);
  check(w.ok(), "writer open failed");
  check((*w)->next_seq() == first.next_seq, "writer next_seq != check_stream next_seq");
  Message m;
  m.payload = std::string_view("appended");
  check((*w)->add(m).ok(), "add");
  int64_t seq = -1;
  check((*w)->write_batch(&seq).ok(), "write_batch");
  check(seq == first.next_seq, "append reused or skipped a seq");
  auto after = check_stream(Env::Default(), dir);
  check(after.ok(), "check_stream after append");
  check(after->records == first.records + 1, "the writer lost a valid record");
  check(after->torn_bytes == 0, "a torn tail survived the writer");
  check(after->bad.size() == first.bad.size(), "the writer changed the corruption");
  return 0;
}
