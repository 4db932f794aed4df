// Backoff: the waits between reconnects (redis connection and producer,
// cdc-pg), their cap and reset.
#include <doctest/doctest.h>

#include <vector>

#include "core/backoff.h"

using namespace sluice;
using Millis = std::chrono::milliseconds;

namespace {

std::vector<long> waits(Backoff& b, int n) {
  std::vector<long> out;
  for (int i = 0; i < n; ++i) out.push_back(static_cast<long>(b.next().count()));
  return out;
}

}  // namespace

TEST_CASE("backoff doubles from first and stays at max") {
  Backoff b(Millis(50), Millis(2000));  // redis reconnect
  CHECK(waits(b, 9) == std::vector<long>{50, 100, 200, 400, 800, 1600, 2000, 2000, 2000});
}

TEST_CASE("backoff caps at a max that is no power-of-two multiple of first") {
  Backoff b(Millis(500),
            Millis(30000));  // cdc-pg: 0.5 s doubling up to 30 s (--help)
  CHECK(waits(b, 9) == std::vector<long>{500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000});
  Backoff lane(Millis(20), Millis(1000));  // redis producer lanes
  CHECK(waits(lane, 8) == std::vector<long>{20, 40, 80, 160, 320, 640, 1000, 1000});
}

TEST_CASE("backoff peek shows the next wait without moving on") {
  Backoff b(Millis(20), Millis(1000));
  CHECK(b.peek() == Millis(20));
  CHECK(b.peek() == Millis(20));
  CHECK(b.next() == Millis(20));
  CHECK(b.peek() == Millis(40));
  CHECK(b.next() == Millis(40));
  CHECK(b.first() == Millis(20));
  CHECK(b.max() == Millis(1000));
}

TEST_CASE("backoff reset starts again at first, from anywhere in the sequence") {
  Backoff b(Millis(500), Millis(30000));
  waits(b, 3);
  b.reset();
  CHECK(waits(b, 3) == std::vector<long>{500, 1000, 2000});
  waits(b, 20);  // at the cap
  CHECK(b.peek() == Millis(30000));
  b.reset();
  CHECK(waits(b, 2) == std::vector<long>{500, 1000});
  b.reset();
  b.reset();  // idempotent
  CHECK(b.next() == Millis(500));
}

TEST_CASE("backoff with first equal to max is constant") {
  Backoff b(Millis(300), Millis(300));
  CHECK(waits(b, 4) == std::vector<long>{300, 300, 300, 300});
}

TEST_CASE("backoff never overflows below a huge max") {
  Backoff b(Millis(1), Millis::max());
  Millis prev(0);
  for (int i = 0; i < 100; ++i) {
    const Millis w = b.next();
    REQUIRE(w > Millis(0));
    REQUIRE(w >= prev);
    prev = w;
  }
  CHECK(prev == Millis::max());
}

TEST_CASE("backoff is usable at compile time") {
  constexpr Millis third = [] {
    Backoff b(Millis(50), Millis(2000));
    b.next();
    b.next();
    return b.next();
  }();
  static_assert(third == Millis(200));
  CHECK(third == Millis(200));
}
