#!/usr/bin/env bash
# streams: ls, show, groups on file:, redis and kafka (mock); create,
# config, trim, rm, reset and check on file:; bad input. (Redis and kafka
# administration: t0196, t0197.)
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap streams kafka_mock
test_require_cmd redis-server redis-cli

test_expect_success 'create --shards --retention, then flux keeps the count' '
	streams create --shards 4 --retention 7d file:log/clicks &&
	grep -qx "shards=4" log/clicks/meta &&
	grep -qx "retention_ms=604800000" log/clicks/meta &&
	awk "BEGIN { for (i = 0; i < 1000; i++) printf \"k%d %d\\n\", i % 10, i }" >in &&
	flux --key-delimiter " " file:log/clicks <in &&
	seq 1 5 | flux file:log/other &&
	test_expect_code 64 streams create file:log/clicks 2>err &&
	test_grep "already exists" err
'

test_expect_success 'ls --json: one exact object per stream' '
	streams ls --json file:log >got &&
	test_line_count = 2 got &&
	grep "^{\"name\":\"clicks\",\"shards\":4,\"records\":1000,\"bytes\":[0-9]*,\"first_seq\":0," got &&
	grep "\"retention\":{\"age_s\":604800,\"bytes\":null}}\$" got &&
	grep "^{\"name\":\"other\",\"shards\":1,\"records\":5,.*\"first_seq\":0,\"last_seq\":4," got &&
	streams ls file:log >table &&
	head -n 1 table | grep -q "^NAME *SHARDS *RECORDS" &&
	grep -q "^clicks *4 *1000 " table
'

