// CSV/TSV parsing by hand: Debian's libcsv (3.0.3) was considered, but it
// cannot resume after a malformed row (the parser state is lost, so
// --on-error skip could not go on), reports no line numbers, and by default
// trims spaces and drops empty lines (not RFC 4180). The state machine here
// re-parses a row from its first byte when it straddles a read, so it keeps
// no state between rows and a bad row costs only itself.
#include "sluice/csv.h"

#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "codec/read_buffer.h"
#include "sluice/envelope.h"

namespace sluice {

namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

void append_tsv_unescaped(std::string_view f, std::string* out) {
  size_t i = 0;
  for (size_t at; (at = f.find('\\', i)) != std::string_view::npos && at + 1 < f.size();) {
    const char c = f[at + 1];
    const char decoded = c == 't' ? '\t' : c == 'n' ? '\n' : c == 'r' ? '\r' : c == '\\' ? '\\' : 0;
    if (decoded == 0) {  // not an escape: the backslash stays
      out->append(f.substr(i, at + 1 - i));
      i = at + 1;
      continue;
    }
    out->append(f.substr(i, at - i));
    out->push_back(decoded);
    i = at + 2;
  }
  out->append(f.substr(i));
}

// A row's length without its line end.
size_t raw_length(std::string_view row) {
  if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
  if (!row.empty() && row.back() == '\r') row.remove_suffix(1);
  return row.size();
}

std::string field_number(size_t i) {
  return "field " + std::to_string(i + 1);
}

// RFC 8259's number grammar: what --infer may write unquoted.
bool is_json_number(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  auto digits = [&] {
    size_t start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i;
    return i > start;
  };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') {
    ++i;
  } else if (!digits()) {
    return false;
  }
  if (i < n && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

}  // namespace

CsvParse::Result CsvParse::Row(std::string_view in, bool at_eof, const CsvDialect& d, CsvRow* row,
                               size_t* consumed, std::string* error) {
  row->clear();
  const char* s = in.data();
  const size_t n = in.size();
  const char delim = d.delimiter;
  // A malformed row is skipped to the end of the line the error is on.
  auto bad = [&](size_t at, std::string why) {
    const void* nl = at < n ? std::memchr(s + at, '\n', n - at) : nullptr;
    if (nl == nullptr && !at_eof) return Result::kNeedMore;
    *consumed = nl == nullptr ? n : static_cast<size_t>(static_cast<const char*>(nl) - s) + 1;
    *error = std::move(why);
    return Result::kBad;
  };
  auto end_field = [&] { row->ends_.push_back(row->data_.size()); };

  if (n == 0) return at_eof ? (*consumed = 0, Result::kBlank) : Result::kNeedMore;
  if (s[0] == '\n' || (n >= 2 && s[0] == '\r' && s[1] == '\n')) {
    *consumed = s[0] == '\n' ? 1 : 2;
    return Result::kBlank;
  }
  if (n == 1 && s[0] == '\r') return at_eof ? (*consumed = 1, Result::kBlank) : Result::kNeedMore;

  size_t pos = 0;
  for (;;) {
    if (d.quoting && pos < n && s[pos] == '"') {
      size_t p = pos + 1;
      for (;;) {
        const void* q = p < n ? std::memchr(s + p, '"', n - p) : nullptr;
        if (q == nullptr) {
          if (!at_eof) return Result::kNeedMore;
          *consumed = n;
          *error = field_number(row->size()) + ": the quote that opens it is never closed";
          return Result::kBad;
        }
        const size_t at = static_cast<size_t>(static_cast<const char*>(q) - s);
        row->data_.append(s + p, at - p);
        if (at + 1 == n && !at_eof) return Result::kNeedMore;
        if (at + 1 < n && s[at + 1] == '"') {  // "" is one quote
          row->data_.push_back('"');
          p = at + 2;
          continue;
        }
        pos = at + 1;
        break;
      }
      end_field();
      if (pos == n) {  // at_eof, or we would have asked for more
        *consumed = n;
        return Result::kRow;
      }
      const char c = s[pos];
      if (c == delim) {
        ++pos;
        continue;
      }
      if (c == '\n') {
        *consumed = pos + 1;
        return Result::kRow;
      }
      if (c == '\r' && pos + 1 == n) {
        if (!at_eof) return Result::kNeedMore;
        *consumed = n;
        return Result::kRow;
      }
      if (c == '\r' && s[pos + 1] == '\n') {
        *consumed = pos + 2;
        return Result::kRow;
      }
      return bad(pos, field_number(row->size() - 1) +
                          ": text after its closing quote (a quote inside a field is written "
                          "as \"\")");
    }
    // An unquoted field runs to the delimiter or the end of the line.
    size_t p = pos;
    while (p < n) {
      const char c = s[p];
      if (c == delim || c == '\n') break;
      if (c == '"' && d.quoting) {
        return bad(p, field_number(row->size()) +
                          ": a quote inside an unquoted field (quote the whole field and "
                          "double the quote)");
      }
      ++p;
    }
    if (p == n && !at_eof) return Result::kNeedMore;
    size_t len = p - pos;
    const bool last = p == n || s[p] == '\n';
    if (last && len > 0 && s[pos + len - 1] == '\r') --len;  // CRLF, or a final CR
    if (d.quoting) {
      row->data_.append(s + pos, len);
    } else {
      append_tsv_unescaped(std::string_view(s + pos, len), &row->data_);
    }
    end_field();
    if (last) {
      *consumed = p == n ? n : p + 1;
      return Result::kRow;
    }
    pos = p + 1;
  }
}

bool append_csv_field(std::string_view field, const CsvDialect& d, std::string* out) {
  if (!d.quoting) {
    if (d.delimiter != '\t' && field.find(d.delimiter) != std::string_view::npos) return false;
    for (char c : field) {
      switch (c) {
        case '\t':
          out->append("\\t");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\\':
          out->append("\\\\");
          break;
        default:
          out->push_back(c);
      }
    }
    return true;
  }
  const bool special =
      field.find_first_of(std::string_view("\r\n\"", 3)) != std::string_view::npos ||
      field.find(d.delimiter) != std::string_view::npos;
  if (!special) {
    out->append(field);
    return true;
  }
  out->push_back('"');
  for (char c : field) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
  return true;
}

bool append_csv_row(const std::vector<std::string_view>& fields, const CsvDialect& d,
                    std::string* out) {
  if (fields.size() == 1 && fields[0].empty()) {
    if (!d.quoting) return false;
    out->append("\"\"\n");
    return true;
  }
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(d.delimiter);
    if (!append_csv_field(fields[i], d, out)) return false;
  }
  out->push_back('\n');
  return true;
}

