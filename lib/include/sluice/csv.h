// CSV and TSV: the row parser behind `flux --input csv|tsv`, the reader
// that feeds it from a file descriptor, and the JSON form of a row.
//
// CSV follows RFC 4180: fields split by a one-byte delimiter (default ','),
// rows end with LF or CRLF, a field in double quotes may hold delimiters,
// newlines and doubled quotes (""). A quote inside an unquoted field, text
// after a closing quote and an unterminated quote are errors: the row is
// reported and reading resumes at the next line. TSV (IANA
// text/tab-separated-values) has no quoting: a field is everything between
// two tabs, with the escapes \t \n \r \\ (as miller and PostgreSQL's COPY
// write them) decoded; any other backslash stays as it is. A UTF-8 byte order mark at the start of
// the input is dropped; a blank line is no row.
//
// Not thread-safe; one reader per input.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/status.h"

namespace simdjson::dom {
class parser;
}

namespace sluice {

struct ReadBuffer;

struct CsvDialect {
  char delimiter = ',';
  bool quoting = true;  // false: TSV, no quotes
  static CsvDialect Csv() { return {}; }
  static CsvDialect Tsv() { return {'\t', false}; }
};

// One parsed row: its fields, unquoted. Views into the row's own storage,
// valid until the row is parsed into again.
class CsvRow {
 public:
  size_t size() const { return ends_.size(); }
  std::string_view field(size_t i) const {
    size_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(data_).substr(begin, ends_[i] - begin);
  }
  void clear() {
    data_.clear();
    ends_.clear();
  }

 private:
  friend struct CsvParse;
  std::string data_;
  std::vector<size_t> ends_;
};

// Parses one row from the front of `in`. `at_eof`: no bytes follow `in`, so
// a row may end without a newline.
struct CsvParse {
  enum class Result {
    kRow,       // *row holds it; `consumed` bytes (with its newline) used
    kBlank,     // a blank line: `consumed` bytes to skip, no row
    kNeedMore,  // the row is not complete in `in` (never when at_eof)
    kBad,       // `error` says why; `consumed` skips to the next line
  };
  static Result Row(std::string_view in, bool at_eof, const CsvDialect& d, CsvRow* row,
                    size_t* consumed, std::string* error);
};

// Appends `field` to `out` as one CSV field: quoted (quotes doubled) when
// it holds the delimiter, a quote, CR or LF; as it is otherwise. For TSV,
// tab, CR, LF and backslash are escaped; false when the field holds another
// delimiter, which TSV cannot carry.
bool append_csv_field(std::string_view field, const CsvDialect& d, std::string* out);

// Appends one row of fields and a newline. A row of one empty field is
// written as "" so that it does not read back as a blank line (false for
// TSV, which cannot write it); false as append_csv_field.
bool append_csv_row(const std::vector<std::string_view>& fields, const CsvDialect& d,
                    std::string* out);

// Splits rows off a file descriptor, buffering without per-row allocation.
class CsvReader {
 public:
  CsvReader(int fd, CsvDialect dialect, size_t max_row_bytes);

  enum class Next { kRow, kBad, kEof, kWouldBlock, kError };

  // kRow: *row holds the next row. kBad: a malformed or oversized row was
  // skipped; error() says why, raw() holds its bytes. kWouldBlock only for
  // non-blocking fds. kError: status() has the errno.
  Next next(CsvRow* row);

  // The 1-based line the last row (or bad row) started on.
  uint64_t line() const { return line_; }
  // The bytes of the last row, newline excluded; valid until next().
  std::string_view raw() const { return raw_; }
  const std::string& error() const { return error_; }
  const Status& status() const;
  ~CsvReader();

 private:
  bool fill();
  void advance(size_t consumed);
  int fd_;
  CsvDialect dialect_;
  size_t max_row_;
  std::unique_ptr<ReadBuffer> in_;
  bool started_ = false;   // the BOM check is done
  bool skipping_ = false;  // dropping the rest of an oversized row's line
  uint64_t next_line_ = 1;
  uint64_t line_ = 0;
  std::string_view raw_;
  std::string error_;
};

// Turns rows into JSON text: an array of strings, or with a header an
// object keyed by the header's names. With `infer`, a field that is a JSON
// number, true or false is written as that value instead of a string.
class CsvToJson {
 public:
  explicit CsvToJson(bool infer) : infer_(infer) {}

  // Takes `row` as the header. kBadData for invalid UTF-8 or a duplicate
  // name.
  Status set_header(const CsvRow& row);
  bool has_header() const { return !names_.empty(); }

  // Replaces *out with the JSON form of `row`. kBadData (reason only) when
  // the row is not UTF-8 or, with a header, has another number of fields.
  Status convert(const CsvRow& row, std::string* out) const;

 private:
  bool infer_;
  std::vector<std::string> names_;  // each already a JSON string with its colon
};

// Renders JSON payloads as CSV/TSV rows, one column per dotted path
// (`tap --format csv --fields id,user.name`). A string gives its text, null
// or a missing field an empty field, any other value its JSON text; a
// payload that is not JSON gives a row of empty fields.
class JsonToCsv {
 public:
  // `fields`: comma-separated dotted paths. kInvalidArgument for an empty
  // list or an empty path. `header`: the first row written is preceded by
  // the header row (the paths as given).
  static Result<std::shared_ptr<JsonToCsv>> Parse(std::string_view fields, CsvDialect dialect,
                                                  bool header);
  ~JsonToCsv();
  JsonToCsv(const JsonToCsv&) = delete;
  JsonToCsv& operator=(const JsonToCsv&) = delete;

  // The row for `payload`, without a newline (after the header row and its
  // newline, the first time). Reuses one parser: not thread-safe.
  void append_row(std::string_view payload, std::string* out);

 private:
  JsonToCsv() = default;
  CsvDialect dialect_;
  bool header_pending_ = false;
  std::vector<std::string> names_;
  std::vector<std::string> pointers_;
  std::unique_ptr<simdjson::dom::parser> parser_;
  std::vector<std::string> values_;
  std::vector<std::string_view> views_;
};

}  // namespace sluice
