// The filter language: one predicate over an event and its record metadata,
// shared by trigger (--when) and relay-ws (subscription `where`).
//
//   op == "u" && changed(after.price)
//   after.tags contains "ai" || @headers.tenant in ["eu-1", "eu-2"]
//   source.table startswith "order" && !(after.total < 100)
//   after.email matches "@example\\.(com|org)$"
//
// Grammar (precedence from low to high: ||, &&, !, comparisons):
//
//   expr     := and ('||' and)*
//   and      := unary ('&&' unary)*
//   unary    := '!' unary | test
//   test     := operand [ ('=='|'!='|'<'|'<='|'>'|'>=') operand
//                       | 'in' (list | operand) | 'contains' operand
//                       | 'startswith' operand | 'matches' STRING ]
//   operand  := literal | path | meta | '(' expr ')'
//             | 'exists' '(' path ')' | 'changed' '(' path ')'
//   path     := ('$' | NAME) ('.' NAME | '[' INT ']' | '[' STRING ']')*
//   meta     := '@key' | '@stream' | '@shard' | '@seq' | '@ts'
//             | '@headers.' HEADERNAME | '@headers[' STRING ']'
//   literal  := STRING | NUMBER | 'true' | 'false' | 'null'
//   list     := '[' [literal (',' literal)*] ']'
//
// Paths go into the event, parsed as JSON; `$` is the whole event. A path
// that leads nowhere (missing field, index past the end, a field of a
// non-object) is null, and so is every path of an event with no payload.
// `@ts` is microseconds since the Unix epoch; `@shard` and `@seq` are null
// when the source has none.
//
// Semantics, kept simple and total:
//  - `==` and `!=` compare values of one type (numbers numerically, strings
//    bytewise, arrays and objects by their JSON text); null equals only null
//    and `x != null` is true for any non-null x. Values of two different
//    non-null types are a type mismatch: every comparison of them is false.
//  - `< <= > >=` order numbers, and strings bytewise (UTF-8 code point
//    order); anything else is a mismatch (false).
//  - `contains`: substring of a string, or element of an array.
//    `startswith`: string prefix. `matches`: RE2 search (unanchored; use ^ $),
//    linear time, so an untrusted filter cannot hang the process.
//    `in`: equal to an element of the list (or of an array-valued operand).
//  - In a boolean position (operand of && || !, or the whole filter) only
//    `true` is true.
//  - `exists(p)`: p is present in the event, even if its value is null.
//  - `changed(p)`: the event has both a `before` and an `after` object (a
//    Debezium update with the old row image) and the values at p differ;
//    a leading `after.` or `before.` in p is dropped, so
//    `changed(after.price)` compares before.price with after.price.
//
// A mismatch is never an error unless the evaluator is strict: then it is
// reported (kBadData) with the operator's line and column. Comparisons with
// null (a missing field) are never mismatches.
//
// Thread safety: a compiled Filter is immutable and may be shared by many
// threads. An Evaluator holds per-event scratch space (a JSON parser, a
// padded copy of the event, copies of the strings it read): use one per
// thread. After the first few events it does not allocate.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "sluice/message.h"
#include "sluice/status.h"

namespace sluice::filter {

struct Program;  // the compiled form (private)

// The record metadata an expression can read behind `@`. Views; they must
// stay valid for the duration of one Evaluator::matches() call.
struct EventMeta {
  std::optional<std::string_view> key;
  std::span<const Header> headers;
  std::string_view stream;
  int32_t shard = -1;  // -1: none (@shard is null)
  int64_t seq = -1;    // -1: none (@seq is null)
  int64_t ts_us = 0;   // 0: none (@ts is null)

  // The metadata of a consumed message.
  static EventMeta Of(const Message& m) {
    return EventMeta{m.key, m.headers, m.stream, m.shard, m.seq, m.ts_us};
  }
};

class Filter {
 public:
  // Parses and compiles `text`. On a syntax error the Status is
  // kInvalidArgument with a message "LINE:COLUMN: what was expected"
  // (1-based; columns count code points), for example
  // "1:14: expected a value after '=='". Regular expressions are compiled
  // here too: a bad one is an error at its string's position.
  static Result<Filter> Compile(std::string_view text);

  Filter(Filter&&) noexcept;
  Filter& operator=(Filter&&) noexcept;
  ~Filter();

  // The expression as given to Compile().
  const std::string& text() const;
  // True when evaluation reads the event's JSON (any path, exists, changed);
  // a filter on metadata only never parses the payload.
  bool reads_event() const;

 private:
  friend class Evaluator;
  explicit Filter(std::unique_ptr<Program> p);
  std::unique_ptr<Program> program_;
};

class Evaluator {
 public:
  struct Options {
    bool strict = false;  // a type mismatch is an error instead of false
  };
  Evaluator();
  explicit Evaluator(Options options);
  Evaluator(const Evaluator&) = delete;
  Evaluator& operator=(const Evaluator&) = delete;
  Evaluator(Evaluator&&) noexcept;
  Evaluator& operator=(Evaluator&&) noexcept;
  ~Evaluator();

  // Evaluates `filter` over one event. `payload` is the event's JSON
  // (nullopt: no payload, every path is null). Returns whether it matched,
  // or kBadData when the filter reads the event and it is not valid JSON
  // where it reads it ("event is not valid JSON: ..."), or, in strict mode,
  // on a type mismatch ("1:7: type mismatch: '>' compares a string with a
  // number").
  // `slack`: how many readable bytes follow the payload in memory (the
  // rest of a read buffer); when they cover the JSON parser's padding and
  // the first is whitespace (a line's '\n'), the payload is parsed in place
  // instead of copied.
  Result<bool> matches(const Filter& filter, std::optional<std::string_view> payload,
                       const EventMeta& meta, size_t slack = 0);

  struct Scratch;  // private to the implementation

 private:
  Options options_;
  std::unique_ptr<Scratch> scratch_;
};

}  // namespace sluice::filter
