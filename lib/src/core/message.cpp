#include "sluice/message.h"

#include <chrono>

#include "sluice/env.h"

namespace sluice {

OwnedMessage::OwnedMessage(const Message& m)
    : stream(m.stream), shard(m.shard), seq(m.seq), id(m.id), ts_us(m.ts_us) {
  if (m.key) key.emplace(*m.key);
  if (m.payload) payload.emplace(*m.payload);
  headers.reserve(m.headers.size());
  for (const Header& h : m.headers) headers.emplace_back(h.name, h.value);
  refresh();
}

OwnedMessage::OwnedMessage(const OwnedMessage& o)
    : stream(o.stream),
      shard(o.shard),
      seq(o.seq),
      id(o.id),
      ts_us(o.ts_us),
      key(o.key),
      headers(o.headers),
      payload(o.payload) {
  refresh();
}

OwnedMessage& OwnedMessage::operator=(const OwnedMessage& o) {
  if (this != &o) {
    stream = o.stream;
    shard = o.shard;
    seq = o.seq;
    id = o.id;
    ts_us = o.ts_us;
    key = o.key;
    headers = o.headers;
    payload = o.payload;
    refresh();
  }
  return *this;
}

OwnedMessage::OwnedMessage(OwnedMessage&& o) noexcept
    : stream(std::move(o.stream)),
      shard(o.shard),
      seq(o.seq),
      id(std::move(o.id)),
      ts_us(o.ts_us),
      key(std::move(o.key)),
      headers(std::move(o.headers)),
      payload(std::move(o.payload)) {
  refresh();
}

OwnedMessage& OwnedMessage::operator=(OwnedMessage&& o) noexcept {
  stream = std::move(o.stream);
  shard = o.shard;
  seq = o.seq;
  id = std::move(o.id);
  ts_us = o.ts_us;
  key = std::move(o.key);
  headers = std::move(o.headers);
  payload = std::move(o.payload);
  refresh();
  return *this;
}

void OwnedMessage::refresh() {
  header_views_.clear();
  for (const auto& [n, v] : headers) header_views_.push_back({n, v});
  view_.stream = stream;
  view_.shard = shard;
  view_.seq = seq;
  view_.id = id;
  view_.ts_us = ts_us;
  view_.key = key ? std::optional<std::string_view>(*key) : std::nullopt;
  view_.headers = header_views_;
  view_.payload = payload ? std::optional<std::string_view>(*payload) : std::nullopt;
}

// The wall clock is read in one place, the Env.
int64_t now_us() {
  return Env::Default()->now_us();
}

}  // namespace sluice
