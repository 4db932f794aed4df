// trigger's flags: the one table --help, man OPTIONS and the completions
// come from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::trigger {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"SOURCE", "the stream URI to watch, or - for one event per line on stdin", Hint::kStream},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "when",
        .short_name = 'w',
        .value_name = "EXPR",
        .arity = Arity::kOne,
        .help = "the filter: fire for the events it matches (see FILTER LANGUAGE; or --rules)",
        .doc =
            R"roff(The filter expression (required without \fB\-\-rules\fR): the action fires for every event it
matches.
See \fBFILTER LANGUAGE\fR below.
A syntax error is reported with its line and column and exits 64.
)roff",
    },
    {
        .name = "rules",
        .short_name = 'r',
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "run the rules of this JSON file (many per process; SIGHUP reloads it)",
        .doc = R"roff(Run the rules of \fIFILE\fR instead of one rule from the flags: a JSON
array of objects, each with \fB"name"\fR (unique), \fB"when"\fR, one of
\fB"exec"\fR, \fB"webhook"\fR or \fB"to"\fR, and optionally
\fB"retries"\fR (a number), \fB"retry_backoff"\fR, \fB"exec_timeout"\fR,
\fB"webhook_timeout"\fR, \fB"webhook_header"\fR (a string or an array),
\fB"method"\fR, \fB"secret"\fR, \fB"template"\fR, \fB"dlq"\fR,
\fB"rate"\fR, \fB"debounce"\fR and \fB"max_in_flight"\fR, which mean what the flags of the same names mean.
Each event goes through the rules in the order of the file.
A bad file exits 78, naming the rule (its index from 1 and its name) and
the field.
\fBSIGHUP\fR reloads the file between two events (none is lost or run
twice); a bad file then keeps the rules that run and says why on stderr.
The per-rule flags (\fB\-\-when\fR, \fB\-\-exec\fR, ...) cannot be
given with \fB\-\-rules\fR.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "exec",
        .short_name = 'x',
        .value_name = "CMD",
        .arity = Arity::kOne,
        .help = "action: run CMD with /bin/sh -c, the event on its stdin",
        .doc = R"roff(Action: run \fICMD\fR through \fB/bin/sh \-c\fR for each matching event.
The event is its stdin, as one line ending in a newline; the event's
top-level scalar fields are in environment variables
\fBSLUICE_\fR\fINAME\fR (the field name upper-cased, other characters than
letters, digits and \fB_\fR as \fB_\fR; strings as their text, numbers and
booleans as written, null empty); \fBTRIGGER_EVENT_ID\fR is the event's id
(see \fBEVENT IDS\fR), \fBTRIGGER_RULE\fR the rule's name and
\fBTRIGGER_ATTEMPT\fR the attempt (1 for the first).
The command's stdout and stderr are trigger's.
Exit status 0 is success; anything else, or running past
\fB\-\-exec\-timeout\fR (the command's process group is then killed), is a
failure, retried as \fB\-\-retries\fR says.
A stop signal (\fBSIGTERM\fR, \fBSIGINT\fR) cuts a running command short:
its process group gets \fBSIGTERM\fR, then \fBSIGKILL\fR 2 seconds later
if any of it is left; the event is then not done (see \fB\-\-group\fR).
)roff",
    },
    {
        .name = "webhook",
        .value_name = "URL",
        .arity = Arity::kOne,
        .help = "action: send the event to URL (Standard Webhooks headers, keep-alive)",
        .doc = R"roff(Action: send each matching event to \fIURL\fR (\fBhttp://\fR or
\fBhttps://\fR) as the request body, with a Content-Length, over
kept-alive connections (one curl multi handle per rule runs the requests of
all its lanes, see \fB\-\-max\-in\-flight\fR, over one connection pool),
with the Standard Webhooks headers
\fBwebhook\-id\fR (the event id, see \fBEVENT IDS\fR: the same on every
retry and replay, so the receiver can deduplicate),
\fBwebhook\-timestamp\fR (seconds since the epoch) and, with
\fB\-\-webhook\-secret\fR, \fBwebhook\-signature\fR.
A 2xx answer is success.
5xx, 429, 408 and network errors or timeouts are retried (see
\fB\-\-retries\fR), waiting as \fBRetry\-After\fR asks (seconds or an
HTTP date) when the answer has one.
Any other status fails at once, without retries.
410 Gone also disables the rule (all its lanes, see
\fB\-\-max\-in\-flight\fR), with one line on stderr: its later matching
events fail (or go to \fB\-\-dlq\fR) without a request.
A stop signal aborts a request in flight; the event is then not done.
)roff",
    },
    {
        .name = "webhook-header",
        .value_name = "NAME:VALUE",
        .arity = Arity::kMany,
        .help = "with --webhook: add this request header (repeatable)",
        .doc = R"roff(With \fB\-\-webhook\fR: add this header to every request (repeatable).
)roff",
    },
    {
        .name = "method",
        .value_name = "METHOD",
        .arity = Arity::kOne,
        .default_value = "POST",
        .help = "with --webhook: the HTTP method",
        .doc = R"roff(With \fB\-\-webhook\fR: the HTTP method (default \fBPOST\fR).
)roff",
        .hint = Hint::kSuggest,
        .choices = "POST PUT PATCH",
    },
    {
        .name = "webhook-secret",
        .value_name = "whsec_BASE64",
        .arity = Arity::kOne,
        .help = "with --webhook: sign requests (webhook-signature: v1,HMAC-SHA256)",
        .doc = R"roff(With \fB\-\-webhook\fR: sign every request as Standard Webhooks does:
\fBwebhook\-signature: v1,\fR\fIBASE64\fR, the HMAC-SHA256 of
\fIid\fB.\fItimestamp\fB.\fIbody\fR keyed by the base64-decoded part of
the secret after \fBwhsec_\fR.
)roff",
    },
    {
        .name = "webhook-timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "with --webhook: give up on one request after DUR (then retried)",
        .doc = R"roff(With \fB\-\-webhook\fR: give up on one request (connecting included)
after \fIDUR\fR (default \fB30s\fR); the attempt failed and is retried.
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 30s 1m",
    },
    {
        .name = "template",
        .value_name = "TEMPLATE",
        .arity = Arity::kOne,
        .help = "with --webhook or --to: send this rendering of the event (%s %k %t %p %o %h ...)",
        .doc = R"roff(With \fB\-\-webhook\fR or \fB\-\-to\fR: send (or produce) this rendering of
the event instead of the event itself: \fBenvelope\fR (the sluice envelope,
with key, headers and position) or a template with the tokens of
\fBtap\fR\(aqs templates (\fB%s\fR the event, \fB%k\fR the key, \fB%t\fR
\fB%p\fR \fB%o\fR its position, \fB%T\fR \fB%D\fR its time, \fB%h\fR
headers; escapes \fB\en\fR \fB\et\fR), such as
\fB\(aq{"key":"%k","event":%s}\(aq\fR.
)roff",
    },
    {
        .name = "to",
        .value_name = "STREAM",
        .arity = Arity::kOne,
        .help = "action: produce the event (key, headers, payload) to STREAM",
        .doc = R"roff(Action: produce each matching event to \fISTREAM\fR (any backend; \fB\-\fR
writes envelopes to stdout), with its key and headers.
With a stream source and \fB\-\-group\fR, the source advances only past
events that \fISTREAM\fR acknowledged.
A record that \fISTREAM\fR refuses stops trigger with exit 75.
)roff",
        .hint = Hint::kStream,
    },
    {
        .name = "name",
        .short_name = 'n',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .default_value = "when",
        .help = "the rule's name, in messages, --stats, --dry-run and dead letters",
        .doc = R"roff(The rule's name (default \fBwhen\fR), shown in messages, \fB\-\-stats\fR,
\fB\-\-dry\-run\fR and the dead-letter headers.
)roff",
    },
    {
        .name = "retries",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "8",
        .help = "retry a failed --exec or --webhook N times before it counts as failed",
        .doc =
            R"roff(Retry a failed \fB\-\-exec\fR or \fB\-\-webhook\fR up to \fIN\fR times (default \fB8\fR; \fB0\fR:
no retry) before the event counts as failed: then it goes to
\fB\-\-dlq\fR when given; without one, a stream source stops with exit 75
(its group stays before the event), and stdin goes on to the next event
and exits 75 at the end.
)roff",
    },
    {
        .name = "retry-backoff",
        .value_name = "MIN[,MAX]",
        .arity = Arity::kOne,
        .default_value = "1s,10m",
        .help = "wait between retries: doubling from MIN up to MAX, with jitter",
        .doc = R"roff(The waits between retries: the first about \fIMIN\fR, each next one
twice the one before, at most \fIMAX\fR (default \fB1s,10m\fR; durations
take \fBms\fR, \fBs\fR, \fBm\fR, \fBh\fR).
Each wait is jittered: a random time between half of it and all of it.
)roff",
        .hint = Hint::kSuggest,
        .choices = "100ms,10s 1s,10m",
    },
    {
        .name = "exec-timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "1m",
        .help = "kill an --exec command that runs longer than DUR (a failure); 0: no limit",
        .doc = R"roff(Kill an \fB\-\-exec\fR command (its whole process group) that runs longer
than \fIDUR\fR (default \fB1m\fR; \fB0\fR: no limit); that attempt failed.
)roff",
        .hint = Hint::kSuggest,
        .choices = "10s 1m 10m",
    },
    {
        .name = "rate",
        .value_name = "N/UNIT",
        .arity = Arity::kOne,
        .help = "fire at most N times per s, m or h (evenly spaced; the source waits)",
        .doc = R"roff(Fire at most \fIN\fR times per second, minute or hour (\fB10/s\fR,
\fB100/m\fR, \fB1000/h\fR), evenly spaced: a match that comes too soon
waits (and so does the source), it is never dropped.
Retries do not count.
With \fB\-\-max\-in\-flight\fR the lanes of the rule share the one budget:
the rule as a whole keeps the rate.
)roff",
        .hint = Hint::kSuggest,
        .choices = "10/s 100/m",
    },
    {
        .name = "max-in-flight",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "1",
        .help = "run up to N actions of the rule at once; events of one key stay in order",
        .doc = R"roff(Run up to \fIN\fR actions of the rule at once (default \fB1\fR): the rule
runs in \fIN\fR lanes, each with its own queue, worker and producers
(webhook requests of all the lanes run in one curl multi handle).
Events with the same key (\fB@key\fR) always go to the same lane, so they
stay in order; events without a key are spread over the lanes in turn.
With \fB\-\-group\fR the source still advances only past events whose
actions are all done, in order.
The lanes share one \fB\-\-rate\fR budget, and a 410 Gone in any lane
disables the whole rule.
)roff",
        .hint = Hint::kSuggest,
        .choices = "4 16",
    },
    {
        .name = "queue-size",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "1024",
        .help = "matching events a rule lane holds before the source waits (backpressure)",
        .doc = R"roff(How many matching events each lane of each rule holds waiting for its
action (default \fB1024\fR).
When a lane's queue is full the source stops reading until there is room,
so a slow action holds the reader back (and, with \fB\-\-group\fR, the
committed position) instead of filling memory; other rules keep their
own queues.
)roff",
        .hint = Hint::kSuggest,
        .choices = "64 1024",
    },
    {
        .name = "debounce",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .help = "fire at most once per key per DUR window, with the latest event of it",
        .doc = R"roff(Fire at most once per key (\fB@key\fR; events without a key share one
window) per \fIDUR\fR: the first event of a key opens a window, later
ones of that key replace the one waiting, and when the window ends the
action runs once, with the latest event.
The events it replaced count as done with it (with \fB\-\-group\fR the
source advances past them once it succeeded).
Not with \fB\-\-dry\-run\fR.
)roff",
        .hint = Hint::kSuggest,
        .choices = "1s 5s 1m",
    },
    {
        .name = "dlq",
        .value_name = "STREAM",
        .arity = Arity::kOne,
        .help = "dead-letter stream: where an event goes once every retry failed",
        .doc = R"roff(The dead-letter stream: an event whose action failed after its last retry
is produced there (its key, headers and payload) with the headers
\fBtrigger\-rule\fR, \fBtrigger\-event\-id\fR, \fBtrigger\-attempts\fR and
\fBtrigger\-error\fR (the last error), and counts as done: the source
advances past it and the exit status stays 0.
)roff",
        .hint = Hint::kStream,
    },
    {
        .name = "from",
        .short_name = 'o',
        .value_name = "POS",
        .arity = Arity::kOne,
        .default_value = "beginning",
        .help = "stream source: beginning | end | SEQ | ID | -N | @TIME, as tap",
        .doc = R"roff(With a stream source: where to start, as \fBtap \-\-from\fR (default
\fBbeginning\fR; \fBend\fR: only events produced from now on).
Ignored when \fB\-\-group\fR has a committed position.
)roff",
        .hint = Hint::kSuggest,
        .choices = "beginning end -1 -10 @5m @1h",
    },
    {
        .name = "group",
        .short_name = 'g',
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "stream source: resume from and commit to consumer group NAME (at least once)",
        .doc = R"roff(With a stream source: resume from the consumer group \fINAME\fR and commit
to it.
The group advances past an event only once the action of every rule that
matched it succeeded (or, for one that matched nothing, at once) or went
to \fB\-\-dlq\fR, so after a
crash (even \fBkill \-9\fR) a restart runs every matching event's action
at least once; some may run twice.
A stop signal cuts the running actions short; the group stays before the
first event whose actions are not all done, so a restart runs them again.
)roff",
    },
    {
        .name = "count",
        .short_name = 'c',
        .value_name = "N",
        .arity = Arity::kOne,
        .help = "stop after N events (matching or not)",
        .doc = R"roff(Stop after \fIN\fR events of the source, matching or not.
)roff",
    },
    {
        .name = "exit",
        .short_name = 'e',
        .help = "stream source: stop at the end of the stream instead of following it",
        .doc = R"roff(With a stream source: stop at the end of the stream instead of following it.
)roff",
    },
    {
        .name = "envelope",
        .help = "stdin: each line is a sluice envelope; the event is its payload",
        .doc = R"roff(With \fB\-\fR: each line is a sluice envelope (see \fBsluice\fR(7)); the
event is its payload, and its key, headers, stream, shard, seq and ts are
the event's \fB@\fR metadata.
)roff",
    },
    {
        .name = "on-error",
        .value_name = "POLICY",
        .arity = Arity::kOne,
        .default_value = "fail",
        .help = "fail | skip: at a bad event (not JSON where the filter reads it, a bad envelope)",
        .doc = R"roff(What to do with a bad event: not JSON where the filter reads it, an
envelope that does not decode, or (with \fB\-\-strict\fR) a type mismatch.
\fBfail\fR (the default): report it with its line number (stdin) or
position (stream), finish the actions of the events before it, and exit
65.
\fBskip\fR: report it the same way and go on with the next event.
)roff",
        .hint = Hint::kChoices,
        .choices = "fail skip",
    },
    {
        .name = "strict",
        .help = "a type mismatch in the filter is a bad event, not false",
        .doc = R"roff(A type mismatch in the filter (comparing a string with a number, say) is a
bad event (see \fB\-\-on\-error\fR) instead of being false.
Comparisons with null, such as a missing field, are never mismatches.
)roff",
    },
    {
        .name = "dry-run",
        .help = "run no action: print RULE, event id and event of each match on stdout",
        .doc = R"roff(Run no action: for each matching event print one line on stdout, the
rule's name, the event id and the event, separated by tabs.
)roff",
    },
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up on an unreachable backend (source, --to, --dlq) after DUR",
        .doc = R"roff(Give up connecting to a backend (the source, \fB\-\-to\fR, \fB\-\-dlq\fR)
after \fIDUR\fR (default \fB30s\fR).
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 30s 1m",
    },
    {
        .name = "stats",
        .help = "print per rule on stderr at exit: matched, fired, failed, retried, dead-lettered",
        .doc = R"roff(Print a summary on stderr at exit: events read, and for the rule how many
events matched, fired (the action succeeded), failed, were retried and
were dead-lettered.
)roff",
    },
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "trigger",
    .summary = "run a command or produce to a stream for the events a filter matches",
    .about =
        "Watch SOURCE (a stream, or - for stdin lines) and, for each event the --when filter "
        "matches, run --exec or produce --to a stream, at least once.",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::trigger
