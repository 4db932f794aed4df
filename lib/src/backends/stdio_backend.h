// The stdio backend (`-` or `stdio:`): a Producer that writes NDJSON
// envelopes to stdout and a Consumer that reads them from stdin, so any
// producing tool can feed any consuming tool through an ordinary pipe.
#pragma once

#include <memory>

#include "sluice/backend.h"

namespace sluice {

// Writes to `fd` (stdout by default). A record is acknowledged once the
// reader took it (OutputSink::taken: read out of a pipe; written to a file
// or anything else); a closed reader fails the rest (kClosed).
Result<std::unique_ptr<Producer>> open_stdio_producer(const StreamUri& uri,
                                                      const ProducerOptions& o, int fd = 1);
// Reads envelopes from `fd` (stdin by default); a malformed line is kBadData
// naming its line number. Groups are not supported (nothing to commit to).
Result<std::unique_ptr<Consumer>> open_stdio_consumer(const StreamUri& uri,
                                                      const ConsumerOptions& o, int fd = 0);

}  // namespace sluice
