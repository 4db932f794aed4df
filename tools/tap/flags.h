// tap's flags: the one table --help, man OPTIONS and the completions come
// from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::tap {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"STREAM", "the stream URI to consume", Hint::kStream},
    {"PIPE|-", "the output: a named pipe (created if missing) or - (stdout, the default)",
     Hint::kFile, true},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "from",
        .short_name = 'o',
        .value_name = "POS",
        .arity = Arity::kOne,
        .default_value = "beginning",
        .help = "beginning | end | SEQ | ID | -N | @TIME (ID: a redis entry id as %i prints; TIME: "
                "RFC 3339 or an age like 5m)",
        .doc = R"roff(Where to start (default \fBbeginning\fR):
\fBbeginning\fR; \fBend\fR (only messages produced from now on); a sequence
number \fISEQ\fR; a Redis entry ID \fIMS\fR\-\fIN\fR (as \fB%i\fR prints,
such as \fB1795747979255\-0\fR: that entry and the ones after it; only for
\fBredis://\fR streams, elsewhere exit 64); \fB\-\fR\fIN\fR (the last \fIN\fR messages);
\fB@\fR\fITIME\fR (the first message at or after \fITIME\fR, an RFC 3339
time such as \fB@2026\-11\-21T22:00:00Z\fR or an age such as \fB@5m\fR,
\fB@2h\fR, \fB@7d\fR).
Ignored when \fB\-\-group\fR has a committed position.
)roff",
        .hint = Hint::kSuggest,
        .choices = "beginning end -1 -10 -100 @5m @1h @1d",
    },
    {
        .name = "group",
        .short_name = 'g',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "consumer group: resume from and commit to it (only what the output took)",
        .doc = R"roff(Consumer group: resume from its committed position and commit to it.
Only messages the output actually took are committed.
On a \fBfile:\fR stream, the group spreads the stream's shards over its
live members, as Kafka spreads partitions: each member reads and commits
the shards it owns.
A member that joins takes shards from the others; one that stops or dies
(even by \fBkill \-9\fR) leaves its shards to the others (see
\fB\-\-session\-timeout\fR).
A member gives a shard up only once its output took what it read from
that shard, and commits first, so a handover repeats nothing (a crash
may: at-least-once).
With more members than shards, the extra ones wait for a shard, saying so
once on stderr; with \fB\-\-exit\fR they exit 0 at once instead.
With \fB\-\-exit\fR, a member that joins other members and finds every
shard it is given read to its end exits 0 at once and says so on stderr
(a lone member finding nothing new exits 0 quietly).
)roff",
    },
    {
        .name = "session-timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .help = "with --group: a dead member's work moves to the others within DUR (file: "
                "default 10s)",
        .doc = R"roff(With \fB\-\-group\fR: how long the work of a member that died waits
for the other members.
On \fBfile:\fR streams its shards go to the others within \fIDUR\fR
(default \fB10s\fR): members look for dead members every quarter of
\fIDUR\fR, at most once a second, and see members that join or leave
cleanly within 50 ms.
On \fBkafka://\fR it is the group's \fBsession.timeout.ms\fR (heartbeats
every third of it; the broker bounds it, and a URI property wins).
On \fBredis://\fR it is \fBclaim_idle_ms\fR: pending entries idle that
long are claimed by another member (default 30 s; the URI's
\fB?claim_idle_ms=\fR wins).
)roff",
        .hint = Hint::kSuggest,
        .choices = "1s 5s 10s 30s",
    },
    {
        .name = "consumer",
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "with --group: this member's name (redis: the consumer, default HOSTNAME-PID; "
                "kafka: client.id)",
        .doc = R"roff(With \fB\-\-group\fR: the name of this member of the group, so that a job
run again and again (from cron) is one member.
\fBredis://\fR: the consumer name (default \fIHOSTNAME\fR\-\fIPID\fR; wins
over \fB?consumer=\fR); a member re\-reads the entries still pending under
its name first.
\fBkafka://\fR: the \fBclient.id\fR, which Kafka's group tools show as
the member's CLIENT\-ID (wins over \fB?client.id=\fR); it is not static
membership, for which set \fB?group.instance.id=\fR\fINAME\fR.
\fBfile:\fR: accepted and ignored (the log does not name the members of
a group), so one command line serves every backend.
)roff",
    },
    {
        .name = "count",
        .short_name = 'c',
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "stop after N messages (0 or more)",
        .doc = R"roff(Stop after \fIN\fR messages (\fB0\fR: at once; a negative \fIN\fR is a
usage error).
)roff",
    },
    {
        .name = "exit",
        .short_name = 'e',
        .help = "stop at the end of the stream instead of following it",
        .doc = R"roff(Stop at the end of the stream instead of following it.
)roff",
    },
    {
        .name = "format",
        .short_name = 'F',
        .value_name = "FMT",
        .arity = Arity::kOne,
        .default_value = "payload",
        .help =
            "payload | envelope | csv | tsv | msgpack | TEMPLATE (%s %k %t %p %o %i %T %D %h %S "
            "%K %%)",
        .doc = R"roff(What to write for each message (default \fBpayload\fR):
.RS
.TP
.B payload
the payload bytes, followed by the record delimiter.
.TP
.B envelope
the NDJSON envelope (see
.BR sluice (7)),
followed by the record delimiter: what \fBflux\fR takes back as envelope input.
.TP
.B csv
one CSV row (RFC 4180) per message, with a column for each path of
\fB\-\-fields\fR into the JSON payload: a string gives its text, \fBnull\fR
or a missing field an empty field, any other value its JSON text; a
payload that is not JSON gives a row of empty fields.
A field holding a comma, a quote, CR or LF is quoted, its quotes doubled.
Rows end with the record delimiter (a newline).
.TP
.B tsv
as \fBcsv\fR, tab-separated: nothing is quoted, and a tab, CR, LF or
backslash in a value is written as \fB\et\fR, \fB\er\fR, \fB\en\fR or
\fB\e\e\fR (as \fBflux\fR reads them back from TSV).
.TP
.B msgpack
one MessagePack value per message, back to back with no delimiter (unless
\fB\-\-delimiter\fR or \fB\-\-framing\fR is given), so the output is a
MessagePack stream: a record with the header
\fBcontent\-type: application/msgpack\fR (what \fBflux\fR stores) as it is,
byte for byte; a JSON payload as its MessagePack form (integers, strings,
arrays and maps in their most compact encoding, other numbers as float64);
any other payload as a str (UTF-8) or bin; a
tombstone as nil.
.TP
.I TEMPLATE
any other text, printed as written for each message (put \fB\en\fR in it;
no delimiter is added), like \fBkcat \-f\fR.
Tokens:
\fB%s\fR payload,
\fB%k\fR key,
\fB%t\fR stream,
\fB%p\fR shard,
\fB%o\fR seq,
\fB%i\fR entry ID (a Redis entry's \fIMS\fR\-\fIN\fR, what \fB\-\-from\fR
takes back; the seq for other backends),
\fB%T\fR timestamp (milliseconds since the epoch),
\fB%D\fR timestamp (RFC 3339, UTC),
\fB%h\fR headers (\fIname\fR=\fIvalue\fR,...),
\fB%S\fR payload length,
\fB%K\fR key length,
\fB%%\fR a percent sign;
escapes \fB\en\fR, \fB\et\fR, \fB\er\fR, \fB\e0\fR, \fB\e\e\fR.
A tombstone or missing key prints as nothing, its length as \-1.
.RE
)roff",
        .hint = Hint::kSuggest,
        .choices = "payload envelope csv tsv msgpack",
    },
    {
        .name = "fields",
        .value_name = "PATHS",
        .arity = Arity::kOne,
        .help =
            "with --format csv|tsv: the columns, dotted paths into the JSON payload (id,user.name)",
        .doc = R"roff(With \fB\-\-format csv\fR or \fBtsv\fR (and needed there): the columns,
comma-separated dotted paths into the JSON payload, such as
\fBid,user.name\fR.
)roff",
    },
    {
        .name = "csv-header",
        .help = "with --format csv|tsv: write a header row (the paths) before the first row",
        .doc = R"roff(With \fB\-\-format csv\fR or \fBtsv\fR: write a header row, the paths of
\fB\-\-fields\fR as given, before the first row (nothing when no message
comes).
)roff",
    },
    {
        .name = "delimiter",
        .short_name = 'd',
        .value_name = "STR",
        .arity = Arity::kOne,
        .help = "end each record with STR (default newline)",
        .doc = R"roff(End each record with \fISTR\fR (default a newline); the escapes of
\fB\-\-format\fR and \fB\exHH\fR are understood.
)roff",
    },
    {
        .name = "null",
        .short_name = '0',
        .help = "end each record with NUL",
        .doc = R"roff(End each record with a NUL byte, for binary payloads (\fBxargs \-0\fR
style).
)roff",
    },
    {
        .name = "framing",
        .value_name = "KIND",
        .arity = Arity::kOne,
        .help = "u32be | varint: precede each record by its length instead of a delimiter",
        .doc = R"roff(Precede each record by its length, instead of ending it with a
delimiter, so that records may hold any byte: \fBu32be\fR (4 bytes, big
endian) or \fBvarint\fR (unsigned LEB128, as protobuf writes lengths).
What \fBflux \-\-framing\fR reads back.
)roff",
        .hint = Hint::kChoices,
        .choices = "u32be varint",
    },
    {
        .name = "decode",
        .value_name = "FORMAT",
        .arity = Arity::kOne,
        .help = "avro: decode each value from Avro to JSON (needs --schema-registry or --schema)",
        .doc = R"roff(\fBavro\fR: decode each value from Avro to its JSON form before
\fB\-\-format\fR renders it.
With \fB\-\-schema\-registry\fR, values are in the schema registry framing
that Kafka's Avro serializers write (a byte 0, the schema id in 4 bytes,
then the datum); each schema is fetched once by its id and kept.
With \fB\-\-schema\fR \fIFILE\fR, values are bare Avro datums of that
schema.
The JSON is Avro's JSON encoding, as \fBkcat \-s avro\fR prints it: a
union's value is \fB{"\fR\fItype\fR\fB":\fR \fIvalue\fR\fB}\fR (null is
plain \fBnull\fR), bytes and fixed are strings of code points
\fB\eu0000\fR..\fB\eu00ff\fR.
A value that does not decode (not in the framing, a schema id the registry
does not know, bytes that do not fit the schema) follows \fB\-\-on\-error\fR.
)roff",
        .hint = Hint::kChoices,
        .choices = "avro",
    },
    {
        .name = "key-decode",
        .value_name = "FORMAT",
        .arity = Arity::kOne,
        .help = "avro: decode each key from Avro to JSON (needs --schema-registry)",
        .doc = R"roff(\fBavro\fR: decode each key, in the schema registry framing, to its
JSON form, as \fB\-\-decode\fR does for values (needs
\fB\-\-schema\-registry\fR).
)roff",
        .hint = Hint::kChoices,
        .choices = "avro",
    },
    cli::shared::kSchemaRegistry,
    {
        .name = "schema",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "with --decode avro: values are bare Avro datums of the schema in FILE",
        .doc = R"roff(With \fB\-\-decode avro\fR: the values are bare Avro datums (no
registry framing) of the Avro schema (JSON) in \fIFILE\fR, as
\fBflux\fR writes them when it encodes Avro with a schema file.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "once",
        .help = "with PIPE: exit after the first reader closes the pipe",
        .doc = R"roff(With \fIPIPE\fR: exit after the first reader closes the pipe.
)roff",
    },
    cli::shared::kMode,
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up on an unreachable backend after DUR",
        .doc = R"roff(Give up connecting to the backend after \fIDUR\fR (default \fB30s\fR);
