#include "sluice/msgpack.h"

#include <msgpack.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#include "codec/read_buffer.h"
#include "sluice/envelope.h"

namespace sluice {

namespace {

struct Unpacked {
  msgpack_unpacked u;
  Unpacked() { msgpack_unpacked_init(&u); }
  ~Unpacked() { msgpack_unpacked_destroy(&u); }
  Unpacked(const Unpacked&) = delete;
  Unpacked& operator=(const Unpacked&) = delete;
};

Status object_to_json(const msgpack_object& o, std::string* out) {
  switch (o.type) {
    case MSGPACK_OBJECT_NIL:
      out->append("null");
      return Status::Ok();
    case MSGPACK_OBJECT_BOOLEAN:
      out->append(o.via.boolean ? "true" : "false");
      return Status::Ok();
    case MSGPACK_OBJECT_POSITIVE_INTEGER: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, o.via.u64);
      out->append(buf, r.ptr);
      return Status::Ok();
    }
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
      append_int(o.via.i64, *out);
      return Status::Ok();
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64: {
      const double d = o.via.f64;
      if (!std::isfinite(d)) return Status::BadData("a float that is NaN or infinite");
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, d);
      const std::string_view text(buf, static_cast<size_t>(r.ptr - buf));
      out->append(text);
      // Stays a float when read back: 1.0, not 1.
      if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
      return Status::Ok();
    }
    case MSGPACK_OBJECT_STR: {
      const std::string_view s(o.via.str.ptr, o.via.str.size);
      if (!is_valid_utf8(s)) return Status::BadData("a str that is not UTF-8");
      append_json_string(s, *out);
      return Status::Ok();
    }
    case MSGPACK_OBJECT_BIN:
      out->push_back('"');
      append_base64(std::string_view(o.via.bin.ptr, o.via.bin.size), *out);
      out->push_back('"');
      return Status::Ok();
    case MSGPACK_OBJECT_ARRAY:
      out->push_back('[');
      for (uint32_t i = 0; i < o.via.array.size; ++i) {
        if (i > 0) out->push_back(',');
        SLUICE_RETURN_IF_ERROR(object_to_json(o.via.array.ptr[i], out));
      }
      out->push_back(']');
      return Status::Ok();
    case MSGPACK_OBJECT_MAP:
      out->push_back('{');
      for (uint32_t i = 0; i < o.via.map.size; ++i) {
        const msgpack_object_kv& kv = o.via.map.ptr[i];
        if (kv.key.type != MSGPACK_OBJECT_STR) return Status::BadData("a map key that is no str");
        if (i > 0) out->push_back(',');
        SLUICE_RETURN_IF_ERROR(object_to_json(kv.key, out));
        out->push_back(':');
        SLUICE_RETURN_IF_ERROR(object_to_json(kv.val, out));
      }
      out->push_back('}');
      return Status::Ok();
    case MSGPACK_OBJECT_EXT:
      return Status::BadData("ext type " + std::to_string(o.via.ext.type) + " has no JSON form");
  }
  return Status::BadData("an unknown MessagePack type");
}

int append_to_string(void* data, const char* buf, size_t len) {
  static_cast<std::string*>(data)->append(buf, len);
  return 0;
}

void pack_element(msgpack_packer* pk, simdjson::dom::element e) {
  switch (e.type()) {
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array a = e.get_array().value_unsafe();
      msgpack_pack_array(pk, a.size());
      for (simdjson::dom::element x : a) pack_element(pk, x);
      return;
    }
    case simdjson::dom::element_type::OBJECT: {
      simdjson::dom::object obj = e.get_object().value_unsafe();
      msgpack_pack_map(pk, obj.size());
      for (simdjson::dom::key_value_pair kv : obj) {
        msgpack_pack_str(pk, kv.key.size());
        msgpack_pack_str_body(pk, kv.key.data(), kv.key.size());
        pack_element(pk, kv.value);
      }
      return;
    }
    case simdjson::dom::element_type::INT64:
      msgpack_pack_int64(pk, e.get_int64().value_unsafe());
      return;
    case simdjson::dom::element_type::UINT64:
      msgpack_pack_uint64(pk, e.get_uint64().value_unsafe());
      return;
    case simdjson::dom::element_type::DOUBLE:
      msgpack_pack_double(pk, e.get_double().value_unsafe());
      return;
    case simdjson::dom::element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      msgpack_pack_str(pk, s.size());
      msgpack_pack_str_body(pk, s.data(), s.size());
      return;
    }
    case simdjson::dom::element_type::BOOL:
      if (e.get_bool().value_unsafe()) {
        msgpack_pack_true(pk);
      } else {
        msgpack_pack_false(pk);
      }
      return;
    case simdjson::dom::element_type::NULL_VALUE:
      msgpack_pack_nil(pk);
      return;
  }
}