// ---------------------------------------------------------------- reader

CsvReader::CsvReader(int fd, CsvDialect dialect, size_t max_row_bytes)
    : fd_(fd), dialect_(dialect), max_row_(max_row_bytes), in_(std::make_unique<ReadBuffer>()) {}

CsvReader::~CsvReader() = default;

const Status& CsvReader::status() const {
  return in_->status;
}

void CsvReader::advance(size_t consumed) {
  const char* p = in_->bytes.data() + in_->begin;
  next_line_ += static_cast<uint64_t>(std::count(p, p + consumed, '\n'));
  in_->begin += consumed;
}

bool CsvReader::fill() {
  size_t shifted = 0;
  const bool more = in_->fill(fd_, max_row_, &shifted);
  return more;
}

CsvReader::Next CsvReader::next(CsvRow* row) {
  for (;;) {
    if (!in_->status.ok()) return Next::kError;
    std::string_view in(in_->bytes.data() + in_->begin, in_->end - in_->begin);
    if (skipping_) {  // the rest of an oversized row's line
      const size_t nl = in.find('\n');
      if (nl != std::string_view::npos) {
        advance(nl + 1);
        skipping_ = false;
        continue;
      }
      in_->begin = in_->end;
      in = {};
    } else if (!started_) {
      if (in.size() >= kBom.size() || in_->eof || kBom.substr(0, in.size()) != in) {
        if (in.substr(0, kBom.size()) == kBom) in_->begin += kBom.size();
        started_ = true;
        continue;
      }
    } else if (!in.empty()) {
      size_t consumed = 0;
      const auto r = CsvParse::Row(in, in_->eof, dialect_, row, &consumed, &error_);
      if (r == CsvParse::Result::kBlank) {
        advance(consumed);
        continue;
      }
      // A row over the limit (by its length, or by what is buffered of an
      // unfinished one) is dropped through the first newline at or past the
      // limit, whichever way the bytes arrived: the same input always gives
      // the same rows.
      const bool unfinished = r == CsvParse::Result::kNeedMore;
      const size_t raw_len = unfinished ? in.size() : raw_length(in.substr(0, consumed));
      if (raw_len > max_row_ && (!unfinished || in.size() > max_row_ + 2)) {
        line_ = next_line_;
        error_ = "row longer than the limit of " + std::to_string(max_row_) +
                 " bytes (raise --max-record-bytes)";
        const size_t nl = in.find('\n', max_row_);
        raw_ = {};
        advance(nl == std::string_view::npos ? in.size() : nl + 1);
        skipping_ = nl == std::string_view::npos && !in_->eof;
        return Next::kBad;
      }
      if (!unfinished) {
        line_ = next_line_;
        raw_ = in.substr(0, raw_length(in.substr(0, consumed)));
        advance(consumed);
        return r == CsvParse::Result::kRow ? Next::kRow : Next::kBad;
      }
    }
    if (in_->eof) {
      if (in_->begin == in_->end) return Next::kEof;
      continue;  // parse what is left as the last row
    }
    if (!fill()) {
      if (!in_->status.ok()) return Next::kError;
      if (!in_->eof) return Next::kWouldBlock;
    }
  }
}

