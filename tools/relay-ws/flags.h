// relay-ws's flags: the one table --help, man OPTIONS and the completions
// come from (see common/flags.h).
#pragma once

#include "common/flags.h"
#include "common/shared_flags.h"

namespace sluice::tools::relay_ws {

using cli::Arity;
using cli::Flag;
using cli::Hint;
using cli::Positional;

inline constexpr Positional kPositionals[] = {
    {"SOURCE...", "stream URIs to relay (topics are their stream names), or - for stdin lines",
     Hint::kStream, false, true},
};

inline constexpr Flag kFlags[] = {
    {
        .name = "listen",
        .short_name = 'l',
        .value_name = "HOST:PORT",
        .arity = Arity::kOne,
        .default_value = "127.0.0.1:8080",
        .help = "where to accept WebSocket and HTTP connections",
        .doc = R"roff(Accept WebSocket upgrades on \fB/\fR and plain HTTP (\fB/\fR, \fB/healthz\fR,
\fB/metrics\fR) on \fIHOST\fR\fB:\fR\fIPORT\fR (default \fB127.0.0.1:8080\fR).
Give \fB0.0.0.0:\fR\fIPORT\fR to accept connections from other machines.
A port that is taken exits 69.
)roff",
        .hint = Hint::kSuggest,
        .choices = "127.0.0.1:8080 0.0.0.0:8080",
    },
    {
        .name = "topic",
        .value_name = "NAME",
        .arity = Arity::kOne,
        .default_value = "stdin",
        .help = "with -: the topic of the stdin lines",
        .doc = R"roff(With \fB\-\fR: the topic the lines of stdin are relayed on (default
\fBstdin\fR).
)roff",
    },
    {
        .name = "envelope",
        .help = "with -: stdin lines are sluice envelopes, each on its stream",
        .doc = R"roff(With \fB\-\fR: each stdin line is a sluice envelope (as \fBtap \-F envelope\fR
writes), relayed on the topic named by its \fBstream\fR (or
\fB\-\-topic\fR when it has none); its key, timestamp and payload become
the data frame's.
A line that is not an envelope is reported on stderr and skipped.
)roff",
    },
    {
        .name = "history",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "10000",
        .help = "messages kept per topic in memory (the fast path for resume and slow clients)",
        .doc = R"roff(Keep the last \fIN\fR messages of each topic in memory (default
\fB10000\fR), each encoded once and shared by every subscriber.
A subscription reads from this ring while it is live; resuming with
\fBfrom\fR and catching up read the backend log instead, so \fIN\fR bounds
memory, not what a client can get back.
For stdin topics the ring is the only log.
)roff",
    },
    {
        .name = "client-queue",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "1000",
        .help = "how many messages a client may fall behind a topic before --slow-client applies",
        .doc = R"roff(How many messages of a topic a client may have waiting before it counts as
slow and \fB\-\-slow\-client\fR applies (default \fB1000\fR; at most
\fB\-\-history\fR).
It also bounds the queue of a subscription read from the backend log.
)roff",
    },
    {
        .name = "slow-client",
        .value_name = "POLICY",
        .arity = Arity::kOne,
        .default_value = "catch-up",
        .help = "a client that falls behind: catch-up (from the log), drop-oldest or close",
        .doc = R"roff(What happens to a subscription that falls more than \fB\-\-client\-queue\fR
messages behind its topic.
\fBcatch\-up\fR (the default): it is served from the backend log, from the
first message it has not had, at the pace it reads, until it is within
\fB\-\-client\-queue\fR of the live end again; it gets every message once
and in order per shard.
(A stdin topic has no log: the client reads on from the ring and is told
in a \fB{"type":"dropped"}\fR frame what left the ring before it read it.)
\fBdrop\-oldest\fR: the oldest waiting messages are skipped, down to half
of \fB\-\-client\-queue\fR, and the client gets
\fB{"type":"dropped","count":\fR\fIN\fR\fB,"subscription":\fR\fITOPIC\fR\fB}\fR.
\fBclose\fR: the client is closed with code 1008 and a reason.
One slow client never holds the others back.
)roff",
        .hint = Hint::kChoices,
        .choices = "catch-up drop-oldest close",
    },
    {
        .name = "ping-interval",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "ping a client idle this long; hang up after twice as long without an answer",
        .doc = R"roff(Send a WebSocket ping to a connection that has been quiet for \fIDUR\fR
(default \fB30s\fR), and hang up on one quiet for twice as long.
)roff",
        .hint = Hint::kSuggest,
        .choices = "10s 30s 1m",
    },
    {
        .name = "max-message",
        .value_name = "BYTES",
        .arity = Arity::kOne,
        .default_value = "64K",
        .help = "the largest client message; a larger one closes the connection (1009)",
        .doc = R"roff(The largest message a client may send (default \fB64K\fR bytes; sizes as
\fB512\fR, \fB64K\fR, \fB1M\fR); a
larger one closes the connection with code 1009.
)roff",
    },
    {
        .name = "max-connections",
        .value_name = "N",
        .arity = Arity::kOne,
        .default_value = "0",
        .help = "at most N WebSocket clients at once; more are refused with HTTP 503 (0: no limit)",
        .doc = R"roff(Serve at most \fIN\fR WebSocket clients at once (default \fB0\fR: no limit
but the open files limit).
An upgrade beyond it is refused before the handshake with HTTP status
\fB503\fR and counted in \fBrelay_ws_connections_refused_total\fR.
Plain HTTP requests (\fB/healthz\fR, \fB/metrics\fR) are still answered.
)roff",
    },
    {
        .name = "compress",
        .help =
            "accept permessage-deflate from clients that offer it (0.1 to 1 MB per such client)",
        .doc = R"roff(Accept the \fBpermessage\-deflate\fR extension (RFC 7692) from clients
that offer it: frames are compressed, at the cost of zlib state and
buffers for each connection that takes it (measured with 200 Python
clients: about 100 KB each after small frames, about 1 MB after frames of
2 to 24 KB; 8 KB without).
Off by default, to keep each connection small; clients that offer it are
then served uncompressed.
)roff",
    },
    {
        .name = "allow-origin",
        .value_name = "ORIGIN",
        .arity = Arity::kMany,
        .help = "accept upgrades only from this Origin (repeatable; default: any)",
        .doc = R"roff(Accept WebSocket upgrades only from a page of this origin (such as
\fBhttps://example.com\fR; repeatable).
Without it, any origin is accepted.
An upgrade from another origin is refused before the handshake (HTTP
\fB403\fR).
An upgrade with no \fBOrigin\fR header is accepted even with this flag:
browsers always send one, so it comes from a program (a script, a
service), which could send any Origin it liked; such clients are held
back by a token (\fB\-\-jwt\-secret\-file\fR), not by this flag.
)roff",
    },
    {
        .name = "jwt-secret-file",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "require a JWT signed with HS256 and the secret in FILE",
        .doc = R"roff(Require a JSON Web Token signed with HS256 and the secret read from
\fIFILE\fR (one trailing newline is dropped).
See \fBAUTHENTICATION\fR.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "jwt-public-key",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "require a JWT signed with RS256, verified with the PEM public key in FILE",
        .doc = R"roff(Require a JSON Web Token signed with RS256, verified with the RSA public
key in \fIFILE\fR (PEM, \fB\-\-\-\-\-BEGIN PUBLIC KEY\-\-\-\-\-\fR).
May be given with \fB\-\-jwt\-secret\-file\fR: the token's \fBalg\fR then
chooses.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "jwt-audience",
        .value_name = "AUD",
        .arity = Arity::kOne,
        .help = "with a JWT: its aud claim must name AUD",
        .doc = R"roff(With a JWT flag: the token's \fBaud\fR claim (a string, or an array of
strings) must name \fIAUD\fR, or the connection is closed with code 4406.
)roff",
    },
    {
        .name = "jwt-issuer",
        .value_name = "ISS",
        .arity = Arity::kOne,
        .help = "with a JWT: its iss claim must be ISS",
        .doc = R"roff(With a JWT flag: the token's \fBiss\fR claim must be \fIISS\fR, or the
connection is closed with code 4407.
)roff",
    },
    {
        .name = "auth-timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "10s",
        .help = "with a JWT: close a client that sent no token within DUR (4411)",
        .doc = R"roff(With a JWT flag: a client whose upgrade request carried no token must send
\fB{"action":"auth","token":...}\fR within \fIDUR\fR (default \fB10s\fR), or
it is closed with code 4411.
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 10s 30s",
    },
    {
        .name = "cert",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "serve TLS (wss://, https://) with the PEM certificate chain in FILE (needs --key)",
        .doc = R"roff(Serve TLS on \fB\-\-listen\fR: WebSocket clients connect with \fBwss://\fR and
HTTP with \fBhttps://\fR; plain connections are refused.
\fIFILE\fR holds the server's certificate (PEM), followed by any
intermediate certificates.
Needs \fB\-\-key\fR.
A file that cannot be read exits 66; a certificate or key that OpenSSL
refuses exits 78.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "key",
        .value_name = "FILE",
        .arity = Arity::kOne,
        .help = "the PEM private key of --cert",
        .doc = R"roff(The private key (PEM) of the \fB\-\-cert\fR certificate.
)roff",
        .hint = Hint::kFile,
    },
    {
        .name = "topics-claim",
        .value_name = "NAME",
        .arity = Arity::kOne,
        .help = "the token claim listing the topics its bearer may subscribe to",
        .doc = R"roff(The claim of the token that lists the topics its bearer may subscribe to
(an array of strings, or one string).
A subscribe to another topic closes the connection with code 4403; a
token without the claim permits no topic.
Without this flag a valid token permits every topic.
)roff",
    },
    {
        .name = "timeout",
        .value_name = "DUR",
        .arity = Arity::kOne,
        .default_value = "30s",
        .help = "give up on an unreachable backend after DUR",
        .doc = R"roff(Give up connecting to a backend after \fIDUR\fR (default \fB30s\fR).
)roff",
        .hint = Hint::kSuggest,
        .choices = "5s 30s 1m",
    },
    cli::shared::kHelp,
    cli::shared::kVersion,
};

inline constexpr cli::ToolSpec kSpec{
    .name = "relay-ws",
    .summary = "relay streams to WebSocket clients, resumable from the log",
    .about =
        "Serve the streams of each SOURCE to WebSocket clients on --listen: clients subscribe "
        "to topics, from the live end or any position of the log, with a filter; slow clients "
        "catch up from the log. /healthz, /metrics and a live page on the same port.",
    .positionals = kPositionals,
    .flags = kFlags,
};

}  // namespace sluice::tools::relay_ws
