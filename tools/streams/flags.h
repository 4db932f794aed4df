// streams's flags: the one table --help, man OPTIONS and the completions come
// from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::streams {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"COMMAND", "ls | show | groups | create | config | trim | rm | reset | check"},
    {"TARGET",
     "ls, groups: a cluster (file:DIR, kafka://HOST:PORT, redis://HOST); groups, show, create, "
     "config, trim, rm, check: a stream URI; reset: the GROUP",
     Hint::kStream, true},
    {"STREAM", "reset: the stream URI", Hint::kStream, true},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "json",
        .short_name = 'j',
        .help = "ls, show, groups: one JSON object per line",
        .doc = R"roff(\fBls\fR, \fBshow\fR, \fBgroups\fR: print one JSON object per line
instead of a table (see \fBOUTPUT\fR).
)roff",
    },
    {
        .name = "group",
        .short_name = 'g',
        .value_name = "NAME",
        .arity = Arity::kMany,
        .help = "show, groups: only this consumer group (repeatable); kafka: described by name",
        .doc = R"roff(\fBshow\fR, \fBgroups\fR: show only this consumer group
(repeatable). A Kafka cluster that cannot list its groups, such as
librdkafka's mock cluster, shows only the groups named here.
)roff",
    },
    {
        .name = "shards",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "1",
        .help = "create: the number of shards (file: 1 to 1024)",
        .doc = R"roff(\fBcreate\fR: the number of shards of the new stream (default 1; a
\fBfile:\fR stream has 1 to 1024).
)roff",
        .hint = Hint::kSuggest,
        .choices = "1 2 4 8 16",
    },
    {
        .name = "retention",
        .value_name = "SPEC",
        .arity = Arity::kOne,
        .help = "create, config: retention AGE, SIZE or AGE,SIZE (7d, 10G, 7d,10G; none)",
        .doc = R"roff(\fBcreate\fR, \fBconfig\fR: the retention of the stream: an age
(\fB7d\fR), a size (\fB10G\fR) or both (\fB7d,10G\fR); \fBnone\fR keeps
everything (the default of \fBcreate\fR). \fBconfig\fR changes only the part
given. A \fBredis://\fR stream keeps an age only (flux trims with
\fBMINID\fR); Redis cannot bound a stream by bytes.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1d 7d 30d 10G 7d,10G none",
    },
    {
        .name = "replication-factor",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "create: kafka replication factor (default: the broker's)",
        .doc = R"roff(\fBcreate\fR: the replication factor of a new \fBkafka://\fR topic
(default: the broker's \fBdefault.replication.factor\fR).
)roff",
        .hint = Hint::kSuggest,
        .choices = "1 2 3",
    },
    {
        .name = "segment-bytes",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "create: segment size (file: default 64M; kafka: segment.bytes)",
        .doc = R"roff(\fBcreate\fR: the segment size of a \fBfile:\fR stream (default
\fB64M\fR, at least \fB4K\fR), or the \fBsegment.bytes\fR of a
\fBkafka://\fR topic (default: the broker's).
)roff",
        .hint = Hint::kSuggest,
        .choices = "16M 64M 256M 1G",
    },
    {
        .name = "to",
        .value_name = "POS",
        .arity = Arity::kOne,
        .help = "reset: beginning | end | SEQ | -N | @TIME, the next record the group reads",
        .doc = R"roff(\fBreset\fR: where the group reads next, on every shard:
\fBbeginning\fR, \fBend\fR, \fISEQ\fR (that seq is the next record read),
\fB\-\fR\fIN\fR (the last \fIN\fR of each shard) or \fB@\fR\fITIME\fR (the
first record at or after \fITIME\fR, RFC 3339 or an age such as \fB@5m\fR).
A position past the ends is clamped to them.
)roff",
        .hint = Hint::kSuggest,
        .choices = "beginning end -1 -100 @5m @1h @1d",
    },
    {
        .name = "before",
        .value_name = "POS",
        .arity = Arity::kOne,
        .help = "trim: drop the records before SEQ or @TIME",
        .doc = R"roff(\fBtrim\fR: drop the records before \fISEQ\fR, or before the first
record at or after \fB@\fR\fITIME\fR, on every shard.
)roff",
        .hint = Hint::kSuggest,
        .choices = "@1d @7d",
    },
    {
        .name = "keep",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "trim: keep only the last N records of each shard",
        .doc = R"roff(\fBtrim\fR: keep only the last \fIN\fR records of each shard.
)roff",
    },
    {
        .name = "dry-run",
        .help = "reset: print the positions before and after, change nothing",
        .doc = R"roff(\fBreset\fR: print the positions before and after, per shard, and
change nothing.
)roff",
    },
    {
        .name = "force",
        .help = "reset: even while the group has live members",
        .doc = R"roff(\fBreset\fR: reset even while the group has live members (they may
commit over the new position).
)roff",
    },
    {
        .name = "color",
        .value_name = "WHEN",
        .arity = Arity::kOne,
        .default_value = "auto",
        .help = "ls, show, groups: colour the tables: auto (on a terminal, without NO_COLOR), "
                "always, never",
        .doc = R"roff(\fBls\fR, \fBshow\fR, \fBgroups\fR: colour the tables (bold
headings; a lag in yellow, none in green). \fBauto\fR (default): only when
standard output is a terminal and \fBNO_COLOR\fR is not set; \fBalways\fR;
\fBnever\fR. \fB\-\-json\fR is never coloured.
)roff",
        .hint = Hint::kChoices,
        .choices = "auto always never",
    },
    {
        .name = "yes",
        .help = "rm: really delete (without it, say what would be deleted and exit 64)",
        .doc = R"roff(\fBrm\fR: really delete. Without it \fBrm\fR says what would be
deleted and exits 64.
)roff",
    },
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "streams",
    .summary = "list, create, configure, trim, inspect, reset and check streams",
    .about = "Administration of streams, in the style of git remote: streams COMMAND ...",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::streams
