#!/usr/bin/env bash
# streams on a real redis-server: create (with the retention age flux then
# trims to), config, trim, reset (to a seq, a time, -N; --dry-run; a live
# member refused) and rm, each checked against the server itself.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap streams
test_require_cmd redis-server redis-cli

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }

test_expect_success 'create: an empty stream, its retention age kept for flux' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT &&
	streams create --retention 1h "$U/made" &&
	echo stream >want && rcli type made >got && test_cmp want got &&
	echo 0 >want && rcli xlen made >got && test_cmp want got &&
	test -z "$(rcli xinfo groups made)" &&
	streams ls --json "$U" | grep "^{\"name\":\"made\",\"shards\":1,\"records\":0,.*\"retention\":{\"age_s\":3600,\"bytes\":null}}\$" &&
	test_expect_code 64 streams create "$U/made" 2>err &&
	test_grep "already exists" err &&
	test_expect_code 64 streams create --retention 10G "$U/sized" 2>err &&
	test_grep "cannot bound a stream by bytes" err &&
	test_expect_code 64 streams create --shards 2 "$U/two" 2>err &&
	test_grep "one shard" err &&
	echo 0 >want && rcli exists sized two >got && test_cmp want got
'

test_expect_success 'flux trims to the age: entries older than it go (XADD MINID ~)' '
	# MINID ~ drops whole nodes of the stream: one entry a node here.
	rcli config set stream-node-max-entries 1 >/dev/null &&
	old=$(( $(date +%s) * 1000 - 7200000 )) &&
	rcli xadd made $old-0 p old >/dev/null &&
	rcli xadd made $((old + 1))-0 p old2 >/dev/null &&
	seq 1 3 | flux "$U/made" &&
	tap "$U/made" --from beginning --exit >got &&
	printf "1\n2\n3\n" >want && test_cmp want got &&
	streams config --retention none "$U/made" >cfg &&
	echo "made: retention none" >want && test_cmp want cfg
'

test_expect_success 'config: shows and changes the age; a size is refused' '
	streams config "$U/made" >cfg &&
	echo "made: retention none" >want && test_cmp want cfg &&
	echo 0 >want && rcli hexists "{made}:sluice" retention_ms >got && test_cmp want got &&
	streams config --retention 2d "$U/made" >cfg &&
	echo "made: retention 2d" >want && test_cmp want cfg &&
	echo 172800000 >want && rcli hget "{made}:sluice" retention_ms >got && test_cmp want got &&
	test_expect_code 64 streams config --retention 1G "$U/made" 2>err &&
	test_grep "cannot bound a stream by bytes" err &&
	test_expect_code 66 streams config --retention 1d "$U/nope" 2>err &&
	test_grep "does not exist" err
'

test_expect_success 'trim --keep N, --before SEQ and @TIME (XTRIM)' '
	seq 1 10 | flux "$U/t" &&
	streams trim --keep 6 "$U/t" >out &&
	grep -q "dropped 4 records\$" out &&
	echo 6 >want && rcli xlen t >got && test_cmp want got &&
	tap "$U/t" --from beginning --exit --format "%o %s\n" >all &&
	seq=$(sed -n 3p all | cut -d " " -f 1) &&
	streams trim --before "$seq" "$U/t" >out &&
	grep -q "dropped 2 records\$" out &&
	tap "$U/t" --from beginning --exit >got &&
	printf "7\n8\n9\n10\n" >want && test_cmp want got &&
	streams trim --before @2099-01-01T00:00:00Z "$U/t" >out &&
	grep -q "dropped 4 records\$" out &&
	echo 0 >want && rcli xlen t >got && test_cmp want got &&
	test_expect_code 66 streams trim --keep 1 "$U/nope" 2>err
'

test_expect_success 'reset --to SEQ, --dry-run, -N, @TIME; lag stays exact' '
	seq 1 10 | flux "$U/r" &&
	# A member that read everything and left deletes itself: no live member.
	tap "$U/r" --group g --exit >/dev/null &&
	tap "$U/r" --from beginning --exit --format "%o\n" >seqs &&
	s7=$(sed -n 7p seqs) && end=$(( $(tail -n 1 seqs) + 1 )) &&
	streams reset --dry-run --to "$s7" g "$U/r" >dry &&
	echo "shard 0: $end -> $s7 (dry run)" >want && test_cmp want dry &&
	streams groups --json "$U/r" | grep "\"group\":\"g\",\"lag\":0," &&
	streams reset --to "$s7" g "$U/r" >out &&
	echo "shard 0: $end -> $s7" >want && test_cmp want out &&
	streams groups --json "$U/r" | grep "\"group\":\"g\",\"lag\":4," &&
	tap "$U/r" --group g --exit >rest &&
	printf "7\n8\n9\n10\n" >want && test_cmp want rest &&
	streams reset --to -2 g "$U/r" &&
	streams groups --json "$U/r" | grep "\"group\":\"g\",\"lag\":2," &&
	tap "$U/r" --group g --exit >last &&
	printf "9\n10\n" >want && test_cmp want last &&
	streams reset --to @1h g "$U/r" &&
	streams groups --json "$U/r" | grep "\"group\":\"g\",\"lag\":10," &&
	tap "$U/r" --group g --exit | wc -l >n && echo 10 >want && test_cmp want n &&
	streams reset --to beginning g "$U/r" >out &&
	echo "shard 0: $end -> none" >want && test_cmp want out &&
	tap "$U/r" --group g --count 1 >first && echo 1 >want && test_cmp want first
'

test_expect_success 'reset while a member is live: exit 75 naming it, unless --force' '
	{ tap "$U/r" --group live --consumer busy >/dev/null & } &&
	pid=$! &&
	wait_for 20 "rcli xinfo consumers r live 2>/dev/null | grep -qx busy" &&
	test_expect_code 75 streams reset --to 0 live "$U/r" 2>err &&
	test_grep "live member (busy" err &&
	streams reset --force --to beginning live "$U/r" &&
	test_stop $pid &&
	test_expect_code 66 streams reset --to 0 nosuch "$U/r" 2>err &&
	test_grep "does not exist" err
'

test_expect_success 'rm: exit 64 without --yes; deletes the stream and its settings' '
	test_expect_code 64 streams rm "$U/made" 2>err &&
	test_grep "would delete stream .made." err &&
	streams rm --yes "$U/made" &&
	echo 0 >want && rcli exists made "{made}:sluice" >got && test_cmp want got &&
	test_expect_code 66 streams rm --yes "$U/made" 2>err &&
	test_grep "does not exist" err
'

test_done