uint64_t big_endian(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

}  // namespace

// Walks the value's headers, counting the items still to come, without
// decoding or allocating: msgpack-c's unpacker allocates for an array's
// declared size before reading it, so five hostile bytes (an array32 of 2^32
// items) would ask for 96 GiB. Only a complete value, whose declared sizes
// the bytes present bound, is handed to msgpack-c.
int msgpack_value_length(std::string_view in, size_t* length) {
  const auto* b = reinterpret_cast<const unsigned char*>(in.data());
  const size_t n = in.size();
  uint64_t pending = 1;
  size_t pos = 0;
  while (pending > 0) {
    if (pos >= n) return 0;
    const unsigned char c = b[pos];
    --pending;
    size_t head = 1;        // bytes of the header
    size_t size_bytes = 0;  // of them, the big-endian size at the end
    uint64_t body = 0;      // fixed body bytes
    uint64_t per_size = 0;  // body bytes (1) or items (1 or 2) per unit of size
    bool items = false;
    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3) {
      // fixint, nil, false, true
    } else if (c <= 0x8f) {
      pending += 2 * uint64_t{c & 0x0fu};
    } else if (c <= 0x9f) {
      pending += c & 0x0fu;
    } else if (c <= 0xbf) {
      body = c & 0x1fu;
    } else {
      switch (c) {
        case 0xc4:
        case 0xc5:
        case 0xc6:  // bin 8/16/32
          size_bytes = size_t{1} << (c - 0xc4);
          head = 1 + size_bytes;
          per_size = 1;
          break;
        case 0xc7:
        case 0xc8:
        case 0xc9:  // ext 8/16/32: size, then a type byte
          size_bytes = size_t{1} << (c - 0xc7);
          head = 2 + size_bytes;
          per_size = 1;
          break;
        case 0xca:
          body = 4;
          break;
        case 0xcb:
          body = 8;
          break;
        case 0xcc:
        case 0xd0:
          body = 1;
          break;
        case 0xcd:
        case 0xd1:
          body = 2;
          break;
        case 0xce:
        case 0xd2:
          body = 4;
          break;
        case 0xcf:
        case 0xd3:
          body = 8;
          break;
        case 0xd4:
          body = 2;
          break;  // fixext 1 (type + data)
        case 0xd5:
          body = 3;
          break;
        case 0xd6:
          body = 5;
          break;
        case 0xd7:
          body = 9;
          break;
        case 0xd8:
          body = 17;
          break;
        case 0xd9:
        case 0xda:
        case 0xdb:  // str 8/16/32
          size_bytes = size_t{1} << (c - 0xd9);
          head = 1 + size_bytes;
          per_size = 1;
          break;
        case 0xdc:
        case 0xdd:  // array 16/32
          size_bytes = c == 0xdc ? 2 : 4;
          head = 1 + size_bytes;
          per_size = 1;
          items = true;
          break;
        case 0xde:
        case 0xdf:  // map 16/32
          size_bytes = c == 0xde ? 2 : 4;
          head = 1 + size_bytes;
          per_size = 2;
          items = true;
          break;
        default:  // 0xc1: never used
          return -1;
      }
    }
    if (n - pos < head) return 0;
    if (size_bytes > 0) {
      // ext's size comes before its type byte, everything else's last.
      const size_t at = c >= 0xc7 && c <= 0xc9 ? pos + 1 : pos + head - size_bytes;
      const uint64_t size = big_endian(b + at, size_bytes);
      if (items) {
        pending += per_size * size;
      } else {
        body = size;
      }
    }
    if (n - pos - head < body) return 0;
    pos += head + static_cast<size_t>(body);
  }
  *length = pos;
  return 1;
}

