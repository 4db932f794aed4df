# bash completion for sluice: `sluice TOOL ...`, `sluice-TOOL ...` and the
# tools by their own names. Generated from the flag tables by gen-docs
# (scripts/gen-docs); do not edit.
# shellcheck shell=bash disable=SC2207

_sluice_tools="flux tap cdc-pg cdc-mysql streams top trigger relay-ws"

_sluice_opts_flux="-d --delimiter -0 --null --framing --envelope --input
  --encode --schema-registry --subject --schema --to-json --csv-header
  --csv-delimiter --infer -k --key-field -K --key-delimiter -H --header --once
  --mode --on-error --max-record-bytes --fsync --fsync-interval
  --segment-bytes --shards --retention --timeout --stats --progress -h --help
  -V --version"

_sluice_opts_tap="-o --from -g --group --session-timeout --consumer -c --count
  -e --exit -F --format --fields --csv-header -d --delimiter -0 --null
  --framing --decode --key-decode --schema-registry --schema --once --mode
  --timeout --on-error --stats --progress -h --help -V --version"

_sluice_opts_cdc_pg="-s --slot -p --publication -t --tables
  --create-publication --drop-slot --drop-publication --temporary --snapshot
  --tx-markers --no-tombstones --proto-version --stream-in-progress
  --no-stream-in-progress --heartbeat -n --name --with-key --embed-json
  --no-reconnect --timeout --stats --progress -h --help -V --version"

_sluice_opts_cdc_mysql="-t --tables --snapshot --offsets --server-id
  --tx-markers --no-tombstones --heartbeat -n --name --with-key --embed-json
  --no-reconnect --timeout --stats --progress -h --help -V --version"

_sluice_opts_streams="-j --json -g --group --shards --retention
  --replication-factor --segment-bytes --to --before --keep --dry-run --force
  --color --yes -h --help -V --version"

_sluice_opts_top="-i --interval --once -c --count -j --json --window --fail-on
  -g --group --graph -h --help -V --version"

_sluice_opts_trigger="-w --when -r --rules -x --exec --webhook --webhook-header
  --method --webhook-secret --webhook-timeout --template --to -n --name
  --retries --retry-backoff --exec-timeout --rate --max-in-flight --queue-size
  --debounce --dlq -o --from -g --group -c --count -e --exit --envelope
  --on-error --strict --dry-run --timeout --stats -h --help -V --version"

_sluice_opts_relay_ws="-l --listen --topic --envelope --history --client-queue
  --slow-client --ping-interval --max-message --max-connections --compress
  --allow-origin --jwt-secret-file --jwt-public-key --jwt-audience
  --jwt-issuer --auth-timeout --cert --key --topics-claim --timeout -h --help
  -V --version"