// ---------------------------------------------------------------- JSON

Status CsvToJson::set_header(const CsvRow& row) {
  names_.clear();
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < row.size(); ++i) {
    if (!is_valid_utf8(row.field(i))) {
      names_.clear();
      return Status::BadData("the header's " + field_number(i) + " is not valid UTF-8");
    }
    if (!seen.insert(row.field(i)).second) {
      names_.clear();
      return Status::BadData("the header names column '" + std::string(row.field(i)) + "' twice");
    }
    std::string name;
    append_json_string(row.field(i), name);
    name.push_back(':');
    names_.push_back(std::move(name));
  }
  return Status::Ok();
}

Status CsvToJson::convert(const CsvRow& row, std::string* out) const {
  // Field by field: bytes valid only across a field boundary are not.
  for (size_t i = 0; i < row.size(); ++i) {
    if (!is_valid_utf8(row.field(i))) {
      return Status::BadData(field_number(i) + " is not valid UTF-8");
    }
  }
  if (!names_.empty() && row.size() != names_.size()) {
    return Status::BadData("the row has " + std::to_string(row.size()) + " fields, the header " +
                           std::to_string(names_.size()));
  }
  out->clear();
  out->push_back(names_.empty() ? '[' : '{');
  for (size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out->push_back(',');
    if (!names_.empty()) out->append(names_[i]);
    const std::string_view v = row.field(i);
    if (infer_ && (v == "true" || v == "false" || is_json_number(v))) {
      out->append(v);
    } else {
      append_json_string(v, *out);
    }
  }
  out->push_back(names_.empty() ? ']' : '}');
  return Status::Ok();
}

// ---------------------------------------------------------------- JSON to CSV

JsonToCsv::~JsonToCsv() = default;

Result<std::shared_ptr<JsonToCsv>> JsonToCsv::Parse(std::string_view fields, CsvDialect dialect,
                                                    bool header) {
  std::shared_ptr<JsonToCsv> c(new JsonToCsv());
  c->dialect_ = dialect;
  c->header_pending_ = header;
  if (fields.empty())
    return Status::InvalidArgument("no fields (expected paths such as id,user.name)");
  size_t start = 0;
  while (start <= fields.size()) {
    size_t comma = fields.find(',', start);
    if (comma == std::string_view::npos) comma = fields.size();
    const std::string_view path = fields.substr(start, comma - start);
    if (path.empty()) {
      return Status::InvalidArgument("empty path at column " + std::to_string(start + 1) + " of '" +
                                     std::string(fields) + "'");
    }
    c->names_.emplace_back(path);
    c->pointers_.push_back(json_pointer_from_path(path));
    start = comma + 1;
  }
  c->parser_ = std::make_unique<simdjson::dom::parser>();
  c->values_.resize(c->names_.size());
  return c;
}

void JsonToCsv::append_row(std::string_view payload, std::string* out) {
  if (header_pending_) {
    header_pending_ = false;
    views_.assign(names_.begin(), names_.end());
    append_csv_row(views_, dialect_, out);
  }
  simdjson::dom::element doc;
  const bool json = !parser_->parse(payload.data(), payload.size()).get(doc);
  views_.clear();
  for (size_t i = 0; i < pointers_.size(); ++i) {
    std::string& v = values_[i];
    v.clear();
    simdjson::dom::element e;
    if (json && !doc.at_pointer(pointers_[i]).get(e)) {
      if (e.is_string()) {
        v.assign(e.get_string().value_unsafe());
      } else if (!e.is_null()) {
        v = simdjson::minify(e);
      }
    }
    views_.push_back(v);
  }
  const size_t before = out->size();
  if (append_csv_row(views_, dialect_, out)) {
    out->pop_back();  // the caller adds the record delimiter
  } else {
    out->resize(before);  // one empty TSV field: an empty line
  }
}

}  // namespace sluice