MsgpackReader::MsgpackReader(int fd, size_t max_value_bytes)
    : fd_(fd), max_(max_value_bytes), in_(std::make_unique<ReadBuffer>()) {}

MsgpackReader::~MsgpackReader() = default;

const Status& MsgpackReader::status() const {
  return in_->status;
}

bool MsgpackReader::fill() {
  size_t shifted = 0;
  const bool more = in_->fill(fd_, max_, &shifted);
  return more;
}

MsgpackReader::Next MsgpackReader::next(std::string_view* value) {
  for (;;) {
    if (!in_->status.ok()) return Next::kError;
    const std::string where = "value " + std::to_string(number_ + 1);
    if (in_->begin < in_->end) {
      // Parse within a window of max + 1 bytes: a value that needs more is
      // too long, whichever way its bytes arrive.
      const size_t window = std::min(in_->end - in_->begin, max_ + 1);
      size_t off = 0;
      const int r = msgpack_value_length(in_->unread().substr(0, window), &off);
      const bool complete = r > 0;
      if ((complete && off > max_) || (r == 0 && window > max_)) {
        in_->status = Status::BadData(where + ": longer than the limit of " + std::to_string(max_) +
                                      " bytes (raise --max-record-bytes)");
        return Next::kError;
      }
      if (complete) {
        ++number_;
        *value = std::string_view(in_->bytes.data() + in_->begin, off);
        in_->begin += off;
        return Next::kValue;
      }
      if (r < 0) {
        in_->status = Status::BadData(where + ": not MessagePack (the byte 0xc1 is never used)");
        return Next::kError;
      }
    }
    if (in_->eof) {
      if (in_->begin == in_->end) return Next::kEof;
      ++number_;
      error_ = "the value is cut short: " + std::to_string(in_->end - in_->begin) +
               " bytes before the end of the input";
      *value = std::string_view(in_->bytes.data() + in_->begin, in_->end - in_->begin);
      in_->begin = in_->end;
      return Next::kCutShort;
    }
    if (!fill()) {
      if (!in_->status.ok()) return Next::kError;
      if (!in_->eof) return Next::kWouldBlock;
    }
  }
}

Status msgpack_to_json(std::string_view value, std::string* out) {
  out->clear();
  Unpacked u;
  size_t off = 0;
  size_t length = 0;
  if (msgpack_value_length(value, &length) <= 0 || length != value.size()) {
    return Status::BadData("not one MessagePack value");
  }
  // Complete, so its declared sizes are bounded by its bytes.
  const msgpack_unpack_return r = msgpack_unpack_next(&u.u, value.data(), value.size(), &off);
  if ((r != MSGPACK_UNPACK_SUCCESS && r != MSGPACK_UNPACK_EXTRA_BYTES) || off != value.size()) {
    return Status::BadData("nested deeper than msgpack-c decodes (32 levels)");
  }
  return object_to_json(u.u.data, out);
}

Status json_to_msgpack(std::string_view json, std::string* out) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) return Status::BadData("not JSON");
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, append_to_string);
  pack_element(&pk, doc);
  return Status::Ok();
}

void append_msgpack_bytes(std::string_view bytes, std::string* out) {
  msgpack_packer pk;
  msgpack_packer_init(&pk, out, append_to_string);
  if (is_valid_utf8(bytes)) {
    msgpack_pack_str(&pk, bytes.size());
    msgpack_pack_str_body(&pk, bytes.data(), bytes.size());
  } else {
    msgpack_pack_bin(&pk, bytes.size());
    msgpack_pack_bin_body(&pk, bytes.data(), bytes.size());
  }
}

}  // namespace sluice