# _sluice_values TOOL PREV CUR: completes the value of option PREV; returns
# 1 when PREV takes no value.
_sluice_values() {
  local tool=$1 prev=$2 cur=$3
  case $tool:$prev in
    flux:-d | flux:--delimiter)
      COMPREPLY=() ;;
    flux:--framing)
      COMPREPLY=($(compgen -W "u32be varint" -- "$cur")) ;;
    flux:--input)
      COMPREPLY=($(compgen -W "lines csv tsv msgpack" -- "$cur")) ;;
    flux:--encode)
      COMPREPLY=($(compgen -W "avro" -- "$cur")) ;;
    flux:--schema-registry)
      COMPREPLY=($(compgen -W "http://localhost:8081" -- "$cur")) ;;
    flux:--subject)
      COMPREPLY=() ;;
    flux:--schema)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    flux:--csv-delimiter)
      COMPREPLY=() ;;
    flux:-k | flux:--key-field)
      COMPREPLY=() ;;
    flux:-K | flux:--key-delimiter)
      COMPREPLY=() ;;
    flux:-H | flux:--header)
      COMPREPLY=() ;;
    flux:--mode)
      COMPREPLY=($(compgen -W "0600 0620 0660 0666" -- "$cur")) ;;
    flux:--on-error)
      COMPREPLY=($(compgen -W "fail skip dlq:" -- "$cur")) ;;
    flux:--max-record-bytes)
      COMPREPLY=($(compgen -W "64K 1M 16M 256M" -- "$cur")) ;;
    flux:--fsync)
      COMPREPLY=($(compgen -W "always interval never" -- "$cur")) ;;
    flux:--fsync-interval)
      COMPREPLY=($(compgen -W "100ms 1s 5s" -- "$cur")) ;;
    flux:--segment-bytes)
      COMPREPLY=($(compgen -W "16M 64M 256M 1G" -- "$cur")) ;;
    flux:--shards)
      COMPREPLY=($(compgen -W "1 2 4 8 16" -- "$cur")) ;;
    flux:--retention)
      COMPREPLY=($(compgen -W "1d 7d 30d 10G 7d,10G" -- "$cur")) ;;
    flux:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    tap:-o | tap:--from)
      COMPREPLY=($(compgen -W "beginning end -1 -10 -100 @5m @1h @1d" -- "$cur")) ;;
    tap:-g | tap:--group)
      COMPREPLY=() ;;
    tap:--session-timeout)
      COMPREPLY=($(compgen -W "1s 5s 10s 30s" -- "$cur")) ;;
    tap:--consumer)
      COMPREPLY=() ;;
    tap:-c | tap:--count)
      COMPREPLY=() ;;
    tap:-F | tap:--format)
      COMPREPLY=($(compgen -W "payload envelope csv tsv msgpack" -- "$cur")) ;;
    tap:--fields)
      COMPREPLY=() ;;
    tap:-d | tap:--delimiter)
      COMPREPLY=() ;;
    tap:--framing)
      COMPREPLY=($(compgen -W "u32be varint" -- "$cur")) ;;
    tap:--decode)
      COMPREPLY=($(compgen -W "avro" -- "$cur")) ;;
    tap:--key-decode)
      COMPREPLY=($(compgen -W "avro" -- "$cur")) ;;
    tap:--schema-registry)
      COMPREPLY=($(compgen -W "http://localhost:8081" -- "$cur")) ;;
    tap:--schema)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    tap:--mode)
      COMPREPLY=($(compgen -W "0600 0620 0660 0666" -- "$cur")) ;;
    tap:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    tap:--on-error)
      COMPREPLY=($(compgen -W "fail skip" -- "$cur")) ;;
    cdc-pg:-s | cdc-pg:--slot)
      COMPREPLY=() ;;
    cdc-pg:-p | cdc-pg:--publication)
      COMPREPLY=() ;;
    cdc-pg:-t | cdc-pg:--tables)
      COMPREPLY=() ;;
    cdc-pg:--snapshot)
      COMPREPLY=($(compgen -W "initial never only when-needed" -- "$cur")) ;;
    cdc-pg:--proto-version)
      COMPREPLY=($(compgen -W "1 2 3" -- "$cur")) ;;
    cdc-pg:--heartbeat)
      COMPREPLY=($(compgen -W "1s 10s 1m" -- "$cur")) ;;
    cdc-pg:-n | cdc-pg:--name)
      COMPREPLY=() ;;
    cdc-pg:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    cdc-mysql:-t | cdc-mysql:--tables)
      COMPREPLY=() ;;
    cdc-mysql:--snapshot)
      COMPREPLY=($(compgen -W "initial never only when-needed" -- "$cur")) ;;
    cdc-mysql:--offsets)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    cdc-mysql:--server-id)
      COMPREPLY=() ;;
    cdc-mysql:--heartbeat)
      COMPREPLY=($(compgen -W "1s 5s 30s" -- "$cur")) ;;
    cdc-mysql:-n | cdc-mysql:--name)
      COMPREPLY=() ;;
    cdc-mysql:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    streams:-g | streams:--group)
      COMPREPLY=() ;;
    streams:--shards)
      COMPREPLY=($(compgen -W "1 2 4 8 16" -- "$cur")) ;;
    streams:--retention)
      COMPREPLY=($(compgen -W "1d 7d 30d 10G 7d,10G none" -- "$cur")) ;;
    streams:--replication-factor)
      COMPREPLY=($(compgen -W "1 2 3" -- "$cur")) ;;
    streams:--segment-bytes)
      COMPREPLY=($(compgen -W "16M 64M 256M 1G" -- "$cur")) ;;
    streams:--to)
      COMPREPLY=($(compgen -W "beginning end -1 -100 @5m @1h @1d" -- "$cur")) ;;
    streams:--before)
      COMPREPLY=($(compgen -W "@1d @7d" -- "$cur")) ;;
    streams:--keep)
      COMPREPLY=() ;;
    streams:--color)
      COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ;;
    top:-i | top:--interval)
      COMPREPLY=($(compgen -W "500ms 1s 2s 5s 10s" -- "$cur")) ;;
    top:-c | top:--count)
      COMPREPLY=() ;;
    top:--window)
      COMPREPLY=() ;;
    top:--fail-on)
      COMPREPLY=($(compgen -W "warn stall stop" -- "$cur")) ;;
    top:-g | top:--group)
      COMPREPLY=() ;;
    trigger:-w | trigger:--when)
      COMPREPLY=() ;;
    trigger:-r | trigger:--rules)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    trigger:-x | trigger:--exec)
      COMPREPLY=() ;;
    trigger:--webhook)
      COMPREPLY=() ;;
    trigger:--webhook-header)
      COMPREPLY=() ;;
    trigger:--method)
      COMPREPLY=($(compgen -W "POST PUT PATCH" -- "$cur")) ;;
    trigger:--webhook-secret)
      COMPREPLY=() ;;
    trigger:--webhook-timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    trigger:--template)
      COMPREPLY=() ;;
    trigger:--to)
      COMPREPLY=($(compgen -f -- "$cur"))
      [ -z "$cur" ] && COMPREPLY+=(- file:)
      compopt -o filenames 2>/dev/null ;;
    trigger:-n | trigger:--name)
      COMPREPLY=() ;;
    trigger:--retries)
      COMPREPLY=() ;;
    trigger:--retry-backoff)
      COMPREPLY=($(compgen -W "100ms,10s 1s,10m" -- "$cur")) ;;
    trigger:--exec-timeout)
      COMPREPLY=($(compgen -W "10s 1m 10m" -- "$cur")) ;;
    trigger:--rate)
      COMPREPLY=($(compgen -W "10/s 100/m" -- "$cur")) ;;
    trigger:--max-in-flight)
      COMPREPLY=($(compgen -W "4 16" -- "$cur")) ;;
    trigger:--queue-size)
      COMPREPLY=($(compgen -W "64 1024" -- "$cur")) ;;
    trigger:--debounce)
      COMPREPLY=($(compgen -W "1s 5s 1m" -- "$cur")) ;;
    trigger:--dlq)
      COMPREPLY=($(compgen -f -- "$cur"))
      [ -z "$cur" ] && COMPREPLY+=(- file:)
      compopt -o filenames 2>/dev/null ;;
    trigger:-o | trigger:--from)
      COMPREPLY=($(compgen -W "beginning end -1 -10 @5m @1h" -- "$cur")) ;;
    trigger:-g | trigger:--group)
      COMPREPLY=() ;;
    trigger:-c | trigger:--count)
      COMPREPLY=() ;;
    trigger:--on-error)
      COMPREPLY=($(compgen -W "fail skip" -- "$cur")) ;;
    trigger:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    relay-ws:-l | relay-ws:--listen)
      COMPREPLY=($(compgen -W "127.0.0.1:8080 0.0.0.0:8080" -- "$cur")) ;;
    relay-ws:--topic)
      COMPREPLY=() ;;
    relay-ws:--history)
      COMPREPLY=() ;;
    relay-ws:--client-queue)
      COMPREPLY=() ;;
    relay-ws:--slow-client)
      COMPREPLY=($(compgen -W "catch-up drop-oldest close" -- "$cur")) ;;
    relay-ws:--ping-interval)
      COMPREPLY=($(compgen -W "10s 30s 1m" -- "$cur")) ;;
    relay-ws:--max-message)
      COMPREPLY=() ;;
    relay-ws:--max-connections)
      COMPREPLY=() ;;
    relay-ws:--allow-origin)
      COMPREPLY=() ;;
    relay-ws:--jwt-secret-file)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    relay-ws:--jwt-public-key)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    relay-ws:--jwt-audience)
      COMPREPLY=() ;;
    relay-ws:--jwt-issuer)
      COMPREPLY=() ;;
    relay-ws:--auth-timeout)
      COMPREPLY=($(compgen -W "5s 10s 30s" -- "$cur")) ;;
    relay-ws:--cert)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    relay-ws:--key)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null ;;
    relay-ws:--topics-claim)
      COMPREPLY=() ;;
    relay-ws:--timeout)
      COMPREPLY=($(compgen -W "5s 30s 1m" -- "$cur")) ;;
    *) return 1 ;;
  esac
  return 0
}

