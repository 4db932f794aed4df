# fish completion for sluice: `sluice TOOL ...`, `sluice-TOOL ...` and the
# tools by their own names. Generated from the flag tables by gen-docs
# (scripts/gen-docs); do not edit.

# The tool being completed: `sluice TOOL`, `sluice-TOOL` or `TOOL`.
function __sluice_tool
    set -l words (commandline -opc)
    set -l cmd (string replace -r '.*/' '' -- $words[1])
    switch $cmd
        case sluice
            if test (count $words) -ge 2
                echo $words[2]
            end
        case 'sluice-*'
            string replace sluice- '' -- $cmd
        case '*'
            echo $cmd
    end
end

function __sluice_is
    set -l tool (__sluice_tool)
    test "$tool" = "$argv[1]"
end

complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a flux -d 'produce records from stdin or a named pipe to a stream'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a tap -d 'consume a stream to stdout or a named pipe'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a cdc-pg -d 'PostgreSQL change data capture to Debezium-compatible events'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a cdc-mysql -d 'MySQL/MariaDB binlog change data capture to Debezium-compatible events'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a streams -d 'list, create, configure, trim, inspect, reset and check streams'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a top -d 'htop for streams: rates, consumer lag, ETA and status'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a trigger -d 'run a command or produce to a stream for the events a filter matches'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a relay-ws -d 'relay streams to WebSocket clients, resumable from the log'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -a help -d 'show the tool list, or a tool\'s manual'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -s h -l help -d 'show help'
complete -c sluice -f -n 'test (count (commandline -opc)) -eq 1' -s V -l version -d 'show version'

# flux
for c in sluice sluice-flux flux
    set -l n '__sluice_is flux'
    complete -c $c -n $n -s d -l delimiter -x -d 'records end with STR (escapes \\n \\t \\r \\0 \\\\ \\xHH); default newline'
    complete -c $c -n $n -s 0 -l null -d 'records end with NUL (same as --delimiter \'\\0\')'
    complete -c $c -n $n -l framing -x -a 'u32be varint' -d 'u32be | varint: each record is preceded by its length (records may hold any byte)'
    complete -c $c -n $n -l envelope -d 'input lines are NDJSON envelopes: key, headers and payload are honoured'
    complete -c $c -n $n -l input -x -a 'lines csv tsv msgpack' -d 'lines | csv | tsv | msgpack: what the input holds (csv, tsv: each row becomes a JSON record; msgpack: each value a record)'
    complete -c $c -n $n -l encode -x -a 'avro' -d 'avro: encode each JSON record as Avro (needs --schema-registry and --subject, or --schema)'
    complete -c $c -n $n -l schema-registry -x -a 'http://localhost:8081' -d 'Confluent-compatible schema registry for Avro'
    complete -c $c -n $n -l subject -x -d 'with --schema-registry: the subject to register or look up the schema under'
    complete -c $c -n $n -l schema -r -F -d 'with --encode avro: the Avro schema (JSON) to encode with'
    complete -c $c -n $n -l to-json -d 'with --input msgpack: store each value\'s JSON form instead of its bytes'
    complete -c $c -n $n -l csv-header -d 'with --input csv|tsv: the first row names the fields; rows become JSON objects'
    complete -c $c -n $n -l csv-delimiter -x -d 'with --input csv|tsv: fields are split by the byte C (default , or tab; \\t)'
    complete -c $c -n $n -l infer -d 'with --input csv|tsv: numbers, true and false become JSON values, not strings'
    complete -c $c -n $n -s k -l key-field -x -d 'message key = this JSON field of each record (dotted path: id, user.id)'
    complete -c $c -n $n -s K -l key-delimiter -x -d 'message key = the text before the first STR; payload = the rest'
    complete -c $c -n $n -s H -l header -x -d 'add a header NAME=VALUE to every record (repeatable)'
    complete -c $c -n $n -l once -d 'with PIPE: exit after the first writer closes the pipe'
    complete -c $c -n $n -l mode -x -a '0600 0620 0660 0666' -d 'with PIPE: permissions of a created pipe'
    complete -c $c -n $n -l on-error -x -a 'fail skip dlq:' -d 'fail | skip | dlq:URI: what to do with a bad record (exit 65 if any)'
    complete -c $c -n $n -l max-record-bytes -x -a '64K 1M 16M 256M' -d 'longest accepted record'
    complete -c $c -n $n -l fsync -x -a 'always interval never' -d 'file: always | interval | never'
    complete -c $c -n $n -l fsync-interval -x -a '100ms 1s 5s' -d 'file: interval of the interval policy'
    complete -c $c -n $n -l segment-bytes -x -a '16M 64M 256M 1G' -d 'file: segment size of the stream; changes an existing stream\'s, saying so'
    complete -c $c -n $n -l shards -x -a '1 2 4 8 16' -d 'file: shards of a stream this run creates (default 1); an existing stream keeps its count'
    complete -c $c -n $n -l retention -x -a '1d 7d 30d 10G 7d,10G' -d 'file: retention of the stream: AGE, SIZE or AGE,SIZE (7d, 10G, 7d,10G); changes an existing stream\'s, saying so'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up waiting for the backend after DUR'
    complete -c $c -n $n -l stats -d 'print a summary on stderr at exit'
    complete -c $c -n $n -l progress -d 'show a progress line on stderr (when it is a terminal)'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] [PIPE|-] STREAM'
