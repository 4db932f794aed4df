// flux's flags: the one table --help, man OPTIONS and the completions come
// from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::flux {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"PIPE|-",
     "the input: a named pipe (created if missing), a file read like cat, or - (stdin, the "
     "default)",
     Hint::kFile, true},
    {"STREAM", "the stream URI to produce to", Hint::kStream},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "delimiter",
        .short_name = 'd',
        .value_name = "STR",
        .arity = Arity::kOne,
        .help = "records end with STR (escapes \\n \\t \\r \\0 \\\\ \\xHH); default newline",
        .doc = R"roff(Records end with \fISTR\fR instead of a newline.
\fISTR\fR may hold the escapes \fB\en\fR, \fB\et\fR, \fB\er\fR,
\fB\e0\fR, \fB\e\e\fR and \fB\exHH\fR.
)roff",
    },
    {
        .name = "null",
        .short_name = '0',
        .help = "records end with NUL (same as --delimiter '\\0')",
        .doc = R"roff(Records end with a NUL byte (the same as \fB\-\-delimiter \(aq\e0\(aq\fR),
for binary payloads that may hold newlines (\fBfind \-print0\fR style).
)roff",
    },
    {
        .name = "framing",
        .value_name = "KIND",
        .arity = Arity::kOne,
        .help = "u32be | varint: each record is preceded by its length (records may hold any byte)",
        .doc = R"roff(Each record is preceded by its length instead of ending with a
delimiter, so that records may hold any byte: \fBu32be\fR (4 bytes, big
endian) or \fBvarint\fR (unsigned LEB128 of at most 10 bytes, as protobuf
writes lengths).
A record longer than \fB\-\-max\-record\-bytes\fR is a bad record and is
skipped by its length; a record cut short by the end of the input is a bad
record too (see \fB\-\-on\-error\fR; a dead-letter stream keeps the bytes
there were, the length prefix included).
A varint above 64 bits ends the run (exit 65) after the records before it
are produced: the records after it cannot be found.
)roff",
        .hint = Hint::kChoices,
        .choices = "u32be varint",
    },
    {
        .name = "envelope",
        .help = "input lines are NDJSON envelopes: key, headers and payload are honoured",
        .doc = R"roff(Input lines are NDJSON envelopes: their \fBkey\fR (or \fBkey_b64\fR),
\fBheaders\fR and \fBpayload\fR (or \fBpayload_b64\fR; \fBnull\fR is a
tombstone) are honoured.
Their \fBstream\fR, \fBshard\fR, \fBseq\fR and \fBts\fR are ignored: the
backend assigns new ones.
A blank line is skipped (it is no record and no error).
)roff",
    },
    {
        .name = "input",
        .value_name = "FORMAT",
        .arity = Arity::kOne,
        .default_value = "lines",
        .help =
            "lines | csv | tsv | msgpack: what the input holds (csv, tsv: each row becomes a JSON "
            "record; msgpack: each value a record)",
        .doc = R"roff(What the input holds (default \fBlines\fR):
.RS
.TP
.B lines
records split by newlines (or \fB\-\-delimiter\fR, \fB\-\-null\fR),
each produced as it is.
.TP
.B csv
CSV as RFC 4180 has it: fields split by commas (\fB\-\-csv\-delimiter\fR),
rows by LF or CRLF; a field in double quotes may hold commas, newlines and
doubled quotes (\fB""\fR).
A UTF-8 byte order mark at the start is dropped, and a blank line is no
row.
Each row is produced as a JSON array of strings, or with
\fB\-\-csv\-header\fR as a JSON object.
A quote inside an unquoted field, text after a closing quote, a quote
never closed, a row that is not UTF-8, a row with another number of
fields than the header and a row longer than \fB\-\-max\-record\-bytes\fR
are bad records (see \fB\-\-on\-error\fR), reported with the line the row
starts on; reading resumes at the next line.
.TP
.B tsv
tab-separated values (IANA text/tab-separated-values): as \fBcsv\fR,
but fields are split by tabs and nothing is quoted: a field is everything
between two tabs, with the escapes \fB\et\fR, \fB\en\fR, \fB\er\fR and
\fB\e\e\fR (as \fBmlr\fR and PostgreSQL\(aqs \fBCOPY\fR write them, and
\fBtap\fR\(aqs \fBtsv\fR format) decoded; any other backslash stays as it is.
.TP
.B msgpack
a stream of MessagePack values, back to back: each value is one record,
stored byte for byte (wide or non-canonical encodings too) with the header
\fBcontent\-type: application/msgpack\fR, the one header an input adds
(\fB\-\-to\-json\fR stores the JSON form instead, with no header).
A value cut short by the end of the input is a bad record (see
\fB\-\-on\-error\fR; its bytes go to a dead-letter stream).
Bytes that are no MessagePack (the unused byte 0xc1 where a value
starts) and a value longer than \fB\-\-max\-record\-bytes\fR end the run (exit 65) after the
values before it are produced: a stream of values cannot be
resynchronised.
.RE
)roff",
        .hint = Hint::kChoices,
        .choices = "lines csv tsv msgpack",
    },
    {
        .name = "encode",
        .value_name = "FORMAT",
        .arity = Arity::kOne,
        .help = "avro: encode each JSON record as Avro (needs --schema-registry and --subject, "
                "or --schema)",
        .doc = R"roff(\fBavro\fR: store each record, a JSON value, as Avro.
With \fB\-\-schema\-registry\fR and \fB\-\-subject\fR, records go out in the
schema registry framing that Kafka's Avro deserializers read (a byte 0, the
schema id in 4 bytes, then the datum): the schema in \fB\-\-schema\fR
\fIFILE\fR is registered under the subject (the registry answers with the
id it already has when the schema is there), or without \fB\-\-schema\fR
the subject\(aqs latest schema is used.
With \fB\-\-schema\fR alone, each record is a bare Avro datum.
The JSON is Avro\(aqs JSON encoding (what \fBtap\fR prints when it decodes Avro):
a union\(aqs value is \fB{"\fR\fItype\fR\fB":\fR \fIvalue\fR\fB}\fR or a bare
value (the first branch it fits), a missing field whose type is a union
with null is null, bytes and fixed are strings of code points up to
\fB\eu00ff\fR.
A record that does not fit the schema is a bad record (see
\fB\-\-on\-error\fR), reported with its line and the field path.
The key (\fB\-\-key\-field\fR) is taken from the JSON before encoding.
)roff",
        .hint = Hint::kChoices,
        .choices = "avro",
    },
    cli::shared::kSchemaRegistry,
    {
        .name = "subject",
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "with --schema-registry: the subject to register or look up the schema under",
        .doc = R"roff(With \fB\-\-schema\-registry\fR: the subject whose schema encodes the
records, such as \fBorders\-value\fR (Kafka\(aqs TopicNameStrategy).
)roff",
    },
    {
        .name = "schema",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "with --encode avro: the Avro schema (JSON) to encode with",
        .doc = R"roff(With \fB\-\-encode avro\fR: the Avro schema (JSON) in \fIFILE\fR.
Without \fB\-\-schema\-registry\fR, records are stored as bare Avro datums of
it (\fBtap\fR reads them back with the same schema file).
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "to-json",
        .help = "with --input msgpack: store each value's JSON form instead of its bytes",
        .doc = R"roff(With \fB\-\-input msgpack\fR: store the JSON form of each value instead of
its bytes, and add no header: bin becomes a base64 string, floats JSON
numbers.
A value with no JSON form (an ext type, a str that is not UTF-8, a map key
that is no str, NaN or an infinity, nesting deeper than 32) is a bad record (see
\fB\-\-on\-error\fR), reported by its value number.
)roff",
    },
    {
        .name = "csv-header",
        .help = "with --input csv|tsv: the first row names the fields; rows become JSON objects",
        .doc = R"roff(With \fB\-\-input csv\fR or \fBtsv\fR: the first row names the fields,
and each row after it becomes a JSON object with those names, in order.
A header that names a column twice, or is not UTF-8, ends the run (exit
65).
On a named pipe, the first row after every writer has left (flux saw the
end of the input) is a header again; writers that overlap form one input,
as lines do, so the second one\(aqs header would be read as a row.
)roff",
    },
    {
        .name = "csv-delimiter",
        .value_name = "C",
        .arity = Arity::kOne,
        .help = "with --input csv|tsv: fields are split by the byte C (default , or tab; \\t)",
        .doc = R"roff(With \fB\-\-input csv\fR or \fBtsv\fR: fields are split by the one byte
\fIC\fR instead of a comma (CSV) or a tab (TSV); \fB\et\fR is a tab.
A quote, CR or LF cannot be the delimiter.
)roff",
    },
    {
        .name = "infer",
        .help = "with --input csv|tsv: numbers, true and false become JSON values, not strings",
        .doc = R"roff(With \fB\-\-input csv\fR or \fBtsv\fR: a field that is a JSON number
(\fB42\fR, \fB\-1.5e3\fR; not \fB007\fR or \fB+1\fR), \fBtrue\fR or \fBfalse\fR
is written as that JSON value; every other field, the empty one too, stays
a string.
)roff",
    },
    {
        .name = "key-field",
        .short_name = 'k',
        .value_name = "PATH",
        .arity = Arity::kOne,
        .help = "message key = this JSON field of each record (dotted path: id, user.id)",
        .doc = R"roff(The message key is this JSON field of each record, a dotted path such as
\fBid\fR or \fBuser.id\fR.
A string field gives its text, any other value its JSON text; a record
without the field has no key, and neither has a record that is not JSON:
both are produced as they are.
)roff",
    },
    {
        .name = "key-delimiter",
        .short_name = 'K',
        .value_name = "STR",
        .arity = Arity::kOne,
        .help = "message key = the text before the first STR; payload = the rest",
        .doc = R"roff(The message key is the text before the first \fISTR\fR of each record, the
payload is the rest (like \fBkcat \-K\fR).
A record without \fISTR\fR has no key.
)roff",
    },
    {
        .name = "header",
        .short_name = 'H',
        .value_name = "NAME=VALUE",
        .arity = Arity::kMany,
        .help = "add a header NAME=VALUE to every record (repeatable)",
        .doc = R"roff(Add a header to every record.
Repeatable; headers keep the order given.
)roff",
    },
    {
        .name = "once",
        .help = "with PIPE: exit after the first writer closes the pipe",
        .doc = R"roff(With \fIPIPE\fR: exit after the first writer closes the pipe.
)roff",
    },
    cli::shared::kMode,
    {
        .name = "on-error",
        .value_name = "POLICY",
        .arity = Arity::kOne,
        .default_value = "skip",
        .help = "fail | skip | dlq:URI: what to do with a bad record (exit 65 if any)",
        .doc = R"roff(What to do with a bad record (a malformed envelope, a record longer than
\fB\-\-max\-record\-bytes\fR):
.RS
.TP
.B fail
stop at the first bad record; the records before it are produced and
acknowledged; exit 65.
.TP
.B skip
(the default) report the record on stderr with its line (record) number and
the reason, go on, and exit 65 at the end if any record was skipped.
.TP
.BI dlq: URI
produce the raw record to the dead-letter stream \fIURI\fR with the headers
\fBsluice.error\fR (the reason) and \fBsluice.line\fR (the record number),
go on, and exit 0.
.RE
)roff",
        .hint = Hint::kSuggest,
        .choices = "fail skip dlq:",
    },
    {
        .name = "max-record-bytes",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "1M",
        .help = "longest accepted record",
        .doc = R"roff(The longest record accepted, in bytes without its delimiter, inclusive
(default \fB1M\fR, at most \fB1G\fR); \fIN\fR takes a \fBK\fR,
\fBM\fR or \fBG\fR suffix (powers of 1024).
Readers need no flag to read back any record a writer accepted.
)roff",
        .hint = Hint::kSuggest,
        .choices = "64K 1M 16M 256M",
    },
    {
        .name = "fsync",
        .value_name = "POLICY",
        .arity = Arity::kOne,
        .default_value = "interval",
        .help = "file: always | interval | never",
        .doc = R"roff(When the \fBfile:\fR backend calls \fBfsync\fR(2) (a usage error with any
other backend, as are the next three options):
\fBalways\fR (before each acknowledgement: survives a power cut),
\fBinterval\fR (the default: at most every \fB\-\-fsync\-interval\fR; a
process crash loses nothing, a power cut at most that interval) or
\fBnever\fR (leave it to the kernel).
)roff",
        .hint = Hint::kChoices,
        .choices = "always interval never",
    },
    {
        .name = "fsync-interval",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "1s",
        .help = "file: interval of the interval policy",
        .doc = R"roff(The interval of the \fBinterval\fR policy (default \fB1s\fR).
\fIDUR\fR is a number with a unit: \fBms\fR, \fBs\fR, \fBm\fR, \fBh\fR,
\fBd\fR.
)roff",
        .hint = Hint::kSuggest,
        .choices = "100ms 1s 5s",
    },
    {
        .name = "segment-bytes",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "64M",
        .help = "file: segment size of the stream; changes an existing stream's, "
                "saying so",
        .doc = R"roff(\fBfile:\fR backend: the segment size of a stream this run creates
(default \fB64M\fR, at least \fB4K\fR).
Segments roll between write batches, so one may exceed the size by up to a
quarter of it (or one record, if larger).
Kept in the stream's metadata.
Given for an existing stream, it changes the stream's segment size from
the next segment on, and says so on stderr
(\fBstream \(aqlog/s\(aq: segment size changed from 64M to 1M\fR).
)roff",
        .hint = Hint::kSuggest,
        .choices = "16M 64M 256M 1G",
    },
    {
        .name = "shards",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "file: shards of a stream this run creates (default 1); an existing stream "
                "keeps its count",
        .doc = R"roff(\fBfile:\fR backend: the number of shards (1 to 1024) of a stream this
run creates (default 1), kept in the stream's metadata.
A keyed record goes to the shard that the Java Kafka client's default
partitioner (murmur2) picks for \fIN\fR partitions, so a key lands on the
same shard number as on a Kafka topic of \fIN\fR partitions; keyless
records go to one shard a write batch at a time, each batch to the next.
Each shard has its own segments and seqs; a consumer group spreads the
shards over its members (see \fBsluice\-tap\fR(1)).
A stream keeps the count it was created with: given for an existing
stream with another count, flux exits 64 and writes nothing.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1 2 4 8 16",
    },
    {
        .name = "retention",
        .value_name = "SPEC",
        .arity = Arity::kOne,
        .help = "file: retention of the stream: AGE, SIZE or AGE,SIZE (7d, 10G, 7d,10G); changes "
                "an existing stream's, saying so",
        .doc = R"roff(\fBfile:\fR backend: the retention of a stream this run creates: an age
(\fB7d\fR), a size (\fB10G\fR) or both (\fB7d,10G\fR).
Whole segments older or beyond the size are dropped.
Kept in the stream's metadata.
Given for an existing stream, it replaces the stream's retention (both
age and size: \fB1d\fR drops a size limit), applied from the next segment
roll, and says so on stderr
(\fBstream \(aqlog/s\(aq: retention changed from 7d to 1d\fR).
Default: keep everything.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1d 7d 30d 10G 7d,10G",
    },
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up waiting for the backend after DUR",
        .doc = R"roff(Give up waiting for the backend after \fIDUR\fR (default \fB30s\fR):
exit 69 when it cannot be reached, 75 when acknowledgements do not come.
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 30s 1m",
    },
    cli::shared::kStats,
    cli::shared::kProgress,
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "flux",
    .summary = "produce records from stdin or a named pipe to a stream",
    .about =
        "Read records from stdin or a named pipe and produce each to STREAM. Exits after every "
        "accepted record is acknowledged.",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::flux
