// A stand-alone runner for libFuzzer-style targets, so every fuzz target
// runs in the normal test suite without clang's -fsanitize=fuzzer.
//
//   fuzz_envelope CORPUS_DIR_OR_FILE...
//
// Runs LLVMFuzzerTestOneInput on every corpus file, then on FUZZ_RUNS
// (default 20000) random mutations of them (bit flips, byte edits, inserts,
// deletes, splices), seeded by FUZZ_SEED (default 1) so a failure repeats.
// Exits 0 unless an input crashes the target; the input that crashed is
// saved to ./fuzz-crash-<target> (or $FUZZ_CRASH_FILE) for replay:
// `fuzz_envelope ./fuzz-crash-fuzz_envelope`. Coverage-guided fuzzing:
// scripts/fuzz.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" void __sanitizer_set_death_callback(void (*)(void)) __attribute__((weak));

namespace {

// The input being run, for the crash handlers (set before each run).
const std::string* g_current = nullptr;
std::string g_crash_file;

void save_current_input() {
  if (g_current == nullptr) return;
  const int fd = open(g_crash_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  ssize_t ignored = write(fd, g_current->data(), g_current->size());
  (void)ignored;
  close(fd);
  static const char kMsg[] = "fuzz driver: crashing input saved to ";
  ignored = write(2, kMsg, sizeof kMsg - 1);
  ignored = write(2, g_crash_file.data(), g_crash_file.size());
  ignored = write(2, "\n", 1);
}

void on_signal(int sig) {
  save_current_input();
  signal(sig, SIG_DFL);
  raise(sig);
}

bool read_file(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

void collect(const std::string& path, std::vector<std::string>* seeds) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    std::fprintf(stderr, "fuzz driver: cannot open '%s': %s\n", path.c_str(), std::strerror(errno));
    return;
  }
  if (!S_ISDIR(st.st_mode)) {
    std::string data;
    if (read_file(path, &data)) seeds->push_back(std::move(data));
    return;
  }
  std::vector<std::string> names;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    closedir(d);
  }
  std::sort(names.begin(), names.end());  // a stable order keeps runs repeatable
  for (const std::string& n : names) collect(path + "/" + n, seeds);
}

uint64_t env_number(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// Bytes that matter to the parsers under test, inserted more often than
// chance would.
constexpr std::string_view kInteresting = "{}[]\":,\\%\n\r\t\0@/?&=-.e0\xFF\xC3";

std::string mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  std::string s = seeds.empty() ? std::string() : seeds[rng() % seeds.size()];
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    const size_t pos = s.empty() ? 0 : rng() % (s.size() + 1);
    switch (rng() % 7) {
      case 0:  // flip a bit
        if (!s.empty()) s[pos % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // set a random byte
        if (!s.empty()) s[pos % s.size()] = static_cast<char>(rng());
        break;
      case 2:  // insert random bytes
        s.insert(pos, std::string(1 + rng() % 4, static_cast<char>(rng())));
        break;
      case 3:  // insert an interesting byte
        s.insert(s.begin() + static_cast<ptrdiff_t>(pos),
                 kInteresting[rng() % kInteresting.size()]);
        break;
      case 4:  // delete a range
        if (!s.empty()) s.erase(pos % s.size(), 1 + rng() % 8);
        break;
      case 5: {  // splice in part of another seed
        if (seeds.empty()) break;
        const std::string& other = seeds[rng() % seeds.size()];
        if (other.empty()) break;
        const size_t from = rng() % other.size();
        s.insert(pos, other.substr(from, 1 + rng() % 32));
        break;
      }
      case 6: {  // duplicate a chunk
        if (s.empty()) break;
        const size_t from = rng() % s.size();
        s.insert(pos, s.substr(from, 1 + rng() % 16));
        break;
      }
    }
  }
  if (s.size() > 1 << 16) s.resize(1 << 16);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::string name = argv[0];
  name = name.substr(name.rfind('/') + 1);
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR_OR_FILE...\n", name.c_str());
    return 64;
  }
  const char* crash_file = std::getenv("FUZZ_CRASH_FILE");
  g_crash_file = crash_file != nullptr ? crash_file : "./fuzz-crash-" + name;
  for (int sig : {SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL}) signal(sig, on_signal);
  if (__sanitizer_set_death_callback != nullptr) __sanitizer_set_death_callback(save_current_input);

  std::vector<std::string> seeds;
  for (int i = 1; i < argc; ++i) collect(argv[i], &seeds);
  const auto start = std::chrono::steady_clock::now();
  auto run = [](const std::string& input) {
    g_current = &input;
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
    g_current = nullptr;
  };
  for (const std::string& s : seeds) run(s);

  const uint64_t runs = env_number("FUZZ_RUNS", 20000);
  const uint64_t seed = env_number("FUZZ_SEED", 1);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < runs; ++i) run(mutate(seeds, rng));
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("%s: %zu corpus inputs + %llu mutations (seed %llu) in %.2fs, no crash\n",
              name.c_str(), seeds.size(), static_cast<unsigned long long>(runs),
              static_cast<unsigned long long>(seed), secs);
  return 0;
}
