// flux: named pipe or stdin -> stream producer. Parses flags and wires
// libsluice objects together; the work happens in sluice::Ingest.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <optional>

#include "common/cli.h"
#include "flux/flags.h"
#include "sluice/backend.h"
#include "sluice/env.h"
#include "sluice/fifo.h"
#include "sluice/ingest.h"
#include "sluice/schema_registry.h"
#include "sluice/signals.h"
#include "sluice/stats.h"
#include "sluice/uri.h"

using namespace sluice;

namespace {

// Defaults come from the flag table (flux/flags.h).
struct Flags {
  std::vector<std::string> args;
  std::string delimiter;
  bool null = false;
  std::string framing;
  bool envelope = false;
  std::string input_format;
  bool csv_header = false;
  std::string csv_delimiter;
  bool infer = false;
  bool to_json = false;
  std::string encode;
  std::string schema_registry;
  std::string subject;
  std::string schema;
  std::string key_field;
  std::string key_delimiter;
  std::vector<std::string> headers;
  bool once = false;
  std::string mode;
  std::string on_error;
  std::string max_record;
  std::string fsync;
  std::string fsync_interval;
  std::string segment_bytes;
  std::string retention;
  int64_t shards = 0;
  std::string timeout;
  bool stats = false;
  bool progress = false;
};

// Waits until the pipe has a writer that wrote or left, serving the
// producer meanwhile (delivery reports, interval fsync); false on stop.
bool wait_for_writer(int fd, Producer& producer) {
  for (;;) {
    (void)producer.poll(Millis(0));
    struct pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
    int n = poll(p, stop_fd() >= 0 ? 2 : 1, 200);
    if (stop_requested()) return false;
    if (n > 0 && p[0].revents != 0) return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  set_program_name("flux");
  cli::Args a;
  if (int rc = a.parse(tools::flux::kSpec, argc, argv); rc >= 0) return rc;
  Flags f;
  int rc = 0;
  f.args = a.positionals();
  f.delimiter = a.value("delimiter");
  f.null = a.has("null");
  if (a.has("framing") && !a.choice("framing", &f.framing, &rc)) return rc;
  f.envelope = a.has("envelope");
  if (!a.choice("input", &f.input_format, &rc)) return rc;
  f.csv_header = a.has("csv-header");
  f.csv_delimiter = a.value("csv-delimiter");
  f.infer = a.has("infer");
  f.to_json = a.has("to-json");
  if (a.has("encode") && !a.choice("encode", &f.encode, &rc)) return rc;
  f.schema_registry = a.value("schema-registry");
  f.subject = a.value("subject");
  f.schema = a.value("schema");
  f.key_field = a.value("key-field");
  f.key_delimiter = a.value("key-delimiter");
  f.headers = a.values("header");
  f.once = a.has("once");
  f.mode = a.value("mode");
  f.on_error = a.value("on-error");
  f.max_record = a.value("max-record-bytes");
  f.fsync = a.value("fsync");
  f.fsync_interval = a.value("fsync-interval");
  if (a.has("segment-bytes")) f.segment_bytes = a.value("segment-bytes");
  f.retention = a.value("retention");
  if (!a.integer("shards", 0, &f.shards, &rc)) return rc;
  f.timeout = a.value("timeout");
  f.stats = a.has("stats");
  f.progress = a.has("progress");

  // ---- validate flags
  std::string input = f.args.size() == 2 ? f.args[0] : "-";
  auto uri = parse_stream_uri(f.args.back());
  if (!uri.ok()) return cli::fail(uri.status());

  // The file: log's own settings mean nothing to a broker: say so rather
  // than let a user believe a Kafka topic now keeps 7 days.
  if (uri->scheme != Scheme::kFile) {
    for (const char* opt : {"fsync", "fsync-interval", "segment-bytes", "retention", "shards"}) {
      if (!a.has(opt)) continue;
      std::string hint = uri->scheme == Scheme::kKafka   ? "configure the topic on the brokers"
                         : uri->scheme == Scheme::kStdio ? "the output is a stream of lines"
                                                         : "trim with ?maxlen=N in the URI";
      return cli::usage_error("--" + std::string(opt) + " applies to file: streams only, not " +
                              std::string(scheme_name(uri->scheme)) + ": (" + hint + ")");
    }
  }

  IngestOptions in;
  if (f.null && !f.delimiter.empty())
    return cli::usage_error("--null and --delimiter cannot be used together");
  if (!f.framing.empty()) {
    if (f.null || !f.delimiter.empty()) {
      return cli::usage_error("--framing and --" + std::string(f.null ? "null" : "delimiter") +
                              " cannot be used together");
    }
    auto fr = Framing::LengthPrefixed(f.framing);
    if (!fr.ok()) return cli::fail(fr.status().With("--framing"));
    in.framing = *fr;
  }
  if (f.null) in.framing = Framing::Null();
  if (!f.delimiter.empty()) {
    auto fr = Framing::Delimited(f.delimiter);
    if (!fr.ok()) return cli::fail(fr.status().With("--delimiter"));
    in.framing = *fr;
  }
  if (f.envelope && (!f.key_field.empty() || !f.key_delimiter.empty())) {
    return cli::usage_error("--envelope carries its own key; drop --key-field/--key-delimiter");
  }
  if (!f.key_field.empty() && !f.key_delimiter.empty()) {
    return cli::usage_error("--key-field and --key-delimiter cannot be used together");
  }
  in.envelope = f.envelope;
  if (f.input_format == "msgpack") {
    in.input = IngestOptions::Input::kMsgpack;
    in.to_json = f.to_json;
    for (const char* opt : {"envelope", "delimiter", "null", "framing", "key-delimiter",
                            "csv-header", "csv-delimiter", "infer"}) {
      if (a.has(opt)) {
        return cli::usage_error("--" + std::string(opt) +
                                " does not apply to --input msgpack (values delimit themselves)");
      }
    }
    if (!f.key_field.empty() && !f.to_json) {
      return cli::usage_error("--key-field with --input msgpack needs --to-json");
    }
  } else if (f.to_json) {
    return cli::usage_error("--to-json needs --input msgpack");
  } else if (f.input_format != "lines") {
    in.input = f.input_format == "csv" ? IngestOptions::Input::kCsv : IngestOptions::Input::kTsv;
    for (const char* opt : {"envelope", "delimiter", "null", "framing", "key-delimiter"}) {
      if (a.has(opt)) {
        return cli::usage_error("--" + std::string(opt) + " does not apply to --input " +
                                f.input_format + " (rows are split by CSV's own rules)");
      }
    }
  } else {
    for (const char* opt : {"csv-header", "csv-delimiter", "infer"}) {
      if (a.has(opt)) return cli::usage_error("--" + std::string(opt) + " needs --input csv|tsv");
    }
  }
  in.csv_header = f.csv_header;
  in.infer = f.infer;
  if (a.has("csv-delimiter")) {
    std::string d = f.csv_delimiter == "\\t" ? "\t" : f.csv_delimiter;
    if (d.size() != 1 || d[0] == '"' || d[0] == '\r' || d[0] == '\n') {
      return cli::usage_error("--csv-delimiter '" + f.csv_delimiter +
                              "': expected one byte other than a quote, CR or LF, such as ';'");
    }
    in.csv_delimiter = d[0];
  }
  in.key_field = f.key_field;
  if (!f.key_delimiter.empty()) in.key_delimiter = f.key_delimiter;
  for (const std::string& h : f.headers) {
    size_t eq = h.find('=');
    if (eq == std::string::npos || eq == 0) {
      return cli::usage_error("--header '" + h + "': expected NAME=VALUE");
    }
    in.headers.emplace_back(h.substr(0, eq), h.substr(eq + 1));
  }
  auto max_record = parse_size(f.max_record);
  if (!max_record.ok() || *max_record <= 0 || *max_record > (int64_t{1} << 30)) {
    return cli::usage_error("--max-record-bytes '" + f.max_record +
                            "': expected a size from 1 to 1G, such as 1M");
  }
  in.max_record_bytes = static_cast<size_t>(*max_record);

  ProducerOptions po;
  if (f.fsync == "always")
    po.fsync = FsyncPolicy::kAlways;
  else if (f.fsync == "interval")
    po.fsync = FsyncPolicy::kInterval;
  else if (f.fsync == "never")
    po.fsync = FsyncPolicy::kNever;
  else
    return cli::usage_error("--fsync '" + f.fsync + "': expected always, interval or never");
  auto fi = parse_duration_ms(f.fsync_interval);
  if (!fi.ok()) return cli::fail(fi.status().With("--fsync-interval"));
  po.fsync_interval = Millis(*fi);
  auto timeout = parse_duration_ms(f.timeout);
  if (!timeout.ok()) return cli::fail(timeout.status().With("--timeout"));
  po.timeout = Millis(*timeout);
  if (!f.segment_bytes.empty()) {
    auto sb = parse_size(f.segment_bytes);
    if (!sb.ok() || *sb < 4096)
      return cli::usage_error("--segment-bytes '" + f.segment_bytes +
                              "': expected a size of at least 4K");
    po.segment_bytes = *sb;
    po.change_segment_bytes = true;
  }
  if (a.has("shards")) {
    if (f.shards < 1 || f.shards > 1024) {
      return cli::usage_error("--shards '" + std::to_string(f.shards) +
                              "': expected a number of shards from 1 to 1024");
    }
    po.shards = static_cast<int32_t>(f.shards);
  }
  if (!f.retention.empty()) {
    auto r = parse_retention(f.retention);
    if (!r.ok()) return cli::fail(r.status().With("--retention"));
    po.retention_ms = r->first;
    po.retention_bytes = r->second;
    po.change_retention = true;
  }
  unsigned mode = 0600;
  if (!cli::parse_mode(f.mode, &mode))
    return cli::usage_error("--mode '" + f.mode + "': expected octal permissions such as 0600");

  std::optional<StreamUri> dlq_uri;
  if (f.on_error == "fail") {
    in.on_error = IngestOptions::OnError::kFail;
  } else if (f.on_error == "skip") {
    in.on_error = IngestOptions::OnError::kSkip;
  } else if (f.on_error.rfind("dlq:", 0) == 0) {
    auto u = parse_stream_uri(f.on_error.substr(4));
    if (!u.ok()) return cli::fail(u.status().With("--on-error"));
    dlq_uri = *u;
    in.on_error = IngestOptions::OnError::kDeadLetter;
  } else {
    return cli::usage_error("--on-error '" + f.on_error + "': expected fail, skip or dlq:URI");
  }

  // ---- --encode avro: the schema comes from a file, the registry, or both
  // (the file's schema registered under the subject)
  std::unique_ptr<SchemaRegistry> registry;
  std::optional<AvroRecordEncoder> encoder;
  if (!f.encode.empty()) {
    if (f.input_format == "msgpack" && !f.to_json) {
      return cli::usage_error("--encode avro with --input msgpack needs --to-json");
    }
    if (f.schema_registry.empty() && f.schema.empty()) {
      return cli::usage_error(
          "--encode avro needs --schema-registry URL --subject NAME, or --schema FILE");
    }
    if (f.schema_registry.empty() != f.subject.empty()) {
      return cli::usage_error(f.subject.empty() ? "--schema-registry needs --subject NAME"
                                                : "--subject needs --schema-registry URL");
    }
    std::optional<AvroSchema> schema;
    if (!f.schema.empty()) {
      auto sc = read_avro_schema(f.schema);
      if (!sc.ok()) return cli::fail(sc.status().With("--schema"));
      schema = std::move(*sc);
    }
    std::optional<int32_t> id;
    if (!f.schema_registry.empty()) {
      auto r = SchemaRegistry::Open(f.schema_registry);
      if (!r.ok()) return cli::fail(r.status().With("--schema-registry"));
      registry = std::move(*r);
      if (schema) {
        auto got = registry->register_schema(f.subject, schema->text());
        if (!got.ok()) return cli::fail(got.status());
        id = *got;
      } else {
        auto latest = registry->latest(f.subject);
        if (!latest.ok()) return cli::fail(latest.status());
        auto sc = AvroSchema::Parse(latest->second);
        if (!sc.ok()) {
          return cli::fail(Status::Config("subject '" + f.subject + "': " + sc.status().message()));
        }
        id = latest->first;
        schema = std::move(*sc);
      }
    }
    encoder.emplace(std::move(*schema), id);
    in.encoder = &*encoder;
  } else {
    for (const char* opt : {"schema-registry", "subject", "schema"}) {
      if (a.has(opt)) return cli::usage_error("--" + std::string(opt) + " needs --encode avro");
    }
  }

  // ---- the input: everything that can fail is tried before a stream is
  // opened, so a bad argument leaves no stream behind
  PipeArg kind = input == "-" ? PipeArg::kMissing : classify_pipe_arg(input);
  if (input != "-" && kind == PipeArg::kMissing && looks_like_stream_uri(input)) {
    return cli::usage_error("'" + input +
                            "' is a stream URI where the input goes: flux reads stdin, a file "
                            "or a named pipe into one STREAM (to copy a stream: tap -F envelope "
                            "SOURCE | flux --envelope DEST)");
  }
  install_stop_handlers();
  std::optional<NamedPipe> pipe;
  UniqueFd file;
  if (kind == PipeArg::kRegularFile) {
    // An existing file is read like cat(1) reads it: what the user meant.
    int fd = open(input.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cli::fail(Status::FromErrno(errno, "cannot open '" + input + "'"));
    file.reset(fd);
  } else if (input != "-") {
    pipe.emplace();
    if (Status st = pipe->open(input, mode); !st.ok()) return cli::fail(st);
  }

  // ---- wire
  auto producer = open_producer(*uri, po);
  if (!producer.ok()) return cli::fail(producer.status());
  // A run that fails leaves no stream it created empty behind.
  std::unique_ptr<Producer> dead_letter;
  auto fail_run = [&](const Status& st) {
    (*producer)->discard_if_unused();
    if (dead_letter) dead_letter->discard_if_unused();
    return cli::fail(st);
  };
  if (dlq_uri) {
    ProducerOptions dlq_po = po;  // the settings flags are about STREAM
    dlq_po.change_segment_bytes = dlq_po.change_retention = false;
    auto p = open_producer(*dlq_uri, dlq_po);
    if (!p.ok()) return fail_run(p.status().With("dead-letter stream"));
    dead_letter = std::move(*p);
    in.dead_letter = dead_letter.get();
  }
  Status delivery_error;
  (*producer)->set_delivery_listener([&](uint64_t, const Status& st) {
    if (delivery_error.ok()) delivery_error = st;
  });
  RunStats stats(f.progress);
  Ingest ingest(**producer, in, stats);

  Status run;
  if (input == "-") {
    struct stat st;
    int flags = fcntl(0, F_GETFL);
    bool nonblock = fstat(0, &st) == 0 && !S_ISREG(st.st_mode) && flags >= 0;
    if (nonblock) fcntl(0, F_SETFL, flags | O_NONBLOCK);
    run = ingest.run(0, "stdin");
    if (nonblock) fcntl(0, F_SETFL, flags);
  } else if (file.valid()) {
    run = ingest.run(file.get(), input);
  } else {
    while (run.ok() && !stop_requested()) {
      auto fd = pipe->open_for_reading();
      if (!fd.ok()) {
        run = fd.status();
        break;
      }
      if (!wait_for_writer(*fd, **producer)) break;
      run = ingest.run(*fd, input);
      pipe->close_fd();
      if (f.once) break;
    }
  }

  // ---- drain: exit only after every accepted record is acknowledged
  Status flushed = (*producer)->flush(po.timeout);
  if (dead_letter) {
    Status d = dead_letter->flush(po.timeout);
    if (flushed.ok()) flushed = d;
  }
  stats.end_progress();
  if (f.stats) fprintf(stderr, "flux: %s\n", stats.summary().c_str());
  if (!run.ok()) return fail_run(run);
  if (!flushed.ok()) {
    if (flushed.is(StatusCode::kTimedOut)) {
      return fail_run(Status::TimedOut("records still unacknowledged after --timeout " + f.timeout +
                                       ": " + flushed.message()));
    }
    return fail_run(flushed);
  }
  if ((*producer)->failed() > 0) {
    return fail_run(
        delivery_error.With(std::to_string((*producer)->failed()) + " records were not delivered"));
  }
  if (ingest.rejected() > 0 && in.on_error == IngestOptions::OnError::kSkip) {
    (*producer)->discard_if_unused();
    fprintf(stderr, "flux: %llu bad records were skipped\n",
            static_cast<unsigned long long>(ingest.rejected()));
    return static_cast<int>(ExitCode::kDataErr);
  }
  return 0;
}