test_expect_success 'show and groups: committed position and lag per shard' '
	tap file:log/other --group g --count 2 >/dev/null &&
	streams show file:log/other >show &&
	grep -q "^g *0 *2 *3\$" show &&
	cat log/other/*.log | wc -c >size &&
	awk "\$1 == \"0\" && \$2 == \"0\" && \$3 == \"4\" {print \$NF}" show >shown &&
	test_cmp size shown &&
	streams groups --json file:log >groups &&
	echo "{\"stream\":\"other\",\"group\":\"g\",\"lag\":3,\"committed\":[2],\"members\":[]}" >want &&
	test_cmp want groups &&
	streams groups --json --group g file:log >only && test_cmp want only &&
	streams groups --json -g nosuch file:log >none && test_line_count = 0 none &&
	streams show --json file:log/other >sj &&
	test_line_count = 2 sj
'

test_expect_success '--color: bold headings and the lag in colour on always; none piped, on never, or with NO_COLOR' '
	esc=$(printf "\033") &&
	streams groups --color always file:log >c &&
	grep -q "^${esc}\[1mSTREAM  *GROUP  *LAG  *COMMITTED  *MEMBERS${esc}\[0m\$" c &&
	grep -q "^other  *g  *${esc}\[33m3${esc}\[0m  *2  *0\$" c &&
	streams show --color always file:log/other >cs &&
	grep -q "^g  *0  *2  *${esc}\[33m3${esc}\[0m\$" cs &&
	streams groups file:log >plain &&
	NO_COLOR=1 streams groups --color auto file:log >nc &&
	streams groups --color never file:log >never &&
	! grep -q "$esc" plain && ! grep -q "$esc" nc && ! grep -q "$esc" never &&
	grep -q "^other  *g  *3  *2  *0\$" plain &&
	test_expect_code 64 streams groups --color sometimes file:log 2>err &&
	test_grep "expected auto, always or never" err
'

test_expect_success 'reset --to SEQ, --dry-run, @TIME: the next tap --group starts there' '
	streams reset --to 1 --dry-run g file:log/other >dry &&
	echo "shard 0: 2 -> 1 (dry run)" >want && test_cmp want dry &&
	tap file:log/other --group g --exit >after_dry &&
	printf "3\n4\n5\n" >want && test_cmp want after_dry &&
	streams reset --to 1 g file:log/other >out &&
	echo "shard 0: 5 -> 1" >want && test_cmp want out &&
	tap file:log/other --group g --exit >again &&
	printf "2\n3\n4\n5\n" >want && test_cmp want again &&
	streams reset --to @1h g file:log/other &&
	tap file:log/other --group g --exit | wc -l >n && echo 5 >want && test_cmp want n &&
	tap file:log/clicks --group cg --count 1 >/dev/null &&
	streams reset --to -2 cg file:log/clicks >per_shard &&
	test_line_count = 4 per_shard &&
	tap file:log/clicks --group cg --exit | wc -l >n &&
	echo 6 >want && test_cmp want n
'

test_expect_success 'reset while a member is live exits 75 naming it, unless --force' '
	{ tap file:log/other --group live >/dev/null & } &&
	pid=$! &&
	wait_for "streams groups --json file:log/other | grep -q \"\\\"live\\\".*\\\"members\\\":\\[\\\"m-\"" &&
	test_expect_code 75 streams reset --to 0 live file:log/other 2>err &&
	test_grep "live member" err &&
	streams reset --to 0 --force live file:log/other &&
	test_stop $pid &&
	test_expect_code 66 streams reset --to 0 nosuch file:log/other
'

test_expect_success 'check: ok on a good stream, exit 65 listing a corrupt record' '
	streams check file:log/clicks >ok &&
	grep -q ": ok\$" ok &&
	seq 1 100 | flux file:log/bad &&
	seg=log/bad/00000000000000000000.log &&
	printf "XXXX" | dd of=$seg bs=1 seek=300 conv=notrunc 2>/dev/null &&
	test_expect_code 65 streams check file:log/bad >report &&
	test_grep "corrupt record in" report &&
	test_grep "records lost" report
'

test_expect_success 'trim drops whole sealed segments only, and says what' '
	streams create --segment-bytes 4K file:log/seg &&
	seq 1 1000 | flux file:log/seg &&
	ls log/seg/*.log | wc -l >nseg && test $(cat nseg) -gt 5 &&
	second=$(ls log/seg/*.log | sed -n 2p) &&
	third=$(ls log/seg/*.log | sed -n 3p) &&
	b2=$(basename $second .log) && b3=$(basename $third .log) &&
	b2=$((10#$b2)) && b3=$((10#$b3)) &&
	streams trim --before $((b3 - 1)) file:log/seg >out &&
	grep -q "^shard 0: first seq 0 -> $b2, dropped $b2 records ([0-9]* bytes)\$" out &&
	tap file:log/seg --from beginning --exit | head -n 1 >first &&
	echo $((b2 + 1)) >want && test_cmp want first &&
	streams trim --keep 1 file:log/seg >out &&
	tap file:log/seg --from beginning --exit >kept &&
	tail -n 1 kept >last && echo 1000 >want && test_cmp want last &&
	test $(wc -l <kept) -lt 1000 &&
	ls log/seg/*.log | wc -l >n && echo 1 >want && test_cmp want n &&
	streams trim --keep 0 file:log/seg >out &&
	grep -q "dropped 0 records" out &&
	test_expect_code 64 streams trim file:log/seg 2>err &&
	test_grep "one of --before" err &&
	test_expect_code 64 streams trim --before beginning file:log/seg 2>err &&
	test_expect_code 66 streams trim --keep 1 file:log/nope &&
	streams rm --yes file:log/seg
'

test_expect_success 'config shows and changes the retention in meta' '
	streams config file:log/clicks >cfg &&
	echo "clicks: retention 7d" >want && test_cmp want cfg &&
	streams config --retention 10G file:log/clicks >cfg &&
	echo "clicks: retention 7d,10G" >want && test_cmp want cfg &&
	grep -qx "retention_bytes=10737418240" log/clicks/meta &&
	grep -qx "shards=4" log/clicks/meta &&
	streams config --retention none file:log/clicks >cfg &&
	echo "clicks: retention none" >want && test_cmp want cfg &&
	test_expect_code 64 streams config --retention forever file:log/clicks 2>err &&
	test_grep "retention" err &&
	test_expect_code 66 streams config file:log/nope
'

test_expect_success 'rm: says what, exits 64 without --yes; deletes with it' '
	test_expect_code 64 streams rm file:log/other 2>err &&
	test_grep "would delete stream .other. (5 records, 2 groups)" err &&
	test_path_is_dir log/other &&
	streams rm --yes file:log/other &&
	test_path_is_missing log/other &&
	streams ls --json file:log | grep -c "\"name\"" >n && echo 2 >want && test_cmp want n
'

test_expect_success 'bad input: unknown command, missing stream, cluster where a stream is needed' '
	test_expect_code 64 streams bogus file:log 2>err &&
	test_grep "unknown command .bogus." err &&
	test_expect_code 66 streams show file:log/nope 2>err &&
	test_grep "does not exist" err &&
	test_expect_code 64 streams show file:log/ 2>err &&
	test_expect_code 64 streams ls 2>err &&
	test_grep "missing arguments" err &&
	test_expect_code 64 streams create --shards 0 file:log/x 2>err
'

test_expect_success 'redis: ls, show and groups with known traffic' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT &&
	seq 1 7 | flux "$U/rs" &&
	tap "$U/rs" --group rg --count 3 >/dev/null &&
	streams ls --json "$U" | grep "^{\"name\":\"rs\",\"shards\":1,\"records\":7," &&
	streams groups --json "$U/rs" | grep "\"group\":\"rg\",\"lag\":4" &&
	# tap read all 7 and acknowledged 3: its consumer holds 4 pending.
	streams show "$U/rs" >show &&
	grep -q "^group rg: lag 4, 1 live member(s): [^ ]* (pending 4, idle [0-9]*s)\$" show &&
	grep -q "^rg  *0  *[0-9]*  *4\$" show &&
	test_expect_code 64 streams check "$U/rs" 2>err &&
	test_grep "file: log operation" err
'

test_expect_success 'kafka (mock): ls and show with known traffic' '
	start_kafka_mock kafka &&
	seq 1 9 | flux --key-delimiter " " "kafka://$KAFKA/kt" &&
	streams ls --json "kafka://$KAFKA" | grep "^{\"name\":\"kt\",\"shards\":4,\"records\":9," &&
	streams show "kafka://$KAFKA/kt" | grep -q "^stream kt: 4 shards, 9 records"
'

test_done