\fIDUR\fR is a number with a unit: \fBms\fR, \fBs\fR, \fBm\fR, \fBh\fR,
\fBd\fR.
With \fB\-\-exit\fR it also bounds a backend lost mid-stream: when no
broker or server answers for \fIDUR\fR, tap exits 69.
Without \fB\-\-exit\fR, tap keeps following through an outage (warning on
stderr) and goes on when the backend is back, as \fBtail \-F\fR would.
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 30s 1m",
    },
    {
        .name = "on-error",
        .value_name = "POLICY",
        .arity = Arity::kOne,
        .default_value = "fail",
        .help = "fail | skip: at a corrupt record in a file: stream, or one that does not "
                "decode, stop with exit 65 or skip it",
        .doc = R"roff(What to do at a corrupt record in a \fBfile:\fR stream (bad bytes with a
valid record after them; a torn tail left by a crash is not corruption, it
is simply not there yet), or at a record that \fB\-\-decode\fR or
\fB\-\-key\-decode\fR cannot decode.
For the latter, \fBfail\fR writes every record before it and exits 65
naming the record (\fISTREAM\fR/\fISHARD\fR/\fISEQ\fR) and the reason
(with the byte offset and field path); \fBskip\fR warns the same way and
goes on.
\fBfail\fR (the default, since stored data should stop rather than
silently lose records): write every record before it, then exit 65 with a
message that names the stream, the segment file, the byte offset, the last
good seq and the next valid one.
\fBskip\fR: go on at the next valid record, warn on stderr for each
corrupt range (seqs and offsets lost) and count the lost records in
\fB\-\-stats\fR.
Only \fBskip\fR lets a \fB\-\-group\fR commit past a corrupt record.
Corruption wholly before the start position (\fB\-\-from\fR \fISEQ\fR,
\fB\-\fR\fIN\fR, \fB@\fR\fITIME\fR, or the group's committed seq) is
passed over without a word, so \fB\-\-from\fR the next valid seq also
reads past it.
Other backends have no corrupt records; there the flag only applies to
decoding.
)roff",
        .hint = Hint::kChoices,
        .choices = "fail skip",
    },
    cli::shared::kStats,
    cli::shared::kProgress,
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "tap",
    .summary = "consume a stream to stdout or a named pipe",
    .about = "Consume STREAM and write each message to stdout or to the named pipe PIPE.",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::tap