end

# tap
for c in sluice sluice-tap tap
    set -l n '__sluice_is tap'
    complete -c $c -n $n -s o -l from -x -a 'beginning end -1 -10 -100 @5m @1h @1d' -d 'beginning | end | SEQ | ID | -N | @TIME (ID: a redis entry id as %i prints; TIME: RFC 3339 or an age like 5m)'
    complete -c $c -n $n -s g -l group -x -d 'consumer group: resume from and commit to it (only what the output took)'
    complete -c $c -n $n -l session-timeout -x -a '1s 5s 10s 30s' -d 'with --group: a dead member\'s work moves to the others within DUR (file: default 10s)'
    complete -c $c -n $n -l consumer -x -d 'with --group: this member\'s name (redis: the consumer, default HOSTNAME-PID; kafka: client.id)'
    complete -c $c -n $n -s c -l count -x -d 'stop after N messages (0 or more)'
    complete -c $c -n $n -s e -l exit -d 'stop at the end of the stream instead of following it'
    complete -c $c -n $n -s F -l format -x -a 'payload envelope csv tsv msgpack' -d 'payload | envelope | csv | tsv | msgpack | TEMPLATE (%s %k %t %p %o %i %T %D %h %S %K %%)'
    complete -c $c -n $n -l fields -x -d 'with --format csv|tsv: the columns, dotted paths into the JSON payload (id,user.name)'
    complete -c $c -n $n -l csv-header -d 'with --format csv|tsv: write a header row (the paths) before the first row'
    complete -c $c -n $n -s d -l delimiter -x -d 'end each record with STR (default newline)'
    complete -c $c -n $n -s 0 -l null -d 'end each record with NUL'
    complete -c $c -n $n -l framing -x -a 'u32be varint' -d 'u32be | varint: precede each record by its length instead of a delimiter'
    complete -c $c -n $n -l decode -x -a 'avro' -d 'avro: decode each value from Avro to JSON (needs --schema-registry or --schema)'
    complete -c $c -n $n -l key-decode -x -a 'avro' -d 'avro: decode each key from Avro to JSON (needs --schema-registry)'
    complete -c $c -n $n -l schema-registry -x -a 'http://localhost:8081' -d 'Confluent-compatible schema registry for Avro'
    complete -c $c -n $n -l schema -r -F -d 'with --decode avro: values are bare Avro datums of the schema in FILE'
    complete -c $c -n $n -l once -d 'with PIPE: exit after the first reader closes the pipe'
    complete -c $c -n $n -l mode -x -a '0600 0620 0660 0666' -d 'with PIPE: permissions of a created pipe'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up on an unreachable backend after DUR'
    complete -c $c -n $n -l on-error -x -a 'fail skip' -d 'fail | skip: at a corrupt record in a file: stream, or one that does not decode, stop with exit 65 or skip it'
    complete -c $c -n $n -l stats -d 'print a summary on stderr at exit'
    complete -c $c -n $n -l progress -d 'show a progress line on stderr (when it is a terminal)'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] STREAM [PIPE|-]'
end

