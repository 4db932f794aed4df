// top's flags: the one table --help, man OPTIONS and the completions come
// from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::top {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"CLUSTER", "the cluster URI: file:DIR, kafka://HOST:PORT, redis://HOST[:PORT]", Hint::kStream},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "interval",
        .short_name = 'i',
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "1s",
        .help = "time between samples (500ms, 1s, 5s)",
        .doc = R"roff(The time between two samples of the cluster (default \fB1s\fR; a number
of milliseconds or a duration such as \fB500ms\fR, \fB2s\fR, \fB1m\fR).
Rates are the deltas between samples over this time.
)roff",
        .hint = Hint::kSuggest,
        .choices = "500ms 1s 2s 5s 10s",
    },
    {
        .name = "once",
        .help = "print one snapshot (two samples --interval apart) and exit",
        .doc = R"roff(Batch mode: take two samples \fB\-\-interval\fR apart, print one snapshot
(a text table, or with \fB\-\-json\fR one JSON line) on stdout and exit.
The same as \fB\-\-count 1\fR.
)roff",
    },
    {
        .name = "count",
        .short_name = 'c',
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "batch mode: print N snapshots, one per --interval, and exit",
        .doc = R"roff(Batch mode: print \fIN\fR snapshots (1 or more), one every
\fB\-\-interval\fR, and exit. The statuses are judged over the samples
taken so far (up to \fB\-\-window\fR).
)roff",
    },
    {
        .name = "json",
        .short_name = 'j',
        .help = "batch mode: each snapshot is one line of JSON",
        .doc = R"roff(In batch mode, print each snapshot as one line of JSON (see
\fBJSON OUTPUT\fR). Implies \fB\-\-once\fR unless \fB\-\-count\fR is given.
)roff",
    },
    {
        .name = "window",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "10",
        .help = "samples a group's status is judged over (2 or more)",
        .doc = R"roff(The number of samples (default \fB10\fR, at least \fB2\fR) over which a
group's status, consume rate and ETA are judged, as Burrow's window of
offsets.
)roff",
    },
    {
        .name = "fail-on",
        .value_name = "STATUS",
        .arity = Arity::kOne,
        .help = "batch mode: exit 1 when a group is at or past warn | stall | stop",
        .doc = R"roff(In batch mode, exit \fB1\fR (like \fBgrep\fR) when any group of the last
snapshot is at or past \fISTATUS\fR: \fBwarn\fR (WARN, REWIND, STALL or
STOP), \fBstall\fR (STALL or STOP) or \fBstop\fR (STOP). The snapshot is
printed first, so a cron job can mail it.
)roff",
        .hint = Hint::kChoices,
        .choices = "warn stall stop",
    },
    {
        .name = "group",
        .short_name = 'g',
        .value_name = "NAME",
        .arity = Arity::kMany,
        .help = "kafka: also describe this consumer group (repeatable; for clusters that cannot "
                "list groups)",
        .doc = R"roff(A consumer group to describe besides those the cluster lists
(repeatable). For a Kafka cluster that cannot list its groups, such as
librdkafka's mock cluster: only the groups named here are shown there.
Other backends list every group themselves.
)roff",
    },
    {
        .name = "graph",
        .help = "print the streams and the groups that read them as a tree",
        .doc = R"roff(Print the processing graph: each stream and, below it, the consumer
groups that read it, with their lag and status, as a small tree. In batch
mode this replaces the table; in the full\-screen view it is what \fBg\fR
shows.
)roff",
    },
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "top",
    .summary = "htop for streams: rates, consumer lag, ETA and status",
    .about =
        "Show the streams of CLUSTER live: msgs/s and bytes/s, latest seq and age, consumer "
        "groups with lag in messages and time, ETA, a Burrow-style status and the "
        "retention runway. --once, --count and --json print snapshots for scripts.",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::top
