// Avro schemas: avro-c parses and resolves them, and they are compiled into
// the form that our binary codec walks (avro_node.h; avro_decode.cpp and
// avro_encode.cpp). See avro.h for the JSON conventions and why the codec is
// ours.
#include "sluice/avro.h"

#include <avro.h>
#include <simdjson.h>

#include <map>
#include <memory>

#include "codec/avro_node.h"

namespace sluice {

using avro_detail::Failure;
using avro_detail::Kind;
using avro_detail::kind_name;
using avro_detail::Node;
using simdjson::dom::element;

struct AvroSchema::Impl {
  std::string text;
  std::vector<std::unique_ptr<Node>> nodes;
  const Node* root = nullptr;

  // Compiles avro-c's schema; named types are compiled once, so a
  // recursive reference points back at its node.
  Result<const Node*> compile(avro_schema_t s, std::map<avro_schema_t, const Node*>& seen) {
    if (avro_typeof(s) == AVRO_LINK) s = avro_schema_link_target(s);
    if (auto it = seen.find(s); it != seen.end()) return it->second;
    auto owned = std::make_unique<Node>();
    Node* n = owned.get();
    nodes.push_back(std::move(owned));
    seen[s] = n;
    switch (avro_typeof(s)) {
      case AVRO_NULL:
        n->kind = Kind::kNull;
        break;
      case AVRO_BOOLEAN:
        n->kind = Kind::kBoolean;
        break;
      case AVRO_INT32:
        n->kind = Kind::kInt;
        break;
      case AVRO_INT64:
        n->kind = Kind::kLong;
        break;
      case AVRO_FLOAT:
        n->kind = Kind::kFloat;
        break;
      case AVRO_DOUBLE:
        n->kind = Kind::kDouble;
        break;
      case AVRO_BYTES:
        n->kind = Kind::kBytes;
        break;
      case AVRO_STRING:
        n->kind = Kind::kString;
        break;
      case AVRO_RECORD: {
        n->kind = Kind::kRecord;
        const size_t count = avro_schema_record_size(s);
        for (size_t i = 0; i < count; ++i) {
          const int idx = static_cast<int>(i);
          auto field = compile(avro_schema_record_field_get_by_index(s, idx), seen);
          if (!field.ok()) return field.status();
          n->fields.emplace_back(avro_schema_record_field_name(s, idx), *field);
        }
        break;
      }
      case AVRO_ENUM: {
        n->kind = Kind::kEnum;
        const int count = avro_schema_enum_number_of_symbols(s);
        for (int i = 0; i < count; ++i) n->symbols.emplace_back(avro_schema_enum_get(s, i));
        break;
      }
      case AVRO_FIXED:
        n->kind = Kind::kFixed;
        n->size = avro_schema_fixed_size(s);
        break;
      case AVRO_ARRAY:
      case AVRO_MAP: {
        const bool array = avro_typeof(s) == AVRO_ARRAY;
        n->kind = array ? Kind::kArray : Kind::kMap;
        auto items = compile(array ? avro_schema_array_items(s) : avro_schema_map_values(s), seen);
        if (!items.ok()) return items.status();
        n->items = *items;
        break;
      }
      case AVRO_UNION: {
        n->kind = Kind::kUnion;
        const size_t count = avro_schema_union_size(s);
        for (size_t i = 0; i < count; ++i) {
          auto b = compile(avro_schema_union_branch(s, static_cast<int>(i)), seen);
          if (!b.ok()) return b.status();
          if ((*b)->kind == Kind::kNull && n->null_branch < 0) n->null_branch = static_cast<int>(i);
          n->branches.push_back(*b);
        }
        break;
      }
      default:
        return Status::InvalidArgument("unsupported Avro schema type");
    }
    if (n->kind == Kind::kRecord || n->kind == Kind::kEnum || n->kind == Kind::kFixed) {
      const char* name = avro_schema_name(s);
      const char* ns = avro_schema_namespace(s);
      n->short_name = name ? name : "";
      n->label = ns && *ns ? std::string(ns) + "." + n->short_name : n->short_name;
    } else {
      n->label = kind_name(n->kind);
    }
    switch (n->kind) {
      case Kind::kNull:
        n->min_bytes = 0;
        break;
      case Kind::kFloat:
        n->min_bytes = 4;
        break;
      case Kind::kDouble:
        n->min_bytes = 8;
        break;
      case Kind::kFixed:
        n->min_bytes = n->size;
        break;
      case Kind::kRecord:
        // A recursive field's own value is not known yet (0 then): the
        // estimate stays a lower bound.
        for (const auto& field : n->fields) n->min_bytes += field.second->min_bytes;
        break;
      default:
        n->min_bytes = 1;
        break;  // a length, an index, a count or a byte
    }
    return static_cast<const Node*>(n);
  }
};

Result<AvroSchema> AvroSchema::Parse(std::string_view json) {
  avro_schema_t s = nullptr;
  if (avro_schema_from_json_length(json.data(), json.size(), &s) != 0) {
    std::string why = avro_strerror();
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) why.pop_back();
    return Status::InvalidArgument("not an Avro schema: " + why);
  }
  auto impl = std::make_shared<Impl>();
  impl->text.assign(json);
  std::map<avro_schema_t, const Node*> seen;
  auto root = impl->compile(s, seen);
  avro_schema_decref(s);
  if (!root.ok()) return root.status();
  impl->root = *root;
  AvroSchema out;
  out.impl_ = std::move(impl);
  return out;
}

const std::string& AvroSchema::text() const {
  return impl_->text;
}

Status AvroSchema::to_json(std::string_view datum, std::string& out) const {
  Failure f;
  const size_t start = out.size();
  if (decode_datum(*impl_->root, datum, out, f)) return Status::Ok();
  out.resize(start);
  std::string where = f.where();
  return Status::BadData("at byte " + std::to_string(f.offset) +
                         (where.empty() ? "" : ", field '" + where + "'") + ": " + f.reason);
}

Status AvroSchema::from_json(std::string_view json, std::string& out) const {
  thread_local simdjson::dom::parser parser;
  element root;
  if (auto err = parser.parse(json.data(), json.size()).get(root)) {
    return Status::BadData(std::string("not JSON: ") + simdjson::error_message(err));
  }
  Failure f;
  const size_t start = out.size();
  if (encode_datum(*impl_->root, root, out, f)) return Status::Ok();
  out.resize(start);
  std::string where = f.where();
  return Status::BadData("does not fit the Avro schema" +
                         (where.empty() ? "" : ": field '" + where + "'") + ": " + f.reason);
}

void append_confluent_header(int32_t schema_id, std::string& out) {
  const auto id = static_cast<uint32_t>(schema_id);
  out.push_back(0);
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(id >> shift));
}

Result<int32_t> parse_confluent_header(std::string_view record) {
  if (record.size() < kConfluentHeaderBytes) {
    return Status::BadData("not in the schema registry framing: " + std::to_string(record.size()) +
                           " bytes, fewer than its 5-byte header");
  }
  if (record[0] != 0) {
    return Status::BadData("not in the schema registry framing: the first byte is " +
                           std::to_string(static_cast<uint8_t>(record[0])) + ", not 0");
  }
  uint32_t id = 0;
  for (size_t i = 1; i < kConfluentHeaderBytes; ++i) id = id << 8 | static_cast<uint8_t>(record[i]);
  return static_cast<int32_t>(id);
}

}  // namespace sluice
