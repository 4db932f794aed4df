// Fuzz target: the body of a MySQL TRANSACTION_PAYLOAD event (cdc-mysql;
// zstd-compressed inner events, mysql_payload.cpp). The bytes come from the
// server, so anything goes: no crash, and the inner events split cleanly
// or with an error.
#include <string>

#include "cdc/mysql_payload.h"

using namespace sluice;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* bytes, size_t size) {
  std::string_view body(reinterpret_cast<const char*>(bytes), size);
  std::string out;
  if (!mysql::decode_transaction_payload(body, &out).ok()) return 0;
  std::string_view events = out;
  mysql::RawEvent ev;
  while (!events.empty() && mysql::next_payload_event(&events, 4, &ev).ok()) {
  }
  return 0;
}
