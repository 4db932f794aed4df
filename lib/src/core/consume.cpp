#include "sluice/consume.h"

#include <chrono>

#include "sluice/signals.h"
#include "sluice/status.h"

namespace sluice {

ConsumeLoop::ConsumeLoop(Consumer& consumer, OutputSink& sink, ConsumeOptions opts, RunStats& stats)
    : consumer_(consumer), sink_(sink), opts_(std::move(opts)), stats_(stats) {
  sink_.set_stop_flag(stop_flag());
}

std::string ConsumeLoop::position_of(const Message& m) {
  return std::string(m.stream) + "/" + std::to_string(m.shard) + "/" + std::to_string(m.seq);
}

uint32_t ConsumeLoop::intern(std::string_view stream) {
  for (uint32_t i = 0; i < stream_names_.size(); ++i) {
    if (stream_names_[i] == stream) return i;
  }
  stream_names_.emplace_back(stream);
  return static_cast<uint32_t>(stream_names_.size() - 1);
}

void ConsumeLoop::settle() {
  const uint64_t taken = sink_.taken();
  while (settled_ < taken && !pending_.empty()) {
    const Position& p = pending_.front();
    Message m;
    m.stream = stream_names_[p.stream];
    m.shard = p.shard;
    m.seq = p.seq;
    consumer_.mark_taken(m);
    pending_.pop_front();
    ++settled_;
    dirty_ = true;
  }
}

Status ConsumeLoop::settle_and_commit() {
  if (!opts_.group) return Status::Ok();
  SLUICE_RETURN_IF_ERROR(sink_.sync());
  settle();
  if (!dirty_) return Status::Ok();
  dirty_ = false;
  return consumer_.commit();
}

Status ConsumeLoop::run() {
  using Clock = std::chrono::steady_clock;
  auto last_commit = Clock::now();
  Status result;
  while (!done_) {
    if (stop_requested()) break;
    if (opts_.count >= 0 && emitted_ >= opts_.count) {
      done_ = true;
      break;
    }
    Status st = consumer_.poll(batch_, opts_.poll_timeout);
    if (st.is(StatusCode::kEndOfStream)) {
      done_ = true;
    } else if (!st.ok()) {
      result = st;
      break;
    }
    for (const Message& raw : batch_.messages) {
      if (opts_.count >= 0 && emitted_ >= opts_.count) {
        done_ = true;
        break;
      }
      const Message* mp = &raw;
      if (opts_.decoder) {
        Status ds = opts_.decoder->decode(raw, decoded_);
        if (!ds.ok()) {
          if (ds.is(StatusCode::kBadData)) ds = ds.With(position_of(raw));
          if (!ds.is(StatusCode::kBadData) || !opts_.skip_undecodable) {
            result = ds;
            done_ = true;
            break;
          }
          warn(ds.message() + " (skipped)");
          stats_.add_error();
          ++skipped_;
          continue;
        }
        mp = &decoded_;
      }
      const Message& m = *mp;
      std::string& out = sink_.buffer();
      size_t before = out.size();
      opts_.format.render(m, out);
      if (opts_.length_prefix != Framing::Kind::kLine) {
        prefix_.clear();
        append_length_prefix(opts_.length_prefix, out.size() - before, prefix_);
        out.insert(before, prefix_);
      } else {
        out += opts_.delimiter;
      }
      sink_.end_record();
      if (opts_.group) pending_.push_back({intern(m.stream), m.shard, m.seq});
      stats_.add(1, out.size() - before);
      ++emitted_;
    }
    if (!result.ok()) break;  // a record that does not decode: what came before it goes out
    st = sink_.flush();
    if (st.is(StatusCode::kTryAgain)) break;  // stop signal while blocked
    if (!st.ok()) {
      result = st;
      break;
    }
    if (opts_.group) settle();
    if (batch_.empty() && sink_.reader_gone()) {
      result = Status::Closed("reader went away");
      break;
    }
    stats_.tick();
    if (opts_.group && Clock::now() - last_commit >= opts_.commit_interval) {
      SLUICE_RETURN_IF_ERROR(settle_and_commit());
      last_commit = Clock::now();
    }
  }
  // Finishing: with a group (or a named pipe), wait until the reader took
  // everything or left, so that the final commit covers exactly what it
  // read and a named pipe's next reader gets what this one did not.
  if ((result.ok() || result.is(StatusCode::kBadData)) && (opts_.group || opts_.drain_at_end)) {
    Status st = sink_.drain();
    if (st.is(StatusCode::kClosed) && result.ok())
      result = st;
    else if (!st.ok() && !st.is(StatusCode::kTryAgain) && !st.is(StatusCode::kClosed))
      result = st;
  } else if (result.ok() || result.is(StatusCode::kBadData)) {
    Status st = sink_.flush();
    if (!st.ok() && !st.is(StatusCode::kTryAgain) && (result.ok() || !st.is(StatusCode::kClosed)))
      result = st;
  }
  Status cst = settle_and_commit();
  if (!cst.ok() && (result.ok() || result.is(StatusCode::kClosed))) return cst;
  return result;
}

}  // namespace sluice
