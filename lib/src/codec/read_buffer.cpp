#include "codec/read_buffer.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sluice {

namespace {
// Large reads keep syscalls rare; readers with a small record limit (tests,
// fuzzing) start smaller since the first fill zeroes the whole buffer.
constexpr size_t kInitialBuffer = 1 << 20;
constexpr size_t kSmallBuffer = 64 << 10;
}  // namespace

bool ReadBuffer::fill(int fd, size_t max_record, size_t* shifted) {
  *shifted = 0;
  if (bytes.empty()) bytes.resize(max_record < kSmallBuffer ? kSmallBuffer : kInitialBuffer);
  if (end == bytes.size()) {
    if (begin > 0) {
      // Compact only when the buffer is full: at most one memmove of a
      // partial record per buffer's worth of input.
      std::memmove(bytes.data(), bytes.data() + begin, end - begin);
      *shifted = begin;
      end -= begin;
      begin = 0;
    } else {
      bytes.resize(bytes.size() * 2);
    }
  }
  for (;;) {
    const ssize_t n = ::read(fd, bytes.data() + end, bytes.size() - end);
    if (n > 0) {
      end += static_cast<size_t>(n);
      total += static_cast<uint64_t>(n);
      return true;
    }
    if (n == 0) {
      eof = true;
      return false;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      status = Status::FromErrno(errno, "cannot read input");
    }
    return false;
  }
}

}  // namespace sluice
