// Backoff: the waits of a retry loop that reconnects to a server.
//
// Exponential: the first wait is `first`, each next one twice the one
// before, never more than `max`; reset() starts again at `first` (after a
// connection that worked for a while, say). It only computes waits: the
// caller sleeps, polls a stop fd, or bounds them by its own deadline, so a
// wait can be cut short without the Backoff knowing. No jitter: every
// caller talks to one server of its own, not a crowd that must spread out.
//
// Used by the redis connection and producer (reconnects within a budget)
// and cdc-pg (reconnects to a lost PostgreSQL server). Not thread-safe: one
// Backoff per retry loop.
#pragma once

#include <chrono>

namespace sluice {

class Backoff {
 public:
  using Millis = std::chrono::milliseconds;

  // Waits first, 2*first, 4*first, ... up to max. Requires 0 < first <= max.
  constexpr Backoff(Millis first, Millis max) : first_(first), max_(max), next_(first) {}

  // The wait to use now; the one after it doubles (up to max()).
  constexpr Millis next() {
    const Millis wait = next_;
    next_ = next_ > max_ / 2 ? max_ : next_ * 2;
    return wait;
  }

  // The wait the next call to next() returns, without moving on.
  constexpr Millis peek() const { return next_; }

  // Starts again at first().
  constexpr void reset() { next_ = first_; }

  constexpr Millis first() const { return first_; }
  constexpr Millis max() const { return max_; }

 private:
  Millis first_;
  Millis max_;
  Millis next_;
};

}  // namespace sluice
