#include "sluice/ingest.h"

#include <poll.h>
#include <simdjson.h>

#include <cstring>

#include "sluice/csv.h"
#include "sluice/envelope.h"
#include "sluice/msgpack.h"
#include "sluice/reader.h"
#include "sluice/signals.h"

namespace sluice {

namespace {
// How often (in records) the backend is served while input keeps coming.
constexpr uint64_t kPollEvery = 4096;

}  // namespace

struct Ingest::Impl {
  EnvelopeDecoder decoder;
  simdjson::ondemand::parser od_parser;
  std::string padded;   // the record and simdjson's padding, for od_parser
  std::string key;      // extracted key (unescaped)
  std::string encoded;  // the payload as opts.encoder made it
  std::string pointer;
  std::vector<Header> headers;
  std::vector<Header> fixed_headers;
  std::vector<Header> msgpack_headers;  // content-type, then the fixed ones
};

Ingest::Ingest(Producer& out, IngestOptions opts, RunStats& stats)
    : out_(out), opts_(std::move(opts)), stats_(stats), impl_(std::make_unique<Impl>()) {
  if (!opts_.key_field.empty()) impl_->pointer = json_pointer_from_path(opts_.key_field);
  for (const auto& [n, v] : opts_.headers) impl_->fixed_headers.push_back({n, v});
  impl_->msgpack_headers.push_back({kContentTypeHeader, kMsgpackContentType});
  impl_->msgpack_headers.insert(impl_->msgpack_headers.end(), impl_->fixed_headers.begin(),
                                impl_->fixed_headers.end());
}

Ingest::~Ingest() = default;

Status Ingest::reject(const std::string& source, uint64_t line, std::string_view record,
                      const std::string& reason) {
  ++rejected_;
  stats_.add_error();
  std::string where = source + " line " + std::to_string(line);
  if (opts_.on_error == IngestOptions::OnError::kFail) {
    return Status::BadData(where + ": " + reason);
  }
  if (opts_.on_error == IngestOptions::OnError::kDeadLetter && opts_.dead_letter != nullptr) {
    std::string line_text = std::to_string(line);
    Header hs[3] = {
        {"sluice.error", reason}, {"sluice.line", line_text}, {"sluice.source", source}};
    Message m;
    m.payload = record;
    m.headers = hs;
    Status st = opts_.dead_letter->produce(m);
    if (!st.ok()) return st.With("cannot write to the dead-letter stream");
    warn(where + ": " + reason + " (sent to the dead-letter stream)");
    return Status::Ok();
  }
  warn(where + ": " + reason + " (skipped)");
  return Status::Ok();
}

Status Ingest::produce_record(std::string_view record, const std::string& source, uint64_t line) {
  Impl& im = *impl_;
  Message m;
  if (opts_.envelope) {
    // A blank line between envelopes is no record (NDJSON readers skip it).
    if (record.find_first_not_of(" \t\r") == std::string_view::npos) return Status::Ok();
    Status st = im.decoder.decode(record, m);
    if (!st.ok()) return reject(source, line, record, "invalid envelope: " + st.message());
    m.stream = {};
    m.shard = -1;
    m.seq = -1;
    m.ts_us = 0;
    if (!im.fixed_headers.empty()) {
      im.headers.assign(m.headers.begin(), m.headers.end());
      im.headers.insert(im.headers.end(), im.fixed_headers.begin(), im.fixed_headers.end());
      m.headers = im.headers;
    }
  } else {
    m.payload = record;
    m.headers = im.fixed_headers;
    if (opts_.key_delimiter) {
      size_t at = record.find(*opts_.key_delimiter);
      if (at != std::string_view::npos) {
        m.key = record.substr(0, at);
        m.payload = record.substr(at + opts_.key_delimiter->size());
      }
    } else if (!im.pointer.empty()) {
      // A record that is not JSON, or has no such field, or a path that
      // leads through a non-object, goes without a key: the record itself
      // is never lost to --key-field.
      // On demand: only the path to the field is parsed, not the whole
      // record (the DOM parser took half of flux's time with --key-field).
      im.padded.assign(record.data(), record.size());
      im.padded.append(simdjson::SIMDJSON_PADDING, '\0');
      simdjson::padded_string_view input(im.padded.data(), record.size(), im.padded.size());
      simdjson::ondemand::document doc;
      simdjson::ondemand::value v;
      simdjson::ondemand::json_type type{};
      auto err = im.od_parser.iterate(input).get(doc);
      if (!err) err = doc.at_pointer(im.pointer).get(v);
      if (!err) err = v.type().get(type);
      if (!err && type == simdjson::ondemand::json_type::string) {
        std::string_view text;
        if (!v.get_string().get(text)) {
          im.key.assign(text);
          m.key = im.key;
        }
      } else if (!err && type != simdjson::ondemand::json_type::null) {
        std::string_view raw;
        if (!simdjson::to_json_string(v).get(raw)) {
          im.key.resize(raw.size());
          size_t len = 0;
          if (!simdjson::minify(raw.data(), raw.size(), im.key.data(), len)) {
            im.key.resize(len);
            m.key = im.key;
          }
        }
      }
    }
  }
  if (opts_.encoder && m.payload) {
    im.encoded.clear();
    Status st = opts_.encoder->encode(*m.payload, im.encoded);
    if (st.is(StatusCode::kBadData)) return reject(source, line, record, st.message());
    if (!st.ok()) return st;
    m.payload = im.encoded;
  }
  Status st = out_.produce(m);
  if (!st.ok()) return st;
  stats_.add(1, record.size());
  return Status::Ok();
}

Status Ingest::wait_for_input(int fd) {
  // Input is quiet: hand what we have to the backend before waiting.
  SLUICE_RETURN_IF_ERROR(out_.poll(Millis(0)));
  stats_.tick();
  struct pollfd p[2] = {{fd, POLLIN, 0}, {stop_fd(), POLLIN, 0}};
  ::poll(p, stop_fd() >= 0 ? 2 : 1, 200);
  return Status::Ok();
}

Status Ingest::run_csv(int fd, const std::string& source) {
  CsvDialect dialect =
      opts_.input == IngestOptions::Input::kTsv ? CsvDialect::Tsv() : CsvDialect::Csv();
  if (opts_.csv_delimiter != 0) dialect.delimiter = opts_.csv_delimiter;
  CsvReader reader(fd, dialect, opts_.max_record_bytes);
  CsvToJson json(opts_.infer);  // each writer of a pipe brings its own header
  CsvRow row;
  std::string text;
  uint64_t since_poll = 0;
  for (;;) {
    if (stop_requested()) return Status::Ok();
    switch (reader.next(&row)) {
      case CsvReader::Next::kRow: {
        if (opts_.csv_header && !json.has_header()) {
          Status st = json.set_header(row);
          if (!st.ok()) {
            return Status::BadData(source + " line " + std::to_string(reader.line()) + ": " +
                                   st.message());
          }
          break;
        }
        Status st = json.convert(row, &text);
        if (!st.ok()) {
          SLUICE_RETURN_IF_ERROR(reject(source, reader.line(), reader.raw(), st.message()));
          break;
        }
        SLUICE_RETURN_IF_ERROR(produce_record(text, source, reader.line()));
        if (++since_poll >= kPollEvery) {
          since_poll = 0;
          SLUICE_RETURN_IF_ERROR(out_.poll(Millis(0)));
          stats_.tick();
        }
        break;
      }
      case CsvReader::Next::kBad:
        if (opts_.csv_header && !json.has_header()) {  // no row can be read without it
          return Status::BadData(source + " line " + std::to_string(reader.line()) +
                                 ": the header row: " + reader.error());
        }
        SLUICE_RETURN_IF_ERROR(reject(source, reader.line(), reader.raw(), reader.error()));
        break;
      case CsvReader::Next::kWouldBlock:
        SLUICE_RETURN_IF_ERROR(wait_for_input(fd));
        break;
      case CsvReader::Next::kEof:
        return out_.poll(Millis(0));
      case CsvReader::Next::kError:
        if (stop_requested()) return Status::Ok();
        return reader.status().With("cannot read " + source);
    }
  }
}

Status Ingest::run_msgpack(int fd, const std::string& source) {
  MsgpackReader reader(fd, opts_.max_record_bytes);
  std::string json;
  uint64_t since_poll = 0;
  for (;;) {
    if (stop_requested()) return Status::Ok();
    std::string_view value;
    switch (reader.next(&value)) {
      case MsgpackReader::Next::kValue: {
        if (opts_.to_json) {
          Status st = msgpack_to_json(value, &json);
          if (!st.ok()) {
            SLUICE_RETURN_IF_ERROR(reject(source, reader.value_number(), value, st.message()));
            break;
          }
          SLUICE_RETURN_IF_ERROR(produce_record(json, source, reader.value_number()));
        } else {
          Message m;
          m.payload = value;
          m.headers = impl_->msgpack_headers;
          SLUICE_RETURN_IF_ERROR(out_.produce(m));
          stats_.add(1, value.size());
        }
        if (++since_poll >= kPollEvery) {
          since_poll = 0;
          SLUICE_RETURN_IF_ERROR(out_.poll(Millis(0)));
          stats_.tick();
        }
        break;
      }
      case MsgpackReader::Next::kCutShort:
        SLUICE_RETURN_IF_ERROR(reject(source, reader.value_number(), value, reader.error()));
        break;
      case MsgpackReader::Next::kWouldBlock:
        SLUICE_RETURN_IF_ERROR(wait_for_input(fd));
        break;
      case MsgpackReader::Next::kEof:
        return out_.poll(Millis(0));
      case MsgpackReader::Next::kError:
        if (stop_requested()) return Status::Ok();
        if (reader.status().is(StatusCode::kBadData)) {
          stats_.add_error();
          return Status::BadData(source + " " + reader.status().message());
        }
        return reader.status().With("cannot read " + source);
    }
  }
}

Status Ingest::run(int fd, const std::string& source) {
  if (opts_.input == IngestOptions::Input::kMsgpack) return run_msgpack(fd, source);
  if (opts_.input != IngestOptions::Input::kLines) return run_csv(fd, source);
  RecordReader reader(fd, opts_.framing, opts_.max_record_bytes);
  uint64_t since_poll = 0;
  for (;;) {
    if (stop_requested()) return Status::Ok();
    std::string_view rec;
    switch (reader.next(&rec)) {
      case RecordReader::Next::kRecord: {
        SLUICE_RETURN_IF_ERROR(produce_record(rec, source, reader.record_number()));
        if (++since_poll >= kPollEvery) {
          since_poll = 0;
          SLUICE_RETURN_IF_ERROR(out_.poll(Millis(0)));
          stats_.tick();
        }
        break;
      }
      case RecordReader::Next::kOversized:
        SLUICE_RETURN_IF_ERROR(reject(source, reader.record_number(), {},
                                      "record longer than the limit of " +
                                          std::to_string(opts_.max_record_bytes) +
                                          " bytes (raise --max-record-bytes)"));
        break;
      case RecordReader::Next::kCutShort:
        SLUICE_RETURN_IF_ERROR(
            reject(source, reader.record_number(), rec, reader.cut_short_reason()));
        break;
      case RecordReader::Next::kWouldBlock:
        SLUICE_RETURN_IF_ERROR(wait_for_input(fd));
        break;
      case RecordReader::Next::kEof:
        // The writer is gone; it may be a while before the next one comes.
        return out_.poll(Millis(0));
      case RecordReader::Next::kError:
        if (stop_requested()) return Status::Ok();
        return reader.status().With("cannot read " + source);
    }
  }
}

}  // namespace sluice
