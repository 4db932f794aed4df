// cdc-pg's flags: the one table --help, man OPTIONS and the completions come
// from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::cdc_pg {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"CONNINFO", "postgresql://USER@HOST/DB or 'host=... dbname=...'"},
    {"STREAM|-", "where events go (default -, stdout); may hold {db}, {schema}, {table}",
     Hint::kStream, true},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "slot",
        .short_name = 's',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .default_value = "sluice",
        .help = "replication slot, created when missing",
        .doc = R"roff(The logical replication slot (default \fBsluice\fR), created when missing.
Only one process may use a slot at a time.
)roff",
    },
    {
        .name = "publication",
        .short_name = 'p',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .default_value = "sluice",
        .help = "publication to stream",
        .doc = R"roff(The publication to stream (default \fBsluice\fR).
)roff",
    },
    {
        .name = "tables",
        .short_name = 't',
        .value_name = "SCHEMA.T1,SCHEMA.T2",
        .arity = Arity::kOne,
        .help = "only these tables: schema.t1,schema.t2 (default: all of the publication)",
        .doc = R"roff(Only these tables (default: every table of the publication).
)roff",
    },
    {
        .name = "create-publication",
        .help = "create the publication when missing (FOR TABLE --tables, else FOR ALL TABLES)",
        .doc = R"roff(Create the publication when it is missing: \fBFOR TABLE\fR the
\fB\-\-tables\fR, else \fBFOR ALL TABLES\fR (which needs a superuser).
)roff",
    },
    {
        .name = "drop-slot",
        .help = "drop the --slot on the server and exit (refused while it is in use)",
        .doc = R"roff(Drop the replication slot \fB\-\-slot\fR on the server and exit,
streaming nothing (the server then keeps no WAL for it). Refused (exit 75,
naming the pid) while the slot is in use; exit 66 when it does not exist.
)roff",
    },
    {
        .name = "drop-publication",
        .help = "drop the --publication on the server and exit (refused while --slot is in use)",
        .doc = R"roff(Drop the publication \fB\-\-publication\fR on the server and exit,
streaming nothing. Refused (exit 75) while the slot \fB\-\-slot\fR is in
use; exit 66 when the publication does not exist. With
\fB\-\-drop\-slot\fR both go.
)roff",
    },
    {
        .name = "temporary",
        .help = "use a temporary slot, dropped when cdc-pg exits",
        .doc = R"roff(Use a temporary slot, dropped by the server when \fBcdc\-pg\fR exits.
)roff",
    },
    {
        .name = "snapshot",
        .value_name = "MODE",
        .arity = Arity::kOne,
        .default_value = "initial",
        .help = "initial | never | only | when-needed",
        .doc = R"roff(\fBinitial\fR (default): snapshot when the slot is created by this run,
then stream; \fBnever\fR: stream only; \fBonly\fR: copy the tables and
exit (no slot); \fBwhen\-needed\fR: as \fBinitial\fR.
)roff",
        .hint = Hint::kChoices,
        .choices = "initial never only when-needed",
    },
    {
        .name = "tx-markers",
        .help = "emit transaction BEGIN/END events and the transaction block",
        .doc = R"roff(Emit BEGIN and END events per transaction (END with the event count per
table) and fill each event's \fBtransaction\fR block
(\fBid\fR, \fBtotal_order\fR, \fBdata_collection_order\fR).
)roff",
    },
    cli::shared::kNoTombstones,
    {
        .name = "proto-version",
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "pgoutput protocol 1, 2 or 3 (default: the highest the server speaks)",
        .doc = R"roff(The pgoutput protocol version, \fB1\fR, \fB2\fR or \fB3\fR (default:
the highest the server speaks, 3 on PostgreSQL 15).
Two-phase decoding is never requested: a prepared transaction arrives when
it is committed.
)roff",
        .hint = Hint::kChoices,
        .choices = "1 2 3",
    },
    {
        .name = "stream-in-progress",
        .help = "require streaming of large transactions before their commit (protocol 2+; the "
                "default whenever the protocol is 2 or later): formatted as they arrive into a "
                "temporary file, emitted at commit",
        .doc = R"roff(With protocol 2 or later (PostgreSQL 14 and later), by default, the server
is asked to stream a transaction larger than its
\fBlogical_decoding_work_mem\fR while it is still in progress, instead
of spilling it to the server's disk and sending it at commit.
\fBcdc\-pg\fR keeps its changes in an unlinked temporary file (in
\fBTMPDIR\fR) and emits them only at its commit, so a transaction rolled
back (or a savepoint rolled back) is never emitted; memory stays bounded.
On stdout without \fB\-\-tx\-markers\fR the changes are formatted into
their events as they arrive, while the transaction still runs; only
\fBsource.ts_ms\fR (the commit time) and the first element of
\fBsource.sequence\fR (the previous commit's LSN) are filled in at the
commit, so the events are the same as without streaming.
Giving it makes a protocol below 2 an error;
\fB\-\-no\-stream\-in\-progress\fR turns streaming off.
)roff",
    },
    {
        .name = "no-stream-in-progress",
        .help = "do not let the server stream transactions in progress: it spills them and sends "
                "them at commit",
        .doc = R"roff(Do not let the server stream transactions while they are in progress: it
spills a large one to its own disk and sends it at commit (see
\fB\-\-stream\-in\-progress\fR).
)roff",
    },
    {
        .name = "heartbeat",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "10s",
        .help = "confirm idle progress to the server every DUR",
        .doc = R"roff(Every \fIDUR\fR (default \fB10s\fR) ask the server for its position and,
when nothing is pending, confirm it, so a quiet publication does not hold
WAL back.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1s 10s 1m",
    },
    {
        .name = "name",
        .short_name = 'n',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "source.name, the logical server name (default: the database name)",
        .doc = R"roff(\fBsource.name\fR, the logical server name (default: the database name).
)roff",
    },
    cli::shared::kWithKey,
    {
        .name = "embed-json",
        .help = "json/jsonb columns as JSON values, not strings",
        .doc = R"roff(Write \fBjson\fR and \fBjsonb\fR values as JSON, not as strings.
)roff",
    },
    {
        .name = "no-reconnect",
        .help = "exit 69 when the server goes away instead of reconnecting with backoff",
        .doc = R"roff(Exit 69 when the server goes away.
By default a lost server (a restart, a failover, a dropped network, a
terminated walsender) is reconnected with backoff (0.5 s, doubling up to
30 s, for as long as it takes, each attempt a warning on standard error),
and streaming resumes from the slot's confirmed position: the changes not
yet confirmed come again (at least once), none is lost.
A \fB\-\-temporary\fR slot ends with its connection, so it never
reconnects; nor does the initial snapshot (a server lost during it ends
the run with 69, and the next run takes the snapshot again).
)roff",
    },
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up connecting, waiting for a busy slot or draining after DUR",
        .doc = R"roff(Give up connecting, waiting for a slot held by another process, or waiting
for the destination at exit, after \fIDUR\fR (default \fB30s\fR).
A restart right after a crash often finds the slot still held by the dead
run's walsender for a moment; cdc-pg says so and waits for it.
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
    .name = "cdc-pg",
    .summary = "PostgreSQL change data capture to Debezium-compatible events",
    .about =
        "Capture PostgreSQL row changes (logical replication, pgoutput) as Debezium-compatible "
        "change events: a consistent snapshot, then streaming. Writes one event per line to "
        "stdout, or produces to STREAM (key = primary key).",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::cdc_pg