# cdc-pg
for c in sluice sluice-cdc-pg cdc-pg
    set -l n '__sluice_is cdc-pg'
    complete -c $c -n $n -s s -l slot -x -d 'replication slot, created when missing'
    complete -c $c -n $n -s p -l publication -x -d 'publication to stream'
    complete -c $c -n $n -s t -l tables -x -d 'only these tables: schema.t1,schema.t2 (default: all of the publication)'
    complete -c $c -n $n -l create-publication -d 'create the publication when missing (FOR TABLE --tables, else FOR ALL TABLES)'
    complete -c $c -n $n -l drop-slot -d 'drop the --slot on the server and exit (refused while it is in use)'
    complete -c $c -n $n -l drop-publication -d 'drop the --publication on the server and exit (refused while --slot is in use)'
    complete -c $c -n $n -l temporary -d 'use a temporary slot, dropped when cdc-pg exits'
    complete -c $c -n $n -l snapshot -x -a 'initial never only when-needed' -d 'initial | never | only | when-needed'
    complete -c $c -n $n -l tx-markers -d 'emit transaction BEGIN/END events and the transaction block'
    complete -c $c -n $n -l no-tombstones -d 'no tombstone (key, null value) after each delete when writing to a stream'
    complete -c $c -n $n -l proto-version -x -a '1 2 3' -d 'pgoutput protocol 1, 2 or 3 (default: the highest the server speaks)'
    complete -c $c -n $n -l stream-in-progress -d 'require streaming of large transactions before their commit (protocol 2+; the default whenever the protocol is 2 or later): formatted as they arrive into a temporary file, emitted at commit'
    complete -c $c -n $n -l no-stream-in-progress -d 'do not let the server stream transactions in progress: it spills them and sends them at commit'
    complete -c $c -n $n -l heartbeat -x -a '1s 10s 1m' -d 'confirm idle progress to the server every DUR'
    complete -c $c -n $n -s n -l name -x -d 'source.name, the logical server name (default: the database name)'
    complete -c $c -n $n -l with-key -d 'on stdout, print {"key":...,"value":...} lines'
    complete -c $c -n $n -l embed-json -d 'json/jsonb columns as JSON values, not strings'
    complete -c $c -n $n -l no-reconnect -d 'exit 69 when the server goes away instead of reconnecting with backoff'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up connecting, waiting for a busy slot or draining after DUR'
    complete -c $c -n $n -l stats -d 'print a summary on stderr at exit'
    complete -c $c -n $n -l progress -d 'show a progress line on stderr (when it is a terminal)'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] CONNINFO [STREAM|-]'
end

# cdc-mysql
for c in sluice sluice-cdc-mysql cdc-mysql
    set -l n '__sluice_is cdc-mysql'
    complete -c $c -n $n -s t -l tables -x -d 'only these tables: db.t1,db.t2 (default: every table of the URI\'s database, or of every database)'
    complete -c $c -n $n -l snapshot -x -a 'initial never only when-needed' -d 'initial | never | only | when-needed'
    complete -c $c -n $n -l offsets -r -F -d 'keep the binlog position (file:pos, GTID set) in FILE and resume from it'
    complete -c $c -n $n -l server-id -x -d 'replica server id (default: derived from the host and --offsets, 5400-6400)'
    complete -c $c -n $n -l tx-markers -d 'emit transaction BEGIN/END events and the transaction block'
    complete -c $c -n $n -l no-tombstones -d 'no tombstone (key, null value) after each delete when writing to a stream'
    complete -c $c -n $n -l heartbeat -x -a '1s 5s 30s' -d 'server heartbeat period when the binlog is idle'
    complete -c $c -n $n -s n -l name -x -d 'source.name, the logical server name (default: the database name, else mysql)'
    complete -c $c -n $n -l with-key -d 'on stdout, print {"key":...,"value":...} lines'
    complete -c $c -n $n -l embed-json -d 'JSON columns (MySQL) as JSON values, not strings'
    complete -c $c -n $n -l no-reconnect -d 'exit 69 when the server goes away instead of reconnecting with backoff'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up connecting or draining the destination after DUR'
    complete -c $c -n $n -l stats -d 'print a summary on stderr at exit'
    complete -c $c -n $n -l progress -d 'show a progress line on stderr (when it is a terminal)'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] URI [STREAM|-]'
end

