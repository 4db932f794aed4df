// Flag rows that several tools share, so each is declared once, and the
// list of short flags: a short flag means one thing in every tool
// (DESIGN.md section 5; tests/cli/t0004-generated.sh checks every tool's
// --help against kShortFlags). A new tool adds a short flag here first;
// most flags need none.
#pragma once

#include "common/flags.h"

namespace sluice::cli::shared {

struct ShortFlag {
  char short_name;
  std::string_view long_name;
};

inline constexpr ShortFlag kShortFlags[] = {
    {'h', "help"},   {'V', "version"},   {'o', "from"},          {'g', "group"},
    {'c', "count"},  {'e', "exit"},      {'F', "format"},        {'d', "delimiter"},
    {'0', "null"},   {'k', "key-field"}, {'K', "key-delimiter"}, {'H', "header"},
    {'t', "tables"}, {'s', "slot"},      {'p', "publication"},   {'n', "name"},
    {'l', "listen"}, {'w', "when"},      {'x', "exec"},          {'i', "interval"},
    {'j', "json"},
};

inline constexpr Flag kHelp{
    .name = "help",
    .short_name = 'h',
    .help = "print this help and exit",
    .doc = "Print the usage and exit.",
};

inline constexpr Flag kVersion{
    .name = "version",
    .short_name = 'V',
    .help = "print the version and exit",
    .doc = "Print the version and exit.",
};

inline constexpr Flag kStats{
    .name = "stats",
    .help = "print a summary on stderr at exit",
    .doc =
        "Print a summary on stderr at exit: records, bytes, seconds, rate, errors\n"
        "(and records skipped as corrupt, where there were any).",
};

inline constexpr Flag kProgress{
    .name = "progress",
    .help = "show a progress line on stderr (when it is a terminal)",
    .doc =
        "Show a progress line on stderr while running (only when stderr is a\n"
        "terminal).",
};

// cdc-pg and cdc-mysql.
inline constexpr Flag kWithKey{
    .name = "with-key",
    .help = "on stdout, print {\"key\":...,\"value\":...} lines",
    .doc = R"roff(On standard output, print \fB{"key":...,"value":...}\fR lines.
)roff",
};

inline constexpr Flag kNoTombstones{
    .name = "no-tombstones",
    .help = "no tombstone (key, null value) after each delete when writing to a stream",
    .doc = R"roff(When writing to a stream, do not follow each delete (and each primary-key
change, which is a delete and a create) with a tombstone: a message with
the same key and a null value, which lets Kafka log compaction drop the
key (Debezium's \fBtombstones.on.delete\fR, on by default).
Standard output never gets tombstones.
)roff",
};

// flux --encode avro and tap --decode avro.
inline constexpr Flag kSchemaRegistry{
    .name = "schema-registry",
    .value_name = "URL",
    .arity = Arity::kOne,
    .help = "Confluent-compatible schema registry for Avro",
    .doc = R"roff(The schema registry for Avro:
\fBhttp://\fR[\fIUSER\fR\fB:\fR\fIPASSWORD\fR\fB@\fR]\fIHOST\fR[\fB:\fR\fIPORT\fR][\fI/PATH\fR]
(or \fBhttps://\fR), such as \fBhttp://localhost:8081\fR.
Credentials may also come from \fBSLUICE_REGISTRY_USER\fR and
\fBSLUICE_REGISTRY_PASSWORD\fR; they are sent as HTTP basic auth and never
printed.
A registry that cannot be reached ends the run with exit 69, refused
credentials with exit 77, a schema it rejects with exit 78.
)roff",
    .hint = Hint::kSuggest,
    .choices = "http://localhost:8081",
};

inline constexpr Flag kMode{
    .name = "mode",
    .value_name = "OCTAL",
    .arity = Arity::kOne,
    .default_value = "0600",
    .help = "with PIPE: permissions of a created pipe",
    .doc =
        "With \\fIPIPE\\fR: the permissions of a pipe that is created (default\n"
        "\\fB0600\\fR); an existing pipe keeps its own.",
    .hint = Hint::kSuggest,
    .choices = "0600 0620 0660 0666",
};

}  // namespace sluice::cli::shared
