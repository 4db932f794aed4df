// tap: stream consumer -> stdout or a named pipe. Parses flags and wires
// libsluice objects together; the work happens in sluice::ConsumeLoop.
#include <unistd.h>

#include <cstdio>
#include <optional>

#include "common/cli.h"
#include "sluice/backend.h"
#include "sluice/consume.h"
#include "sluice/fifo.h"
#include "sluice/schema_registry.h"
#include "sluice/signals.h"
#include "sluice/sink.h"
#include "sluice/stats.h"
#include "sluice/uri.h"
#include "tap/flags.h"

using namespace sluice;

namespace {
// Defaults come from the flag table (tap/flags.h).
struct Flags {
  std::vector<std::string> args;
  std::string from;
  std::string group;
  std::string consumer;
  int64_t count = -1;
  bool exit = false;
  std::string format;
  std::string fields;
  bool csv_header = false;
  std::string delimiter;
  bool null = false;
  std::string framing;
  std::string decode;
  std::string key_decode;
  std::string schema_registry;
  std::string schema;
  bool once = false;
  std::string mode;
  std::string timeout;
  std::string session_timeout;
  std::string on_error;
  bool stats = false;
  bool progress = false;
};
}  // namespace

int main(int argc, char** argv) {
  set_program_name("tap");
  cli::Args a;
  if (int rc = a.parse(tools::tap::kSpec, argc, argv); rc >= 0) return rc;
  int rc = 0;
  Flags f;
  f.args = a.positionals();
  f.from = a.value("from");
  f.group = a.value("group");
  f.consumer = a.value("consumer");
  if (!a.integer("count", -1, &f.count, &rc)) return rc;
  f.exit = a.has("exit");
  f.format = a.value("format");
  f.fields = a.value("fields");
  f.csv_header = a.has("csv-header");
  f.delimiter = a.value("delimiter");
  f.null = a.has("null");
  if (a.has("framing") && !a.choice("framing", &f.framing, &rc)) return rc;
  if (a.has("decode") && !a.choice("decode", &f.decode, &rc)) return rc;
  if (a.has("key-decode") && !a.choice("key-decode", &f.key_decode, &rc)) return rc;
  f.schema_registry = a.value("schema-registry");
  f.schema = a.value("schema");
  f.once = a.has("once");
  f.mode = a.value("mode");
  f.timeout = a.value("timeout");
  f.session_timeout = a.value("session-timeout");
  if (!a.choice("on-error", &f.on_error, &rc)) return rc;
  f.stats = a.has("stats");
  f.progress = a.has("progress");

  auto uri = parse_stream_uri(f.args.front());
  if (!uri.ok()) return cli::fail(uri.status());
  std::string output = f.args.size() == 2 ? f.args[1] : "-";

  ConsumerOptions co;
  auto from = parse_start_position(f.from, now_us());
  if (!from.ok()) return cli::fail(from.status().With("--from"));
  co.from = *from;
  co.group = f.group;
  if (!f.consumer.empty() && f.group.empty()) return cli::usage_error("--consumer needs --group");
  co.consumer = f.consumer;
  co.exit_at_end = f.exit;
  auto timeout = parse_duration_ms(f.timeout);
  if (!timeout.ok()) return cli::fail(timeout.status().With("--timeout"));
  co.timeout = Millis(*timeout);
  if (a.has("session-timeout")) {
    if (f.group.empty()) return cli::usage_error("--session-timeout needs --group");
    auto session_timeout = parse_duration_ms(f.session_timeout);
    if (!session_timeout.ok()) {
      return cli::fail(session_timeout.status().With("--session-timeout"));
    }
    if (*session_timeout <= 0) {
      return cli::usage_error("--session-timeout '" + f.session_timeout +
                              "': expected a duration above 0, such as 10s");
    }
    co.session_timeout = Millis(*session_timeout);
  }
  // -1 is "no limit" inside, never a value a user may give.
  if (a.has("count") && f.count < 0) {
    return cli::usage_error("--count '" + std::to_string(f.count) +
                            "': expected a number of messages, 0 or more");
  }
  co.skip_corrupt = f.on_error == "skip";
  if (f.count == 0) return 0;

  ConsumeOptions opts;
  const bool rows = f.format == "csv" || f.format == "tsv";
  if (rows && !a.has("fields")) {
    return cli::usage_error("--format " + f.format + " needs --fields (such as --fields id,name)");
  }
  if (!rows && (a.has("fields") || f.csv_header)) {
    return cli::usage_error(std::string(a.has("fields") ? "--fields" : "--csv-header") +
                            " needs --format csv|tsv");
  }
  auto format = rows ? OutputFormat::Csv(f.fields, f.format == "tsv", f.csv_header)
                     : OutputFormat::Parse(f.format);
  if (!format.ok()) return cli::fail(format.status().With(rows ? "--fields" : "--format"));
  opts.format = *format;
  if (f.null && !f.delimiter.empty())
    return cli::usage_error("--null and --delimiter cannot be used together");
  // Templates carry their own delimiters; MessagePack values delimit themselves.
  const bool is_template = f.format != "payload" && f.format != "envelope" && !rows;
  opts.delimiter = is_template || opts.format.is_msgpack() ? "" : "\n";
  if (f.null) opts.delimiter = std::string(1, '\0');
  if (!f.delimiter.empty()) {
    auto fr = Framing::Delimited(f.delimiter);
    if (!fr.ok()) return cli::fail(fr.status().With("--delimiter"));
    opts.delimiter = fr->delimiter;
  }
  if (!f.framing.empty()) {
    if (f.null || !f.delimiter.empty()) {
      return cli::usage_error("--framing and --" + std::string(f.null ? "null" : "delimiter") +
                              " cannot be used together");
    }
    auto fr = Framing::LengthPrefixed(f.framing);
    if (!fr.ok()) return cli::fail(fr.status().With("--framing"));
    opts.length_prefix = fr->kind;
  }
  // --decode avro: a registry (framed values) or a schema file (bare datums).
  std::unique_ptr<SchemaRegistry> registry;
  std::optional<AvroRecordDecoder> decoder;
  if (!f.decode.empty() || !f.key_decode.empty()) {
    if (!f.schema.empty() && f.decode.empty()) {
      return cli::usage_error("--schema needs --decode avro (keys are decoded through a registry)");
    }
    if (!f.key_decode.empty() && f.schema_registry.empty()) {
      return cli::usage_error("--key-decode avro needs --schema-registry URL");
    }
    if (f.schema_registry.empty() == f.schema.empty()) {
      return cli::usage_error(
          f.schema.empty()
              ? "--decode avro needs --schema-registry URL (framed values) or --schema FILE"
              : "--schema-registry and --schema cannot be used together (--schema: bare datums)");
    }
    std::optional<AvroSchema> plain;
    if (!f.schema.empty()) {
      auto schema = read_avro_schema(f.schema);
      if (!schema.ok()) return cli::fail(schema.status().With("--schema"));
      plain = std::move(*schema);
    } else {
      auto r = SchemaRegistry::Open(f.schema_registry);
      if (!r.ok()) return cli::fail(r.status().With("--schema-registry"));
      registry = std::move(*r);
    }
    decoder.emplace(registry.get(), std::move(plain), !f.decode.empty(), !f.key_decode.empty());
    opts.decoder = &*decoder;
    opts.skip_undecodable = f.on_error == "skip";
  } else if (!f.schema_registry.empty() || !f.schema.empty()) {
    return cli::usage_error(std::string(f.schema.empty() ? "--schema-registry" : "--schema") +
                            " needs --decode avro or --key-decode avro");
  }
  opts.count = f.count;
  opts.group = !f.group.empty();
  // A named pipe's next reader gets what the last one left unread.
  opts.drain_at_end = output != "-";
  unsigned mode = 0600;
  if (!cli::parse_mode(f.mode, &mode))
    return cli::usage_error("--mode '" + f.mode + "': expected octal permissions such as 0600");

  if (output != "-") {
    PipeArg kind = classify_pipe_arg(output);
    if (kind == PipeArg::kMissing && looks_like_stream_uri(output)) {
      return cli::usage_error("'" + output +
                              "' is a stream URI where the output pipe goes: tap reads "
                              "STREAM to stdout or a named pipe (several streams: file:DIR/a,b)");
    }
    if (kind == PipeArg::kRegularFile) {
      return cli::fail(
          Status::CannotCreate("'" + output +
                               "' is a regular file, not a named pipe: tap "
                               "will not write over it (to write a file, redirect: tap STREAM > '" +
                               output + "')"));
    }
  }

  install_stop_handlers();
  std::optional<NamedPipe> pipe;
  int fd = 1;
  if (output != "-") {
    pipe.emplace();
    if (Status st = pipe->open(output, mode); !st.ok()) return cli::fail(st);
  }
  auto consumer = open_consumer(*uri, co);
  if (!consumer.ok()) return cli::fail(consumer.status());
  if (pipe) {
    auto w = pipe->wait_for_reader();
    if (!w.ok()) return stop_requested() ? 0 : cli::fail(w.status());
    fd = *w;
  }

  RunStats stats(f.progress);
  OutputSink sink(fd, opts.group);
  ConsumeLoop loop(**consumer, sink, opts, stats);
  Status st;
  for (;;) {
    st = loop.run();
    if (!st.is(StatusCode::kClosed) || !pipe || f.once || stop_requested()) break;
    // The reader left: what it did not take waits for the next one.
    auto w = pipe->wait_for_reader();
    if (!w.ok()) {
      if (!stop_requested()) st = w.status();
      break;
    }
    sink.reattach(*w);
  }
  stats.end_progress();
  stats.set_skipped((*consumer)->skipped() + loop.skipped());
  if (f.stats) fprintf(stderr, "tap: %s\n", stats.summary().c_str());
  if (st.is(StatusCode::kClosed)) return 0;  // a closed reader is a normal end
  if (!st.ok()) return cli::fail(st);
  return 0;
}