# Completes one tool's arguments; the words are COMP_WORDS[start..].
_sluice_tool() {
  local tool=$1 cur=$2 prev=$3 opts
  case $tool in
    flux) opts=$_sluice_opts_flux ;;
    tap) opts=$_sluice_opts_tap ;;
    cdc-pg) opts=$_sluice_opts_cdc_pg ;;
    cdc-mysql) opts=$_sluice_opts_cdc_mysql ;;
    streams) opts=$_sluice_opts_streams ;;
    top) opts=$_sluice_opts_top ;;
    trigger) opts=$_sluice_opts_trigger ;;
    relay-ws) opts=$_sluice_opts_relay_ws ;;
    *) COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  _sluice_values "$tool" "$prev" "$cur" && return
  case $cur in
    -?*)
      COMPREPLY=($(compgen -W "$opts" -- "$cur")) ;;
    *)
      # STREAM, PIPE: files and directories; file: URIs (after the ':'
      # that bash splits words at, cur is the path part).
      COMPREPLY=($(compgen -f -- "$cur"))
      [ -z "$cur" ] && COMPREPLY+=(- file:)
      compopt -o filenames 2>/dev/null ;;
  esac
}

_sluice() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd=${COMP_WORDS[0]##*/} tool
  [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
  COMPREPLY=()
  case $cmd in
    sluice)
      if [ "$COMP_CWORD" -eq 1 ]; then
        COMPREPLY=($(compgen -W "$_sluice_tools help -h --help -V --version" -- "$cur"))
        return
      fi
      tool=${COMP_WORDS[1]}
      if [ "$tool" = help ]; then
        COMPREPLY=($(compgen -W "$_sluice_tools" -- "$cur"))
        return
      fi ;;
    sluice-*) tool=${cmd#sluice-} ;;
    *) tool=$cmd ;;
  esac
  _sluice_tool "$tool" "$cur" "$prev"
}

complete -F _sluice sluice sluice-flux flux sluice-tap tap sluice-cdc-pg cdc-pg sluice-cdc-mysql cdc-mysql sluice-streams streams sluice-top top sluice-trigger trigger sluice-relay-ws relay-ws
