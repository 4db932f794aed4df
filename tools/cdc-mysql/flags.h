// cdc-mysql's flags: the one table --help, man OPTIONS and the completions
// come from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::cdc_mysql {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"URI", "mysql://USER[:PASS]@HOST[:PORT][/DB][?socket=PATH] (password also from MYSQL_PWD)"},
    {"STREAM|-", "where events go (default -, stdout); may hold {db}, {table}", Hint::kStream,
     true},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "tables",
        .short_name = 't',
        .value_name = "DB.T1,DB.T2",
        .arity = Arity::kOne,
        .help = "only these tables: db.t1,db.t2 (default: every table of the URI's database, or "
                "of every database)",
        .doc = R"roff(Only these tables (default: every table of the URI's database, or of
every database but the system ones when the URI names none).
A table named without its database is in the URI's database.
)roff",
    },
    {
        .name = "snapshot",
        .value_name = "MODE",
        .arity = Arity::kOne,
        .default_value = "initial",
        .help = "initial | never | only | when-needed",
        .doc = R"roff(\fBinitial\fR (default): snapshot the tables when there is no saved
position (no \fB\-\-offsets\fR file yet), then stream from the snapshot's
binlog position; \fBnever\fR: stream only (from the saved position, else
from the current end of the binlog); \fBonly\fR: copy the tables and exit;
\fBwhen\-needed\fR: as \fBinitial\fR, and also take a new snapshot when the
saved position's binlog file was purged from the server.
)roff",
        .hint = Hint::kChoices,
        .choices = "initial never only when-needed",
    },
    {
        .name = "offsets",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "keep the binlog position (file:pos, GTID set) in FILE and resume from it",
        .doc = R"roff(Keep the binlog position (\fBfile=\fR, \fBpos=\fR, the GTID
\fBgtid=\fR and, on MySQL, the set of every GTID seen \fBgtid_set=\fR in
MySQL's text form \fIuuid\fB:\fI1\-5\fB:\fI7\fB,\fR...) in \fIFILE\fR and resume
from it (from \fBfile=\fR and \fBpos=\fR; a \fBgtid_set=\fR line that does
not parse is an error naming \fIFILE\fR, the line and the offset).
It is written atomically (a temporary file, fsync, rename) and only once
the destination acknowledged every event of the transactions before it,
so a crash (even \fBkill \-9\fR) loses nothing: the next run sends again
what was not acknowledged (at least once).
Without it each run starts afresh (see \fB\-\-snapshot\fR).
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "server-id",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "replica server id (default: derived from the host and --offsets, 5400-6400)",
        .doc = R"roff(The server id this replica announces (default: derived from the host,
the port and the \fB\-\-offsets\fR path, in 5400..6400 as Debezium's).
Two replicas of one server must not share an id: the server drops the
older one.
)roff",
    },
    {
        .name = "tx-markers",
        .help = "emit transaction BEGIN/END events and the transaction block",
        .doc = R"roff(Emit BEGIN and END events per transaction (the GTID is its id; END with
the event count per table) and fill each event's \fBtransaction\fR block.
)roff",
    },
    cli::shared::kNoTombstones,
    {
        .name = "heartbeat",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "1s",
        .help = "server heartbeat period when the binlog is idle",
        .doc = R"roff(The heartbeat period the server is asked for (default \fB1s\fR): when
nothing is written, the server sends a heartbeat, so cdc-mysql pushes out
pending events, saves the offsets and notices a stop or a lost server.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1s 5s 30s",
    },
    {
        .name = "name",
        .short_name = 'n',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "source.name, the logical server name (default: the database name, else mysql)",
        .doc = R"roff(\fBsource.name\fR, the logical server name (default: the URI's
database, else \fBmysql\fR).
)roff",
    },
    cli::shared::kWithKey,
    {
        .name = "embed-json",
        .help = "JSON columns (MySQL) as JSON values, not strings",
        .doc = R"roff(Write MySQL \fBJSON\fR values as JSON, not as strings.
MariaDB's JSON is a text column in the binlog and stays a string.
)roff",
    },
    {
        .name = "no-reconnect",
        .help = "exit 69 when the server goes away instead of reconnecting with backoff",
        .doc = R"roff(Exit 69 when the server goes away.
By default a lost server is reconnected with backoff (0.5 s, doubling up
to 30 s, each attempt a warning) and streaming resumes from the last
acknowledged position: changes not yet acknowledged come again.
)roff",
    },
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up connecting or draining the destination after DUR",
        .doc = R"roff(Give up connecting, or waiting for the destination at exit, after
\fIDUR\fR (default \fB30s\fR).
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
    .name = "cdc-mysql",
    .summary = "MySQL/MariaDB binlog change data capture to Debezium-compatible events",
    .about =
        "Capture MySQL/MariaDB row changes from the binary log (ROW format) as Debezium-compatible "
        "change events: a consistent snapshot, then streaming. Writes one event per line to "
        "stdout, or produces to STREAM (key = primary key).",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::cdc_mysql