# streams
for c in sluice sluice-streams streams
    set -l n '__sluice_is streams'
    complete -c $c -n $n -s j -l json -d 'ls, show, groups: one JSON object per line'
    complete -c $c -n $n -s g -l group -x -d 'show, groups: only this consumer group (repeatable); kafka: described by name'
    complete -c $c -n $n -l shards -x -a '1 2 4 8 16' -d 'create: the number of shards (file: 1 to 1024)'
    complete -c $c -n $n -l retention -x -a '1d 7d 30d 10G 7d,10G none' -d 'create, config: retention AGE, SIZE or AGE,SIZE (7d, 10G, 7d,10G; none)'
    complete -c $c -n $n -l replication-factor -x -a '1 2 3' -d 'create: kafka replication factor (default: the broker\'s)'
    complete -c $c -n $n -l segment-bytes -x -a '16M 64M 256M 1G' -d 'create: segment size (file: default 64M; kafka: segment.bytes)'
    complete -c $c -n $n -l to -x -a 'beginning end -1 -100 @5m @1h @1d' -d 'reset: beginning | end | SEQ | -N | @TIME, the next record the group reads'
    complete -c $c -n $n -l before -x -a '@1d @7d' -d 'trim: drop the records before SEQ or @TIME'
    complete -c $c -n $n -l keep -x -d 'trim: keep only the last N records of each shard'
    complete -c $c -n $n -l dry-run -d 'reset: print the positions before and after, change nothing'
    complete -c $c -n $n -l force -d 'reset: even while the group has live members'
    complete -c $c -n $n -l color -x -a 'auto always never' -d 'ls, show, groups: colour the tables: auto (on a terminal, without NO_COLOR), always, never'
    complete -c $c -n $n -l yes -d 'rm: really delete (without it, say what would be deleted and exit 64)'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] COMMAND [TARGET] [STREAM]'
end

# top
for c in sluice sluice-top top
    set -l n '__sluice_is top'
    complete -c $c -n $n -s i -l interval -x -a '500ms 1s 2s 5s 10s' -d 'time between samples (500ms, 1s, 5s)'
    complete -c $c -n $n -l once -d 'print one snapshot (two samples --interval apart) and exit'
    complete -c $c -n $n -s c -l count -x -d 'batch mode: print N snapshots, one per --interval, and exit'
    complete -c $c -n $n -s j -l json -d 'batch mode: each snapshot is one line of JSON'
    complete -c $c -n $n -l window -x -d 'samples a group\'s status is judged over (2 or more)'
    complete -c $c -n $n -l fail-on -x -a 'warn stall stop' -d 'batch mode: exit 1 when a group is at or past warn | stall | stop'
    complete -c $c -n $n -s g -l group -x -d 'kafka: also describe this consumer group (repeatable; for clusters that cannot list groups)'
    complete -c $c -n $n -l graph -d 'print the streams and the groups that read them as a tree'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] CLUSTER'
end

# trigger
for c in sluice sluice-trigger trigger
    set -l n '__sluice_is trigger'
    complete -c $c -n $n -s w -l when -x -d 'the filter: fire for the events it matches (see FILTER LANGUAGE; or --rules)'
    complete -c $c -n $n -s r -l rules -r -F -d 'run the rules of this JSON file (many per process; SIGHUP reloads it)'
    complete -c $c -n $n -s x -l exec -x -d 'action: run CMD with /bin/sh -c, the event on its stdin'
    complete -c $c -n $n -l webhook -x -d 'action: send the event to URL (Standard Webhooks headers, keep-alive)'
    complete -c $c -n $n -l webhook-header -x -d 'with --webhook: add this request header (repeatable)'
    complete -c $c -n $n -l method -x -a 'POST PUT PATCH' -d 'with --webhook: the HTTP method'
    complete -c $c -n $n -l webhook-secret -x -d 'with --webhook: sign requests (webhook-signature: v1,HMAC-SHA256)'
    complete -c $c -n $n -l webhook-timeout -x -a '5s 30s 1m' -d 'with --webhook: give up on one request after DUR (then retried)'
    complete -c $c -n $n -l template -x -d 'with --webhook or --to: send this rendering of the event (%s %k %t %p %o %h ...)'
    complete -c $c -n $n -l to -r -F -d 'action: produce the event (key, headers, payload) to STREAM'
    complete -c $c -n $n -s n -l name -x -d 'the rule\'s name, in messages, --stats, --dry-run and dead letters'
    complete -c $c -n $n -l retries -x -d 'retry a failed --exec or --webhook N times before it counts as failed'
    complete -c $c -n $n -l retry-backoff -x -a '100ms,10s 1s,10m' -d 'wait between retries: doubling from MIN up to MAX, with jitter'
    complete -c $c -n $n -l exec-timeout -x -a '10s 1m 10m' -d 'kill an --exec command that runs longer than DUR (a failure); 0: no limit'
    complete -c $c -n $n -l rate -x -a '10/s 100/m' -d 'fire at most N times per s, m or h (evenly spaced; the source waits)'
    complete -c $c -n $n -l max-in-flight -x -a '4 16' -d 'run up to N actions of the rule at once; events of one key stay in order'
    complete -c $c -n $n -l queue-size -x -a '64 1024' -d 'matching events a rule lane holds before the source waits (backpressure)'
    complete -c $c -n $n -l debounce -x -a '1s 5s 1m' -d 'fire at most once per key per DUR window, with the latest event of it'
    complete -c $c -n $n -l dlq -r -F -d 'dead-letter stream: where an event goes once every retry failed'
    complete -c $c -n $n -s o -l from -x -a 'beginning end -1 -10 @5m @1h' -d 'stream source: beginning | end | SEQ | ID | -N | @TIME, as tap'
    complete -c $c -n $n -s g -l group -x -d 'stream source: resume from and commit to consumer group NAME (at least once)'
    complete -c $c -n $n -s c -l count -x -d 'stop after N events (matching or not)'
    complete -c $c -n $n -s e -l exit -d 'stream source: stop at the end of the stream instead of following it'
    complete -c $c -n $n -l envelope -d 'stdin: each line is a sluice envelope; the event is its payload'
    complete -c $c -n $n -l on-error -x -a 'fail skip' -d 'fail | skip: at a bad event (not JSON where the filter reads it, a bad envelope)'
    complete -c $c -n $n -l strict -d 'a type mismatch in the filter is a bad event, not false'
    complete -c $c -n $n -l dry-run -d 'run no action: print RULE, event id and event of each match on stdout'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up on an unreachable backend (source, --to, --dlq) after DUR'
    complete -c $c -n $n -l stats -d 'print per rule on stderr at exit: matched, fired, failed, retried, dead-lettered'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] SOURCE'
