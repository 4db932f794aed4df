// The `file:` backend: Producer, Consumer and Admin over the embedded log
// (filelog/filelog.h). The generic open_producer/open_consumer/open_admin
// (registry.cpp) dispatch here for file: URIs.
//
// Producer: produce() serializes into one batch buffer per target stream;
// the buffer is written (one pwritev under the stream lock) once it passes
// 256 KiB, or in poll()/flush(). A ticket is acknowledged when its batch is
// written and the fsync policy satisfied; a failed batch fails its tickets
// through the DeliveryListener and leaves nothing behind in the log.
// Message.stream names another stream in the same cluster directory
// (created on first use). poll() does not block when nothing is pending.
//
// Consumer: reads every stream of the URI, following growth with inotify
// (10 ms polling fallback). A group keeps one active member per stream (a
// second gets kTryAgain) and stores the committed next seq per stream.
//
// Thread safety: as backend.h (one thread per object; Consumer::wake() from
// anywhere, including signal handlers).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "sluice/backend.h"
#include "sluice/env.h"

namespace sluice {

Result<std::unique_ptr<Producer>> open_file_producer(const StreamUri& uri,
                                                     const ProducerOptions& opts);
Result<std::unique_ptr<Consumer>> open_file_consumer(const StreamUri& uri,
                                                     const ConsumerOptions& opts);
Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri);

// The same with an explicit Env (tests inject faults and fake clocks).
Result<std::unique_ptr<Producer>> open_file_producer(const StreamUri& uri,
                                                     const ProducerOptions& opts, Env* env);
Result<std::unique_ptr<Consumer>> open_file_consumer(const StreamUri& uri,
                                                     const ConsumerOptions& opts, Env* env);
Result<std::unique_ptr<Admin>> open_file_admin(const StreamUri& uri, Env* env);

// Shared by the file producer, consumer and admin: kInvalidArgument for a
// stream name that is empty, "." or "..", or holds '/' or NUL; and the
// directory of the URI's streams ("." when it names none).
Status check_file_stream_name(std::string_view name);
std::string file_cluster_dir(const StreamUri& uri);

}  // namespace sluice
