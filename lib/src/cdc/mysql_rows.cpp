// Row events (see mysql_rows.h).
#include "cdc/mysql_rows.h"

#include <zlib.h>

#include "cdc/mysql_bytes.h"
#include "cdc/mysql_json_diff.h"
#include "cdc/mysql_value_parts.h"
#include "cdc/mysql_values.h"

namespace sluice::mysql {

namespace {

Status bad(std::string_view what, size_t at) {
  return Status::BadData("rows event: " + std::string(what) + " at byte " + std::to_string(at));
}

// MariaDB's compressed buffer: 0x80 | N, an N-byte big-endian length, zlib.
Status inflate_rows(std::string_view in, std::string* out) {
  if (in.empty() || (static_cast<uint8_t>(in[0]) & 0xe0) != 0x80)
    return bad("bad compressed row header", 0);
  const size_t lenlen = static_cast<uint8_t>(in[0]) & 0x07;
  if (lenlen < 1 || lenlen > 4 || in.size() < 1 + lenlen)
    return bad("bad compressed row length", 0);
  const size_t len = be_uint(reinterpret_cast<const uint8_t*>(in.data()) + 1, lenlen);
  if (len > (size_t{1} << 30)) return bad("compressed rows too large", 0);
  out->resize(len);
  uLongf dest_len = static_cast<uLongf>(len);
  const auto* src = reinterpret_cast<const Bytef*>(in.data() + 1 + lenlen);
  int rc = uncompress(reinterpret_cast<Bytef*>(out->data()), &dest_len, src,
                      static_cast<uLong>(in.size() - 1 - lenlen));
  if (rc != Z_OK || dest_len != len) return bad("compressed rows do not inflate", 1 + lenlen);
  return Status::Ok();
}

}  // namespace

bool is_rows_event(uint8_t type) {
  return (type >= kWriteRowsV1 && type <= kDeleteRowsV1) ||
         (type >= kWriteRowsV2 && type <= kDeleteRowsV2) || type == kPartialUpdateRows ||
         (type >= kWriteRowsCompressedV1 && type <= kDeleteRowsCompressedV2);
}

Status parse_rows_event(uint8_t type, std::string_view body, unsigned post_header_len,
                        std::string* scratch, RowsEvent* out) {
  if (!is_rows_event(type)) return bad("not a rows event (type " + std::to_string(type) + ")", 0);
  // PARTIAL_UPDATE_ROWS_EVENT is a v2 UPDATE_ROWS_EVENT whose after images
  // start with value_options (libbinlogevents rows_event.h, class
  // Partial_update_rows_event derives from Update_rows_event).
  const bool partial = type == kPartialUpdateRows;
  const bool v2 = (type >= kWriteRowsV2 && type <= kDeleteRowsV2) || partial ||
                  (type >= kWriteRowsCompressedV2 && type <= kDeleteRowsCompressedV2);
  const bool compressed = type >= kWriteRowsCompressedV1;
  int kind;  // 0 write, 1 update, 2 delete
  if (partial) {
    kind = 1;
  } else if (type <= kDeleteRowsV1) {
    kind = type - kWriteRowsV1;
  } else if (type <= kDeleteRowsV2) {
    kind = type - kWriteRowsV2;
  } else {
    kind = (type - kWriteRowsCompressedV1) % 3;
  }
  out->op = kind == 0 ? 'c' : kind == 1 ? 'u' : 'd';
  out->partial = partial;
  LeReader r(body);
  uint64_t v = 0;
  if (!r.le(post_header_len >= 8 ? 6 : 4, &out->table_id) || !r.le(2, &v))
    return bad("short post-header", 0);
  out->flags = static_cast<uint16_t>(v);
  if (v2) {
    uint64_t extra = 0;
    if (!r.le(2, &extra) || extra < 2 || !r.skip(extra - 2)) return bad("bad extra row info", 8);
  }
  if (!r.lenenc(&out->column_count) || out->column_count == 0 || out->column_count > 4096)
    return bad("bad column count", r.pos());
  const size_t bitmap = (out->column_count + 7) / 8;
  if (!r.bytes(bitmap, &out->present)) return bad("short columns bitmap", r.pos());
  out->present_after = {};
  if (kind == 1 && !r.bytes(bitmap, &out->present_after))
    return bad("short after-image columns bitmap", r.pos());
  if (compressed) {
    const size_t at = r.pos();
    Status st = inflate_rows(r.rest(), scratch);
    if (!st.ok()) return bad(st.message(), at);
    out->rows = *scratch;
  } else {
    out->rows = r.rest();
  }
  return Status::Ok();
}

namespace {

// A JSON column in partial form: a c.length-byte length (4 for JSON, as
// Json_diff_vector::write_binary writes it), then that many bytes of diffs
// against `before`, the column's binary JSON in the before image.
Status append_partial_json(const Column& c, std::string_view rows, size_t* pos,
                           const debezium::ValueOptions& opts,
                           const std::optional<std::string_view>& before, std::string& out) {
  auto fail = [&](const std::string& why) {
    return Status::BadData("column '" + c.name + "': partial JSON update at byte " +
                           std::to_string(*pos) + ": " + why);
  };
  const size_t lb = c.length;
  if (lb < 1 || lb > 4 || rows.size() < *pos || rows.size() - *pos < lb)
    return fail("length cut short");
  const size_t len = le_uint(reinterpret_cast<const uint8_t*>(rows.data()) + *pos, lb);
  if (rows.size() - *pos - lb < len) return fail("diffs cut short");
  if (!before)
    return fail(
        "the before image has no value of the column to apply the diffs to (NULL, or "
        "binlog_row_image=MINIMAL or NOBLOB): use binlog_row_image=FULL");
  std::string text;
  if (Status st = partial_json_to_text(*before, rows.substr(*pos + lb, len), text); !st.ok())
    return fail(st.message());
  append_string_or_json(text, opts.embed_json, out);
  *pos += lb + len;
  return Status::Ok();
}

// decode_row_image and decode_partial_after_image: `partial_bits` is empty
// unless the image has them.
Status decode_image(const TableMap& table, std::string_view present, std::string_view rows,
                    size_t* pos, const debezium::ValueOptions& opts, debezium::Row& row,
                    std::vector<std::optional<std::string_view>>* json_values,
                    std::string_view partial_bits,
                    const std::vector<std::optional<std::string_view>>* before_json) {
  row.clear();
  const size_t ncols = table.columns.size();
  if (json_values) json_values->assign(ncols, std::nullopt);
  size_t npresent = 0;
  for (size_t i = 0; i < ncols; ++i) npresent += bit_set(present, i);
  for (size_t i = ncols; i < present.size() * 8; ++i) {
    if (bit_set(present, i))
      return bad("column " + std::to_string(i) + " present but the table map of '" + table.db +
                     "." + table.table + "' has " + std::to_string(ncols),
                 *pos);
  }
  if (npresent == 0) return bad("row image without columns", *pos);
  const size_t null_bytes = (npresent + 7) / 8;
  if (rows.size() < *pos || rows.size() - *pos < null_bytes) return bad("short null bitmap", *pos);
  std::string_view nulls = rows.substr(*pos, null_bytes);
  *pos += null_bytes;
  size_t k = 0;
  size_t json_index = 0;  // partial_bits has a bit for every JSON column
  for (size_t i = 0; i < ncols; ++i) {
    const Column& c = table.columns[i];
    const bool partial =
        c.type == kTypeJson && !partial_bits.empty() && bit_set(partial_bits, json_index++);
    if (!bit_set(present, i)) continue;
    std::string& out = row.add(c.name, c.key);
    if (bit_set(nulls, k++)) {
      out.append("null");
      continue;
    }
    const size_t start = *pos;
    if (partial) {
      Status st = append_partial_json(c, rows, pos, opts, (*before_json)[i], out);
      if (!st.ok()) return st.With("table '" + table.db + "." + table.table + "'");
      continue;
    }
    Status st = append_binlog_value(c, rows, pos, opts, out);
    if (!st.ok()) return st.With("table '" + table.db + "." + table.table + "'");
    if (json_values && c.type == kTypeJson)
      (*json_values)[i] = rows.substr(start + c.length, *pos - start - c.length);
  }
  return Status::Ok();
}

}  // namespace

Status decode_row_image(const TableMap& table, std::string_view present, std::string_view rows,
                        size_t* pos, const debezium::ValueOptions& opts, debezium::Row& row,
                        std::vector<std::optional<std::string_view>>* json_values) {
  return decode_image(table, present, rows, pos, opts, row, json_values, {}, nullptr);
}

Status decode_partial_after_image(const TableMap& table, std::string_view present,
                                  std::string_view rows, size_t* pos,
                                  const debezium::ValueOptions& opts,
                                  const std::vector<std::optional<std::string_view>>& before_json,
                                  debezium::Row& row) {
  LeReader r(rows, *pos);
  uint64_t value_options = 0;
  if (!r.lenenc(&value_options)) return bad("partial update without value_options", *pos);
  if (value_options > 1)  // sql/rpl_record.cc refuses them as corrupt too
    return bad("partial update with unknown value_options " + std::to_string(value_options) +
                   " (only PARTIAL_JSON = 1 is known)",
               *pos);
  std::string_view partial_bits;
  if (value_options & 1) {
    size_t json_columns = 0;
    for (const Column& c : table.columns) json_columns += c.type == kTypeJson;
    if (!r.bytes((json_columns + 7) / 8, &partial_bits))
      return bad("short partial_bits of a partial update", r.pos());
    if (json_columns == 0) partial_bits = {};
  }
  if (!partial_bits.empty() && before_json.size() != table.columns.size())
    return bad("partial update without its before image", r.pos());
  *pos = r.pos();
  return decode_image(table, present, rows, pos, opts, row, nullptr, partial_bits, &before_json);
}

}  // namespace sluice::mysql