end

# relay-ws
for c in sluice sluice-relay-ws relay-ws
    set -l n '__sluice_is relay-ws'
    complete -c $c -n $n -s l -l listen -x -a '127.0.0.1:8080 0.0.0.0:8080' -d 'where to accept WebSocket and HTTP connections'
    complete -c $c -n $n -l topic -x -d 'with -: the topic of the stdin lines'
    complete -c $c -n $n -l envelope -d 'with -: stdin lines are sluice envelopes, each on its stream'
    complete -c $c -n $n -l history -x -d 'messages kept per topic in memory (the fast path for resume and slow clients)'
    complete -c $c -n $n -l client-queue -x -d 'how many messages a client may fall behind a topic before --slow-client applies'
    complete -c $c -n $n -l slow-client -x -a 'catch-up drop-oldest close' -d 'a client that falls behind: catch-up (from the log), drop-oldest or close'
    complete -c $c -n $n -l ping-interval -x -a '10s 30s 1m' -d 'ping a client idle this long; hang up after twice as long without an answer'
    complete -c $c -n $n -l max-message -x -d 'the largest client message; a larger one closes the connection (1009)'
    complete -c $c -n $n -l max-connections -x -d 'at most N WebSocket clients at once; more are refused with HTTP 503 (0: no limit)'
    complete -c $c -n $n -l compress -d 'accept permessage-deflate from clients that offer it (0.1 to 1 MB per such client)'
    complete -c $c -n $n -l allow-origin -x -d 'accept upgrades only from this Origin (repeatable; default: any)'
    complete -c $c -n $n -l jwt-secret-file -r -F -d 'require a JWT signed with HS256 and the secret in FILE'
    complete -c $c -n $n -l jwt-public-key -r -F -d 'require a JWT signed with RS256, verified with the PEM public key in FILE'
    complete -c $c -n $n -l jwt-audience -x -d 'with a JWT: its aud claim must name AUD'
    complete -c $c -n $n -l jwt-issuer -x -d 'with a JWT: its iss claim must be ISS'
    complete -c $c -n $n -l auth-timeout -x -a '5s 10s 30s' -d 'with a JWT: close a client that sent no token within DUR (4411)'
    complete -c $c -n $n -l cert -r -F -d 'serve TLS (wss://, https://) with the PEM certificate chain in FILE (needs --key)'
    complete -c $c -n $n -l key -r -F -d 'the PEM private key of --cert'
    complete -c $c -n $n -l topics-claim -x -d 'the token claim listing the topics its bearer may subscribe to'
    complete -c $c -n $n -l timeout -x -a '5s 30s 1m' -d 'give up on an unreachable backend after DUR'
    complete -c $c -n $n -s h -l help -d 'print this help and exit'
    complete -c $c -n $n -s V -l version -d 'print the version and exit'
    complete -c $c -n $n -F -a '- file:' -d '[OPTIONS] SOURCE...'
end
