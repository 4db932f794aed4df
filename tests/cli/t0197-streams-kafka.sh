#!/usr/bin/env bash
# streams on kafka, against librdkafka's mock cluster: reset (to a seq,
# the beginning, -N; --dry-run; refused while a member is live; a group
# that does not exist), groups and show of a named group, and what the
# mock cannot do.
#
# The mock (librdkafka 2.0.2, see FACTS.md) does not answer CreateTopics
# and DeleteTopics (they wait for a controller the mock never names: the
# request times out), refuses DescribeConfigs, DeleteRecords, ListGroups and
# DescribeGroups as unsupported, and ListOffsets by time always answers -1.
# So create, rm, config and trim are only checked to fail loudly here
# (never a made-up success), the retention in ls and show only to be
# unknown with a warning, --to @TIME cannot be checked (the mock finds no
# record at any time, so it resolves to the end), and show lists no members.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap streams kafka_mock

# The mock refuses every commit from outside a group (UNKNOWN_MEMBER_ID)
# once the group has had a member, even after all left; a real broker
# takes it while the group is Empty. So each reset below is of a group
# whose offsets were committed without joining (kafka_mock commit, as
# kafka-consumer-groups --reset-offsets would) and is checked by one
# tap --group.
test_expect_success 'reset --to SEQ and --dry-run: the next tap --group starts there' '
	start_kafka_mock kafka --topic one:1 --topic four:4 &&
	K=kafka://$KAFKA &&
	seq 1 10 | flux "$K/one" &&
	kafka_mock_cmd commit g one 0 4 &&
	streams reset --to 7 --dry-run g "$K/one" >dry &&
	echo "shard 0: 4 -> 7 (dry run)" >want && test_cmp want dry &&
	streams reset --to 7 g "$K/one" >out &&
	echo "shard 0: 4 -> 7" >want && test_cmp want out &&
	tap "$K/one" --group g --exit >rest &&
	printf "8\n9\n10\n" >want && test_cmp want rest
'

test_expect_success 'reset --to beginning, -N, past the end (clamped)' '
	kafka_mock_cmd commit b one 0 9 &&
	streams reset --to beginning b "$K/one" >out &&
	echo "shard 0: 9 -> 0" >want && test_cmp want out &&
	tap "$K/one" --group b --exit | wc -l >n && echo 10 >want && test_cmp want n &&
	kafka_mock_cmd commit n one 0 1 &&
	streams reset --to -3 n "$K/one" >out &&
	echo "shard 0: 1 -> 7" >want && test_cmp want out &&
	tap "$K/one" --group n --exit >last &&
	printf "8\n9\n10\n" >want && test_cmp want last &&
	kafka_mock_cmd commit e one 0 1 &&
	streams reset --to 99 e "$K/one" >out &&
	echo "shard 0: 1 -> 10" >want && test_cmp want out
'

test_expect_success 'reset on four partitions: every shard, before and after' '
	awk "BEGIN { for (i = 0; i < 400; i++) printf \"k%d %d\\n\", i, i }" |
		flux --key-delimiter " " "$K/four" &&
	kafka_mock_cmd commit g4 four 2 1 &&
	streams reset --to -1 g4 "$K/four" >out &&
	test_line_count = 4 out &&
	grep -c "^shard [0-3]: .* -> [0-9]*\$" out >n && echo 4 >want && test_cmp want n &&
	grep "^shard 2: 1 -> " out &&
	tap "$K/four" --group g4 --exit | wc -l >n && echo 4 >want && test_cmp want n
'

test_expect_success 'reset while a member is live: exit 75, the broker refuses' '
	{ tap "$K/one" --group live --from beginning >live.out & } &&
	pid=$! &&
	wait_for 20 "test \$(wc -l <live.out) = 10" &&
	# Until the member has committed, the group is unknown to the mock (66).
	wait_for 20 "streams reset --to 0 live $K/one 2>err; test \$? = 75" &&
	test_grep "has live members" err &&
	test_stop $pid
'

test_expect_success 'groups and show --group: a named group, on a cluster that cannot list them' '
	kafka_mock_cmd commit named one 0 6 &&
	streams groups --json --group named "$K/one" >got 2>err &&
	echo "{\"stream\":\"one\",\"group\":\"named\",\"lag\":4,\"committed\":[6],\"members\":[]}" >want &&
	test_cmp want got &&
	streams show --group named "$K/one" >show 2>err &&
	grep -q "^named *0 *6 *4\$" show &&
	streams groups --json "$K/one" >none 2>err &&
	test_line_count = 0 none &&
	test_grep "cannot list consumer groups" err
'

test_expect_success 'ls --json and show: counts, seqs and record times; the retention the mock cannot tell is null, with a warning' '
	date +%s >t0 &&
	printf "a\nb\nc\n" | flux "$K/timed" &&
	date +%s >t1 &&
	streams ls --json "$K" >ls 2>err &&
	test_grep "does not support DescribeConfigs" err &&
	"$PYTHON" - ls "$(cat t0)" "$(cat t1)" <<-\EOF &&
	import datetime, json, sys
	t0, t1 = int(sys.argv[2]), int(sys.argv[3])
	rows = {r["name"]: r for r in map(json.loads, open(sys.argv[1]))}
	one, timed = rows["one"], rows["timed"]
	assert (one["shards"], one["records"], one["first_seq"], one["last_seq"]) == (1, 10, 0, 9), one
	assert timed["records"] == 3 and timed["last_seq"] - timed["first_seq"] <= 2, timed
	assert one["retention"] == {"age_s": None, "bytes": None}, one
	def secs(ts):
	    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
	        tzinfo=datetime.timezone.utc).timestamp()
	assert t0 - 1 <= secs(timed["first_ts"]) <= secs(timed["last_ts"]) <= t1 + 1, timed
	assert secs(one["first_ts"]) <= secs(one["last_ts"]) <= t0 + 1, one
	EOF
	streams show "$K/one" >show 2>err &&
	grep -q "^stream one: 1 shard, 10 records, retention ?\$" show &&
	grep -q "^0  *0  *9  *20[0-9-]*T[0-9:.]*Z  *20[0-9-]*T[0-9:.]*Z  *[0-9]*[smhd]  *-\$" show &&
	test_grep "does not support DescribeConfigs" err
'

test_expect_success 'bad input: no such group 66, no such topic 66, bad --to 64' '
	test_expect_code 66 streams reset --to 0 nosuch "$K/one" 2>err &&
	test_grep "has no committed offsets" err &&
	test_expect_code 66 streams reset --to 0 g "$K/nope" 2>err &&
	test_grep "does not exist" err &&
	test_expect_code 66 streams show "$K/nope" 2>err &&
	test_grep "does not exist" err &&
	test_expect_code 64 streams reset --to sideways g "$K/one" 2>err &&
	test_grep -- "--to" err
'

test_expect_success 'what the mock lacks fails loudly: create, rm time out; config, trim are refused' '
	test_expect_code 75 streams create --shards 2 "$K/new?socket.timeout.ms=1000" 2>err &&
	test_grep "no answer to CreateTopics" err &&
	test_expect_code 75 streams rm --yes "$K/one?socket.timeout.ms=1000" 2>err &&
	test_grep "no answer to DeleteTopics" err &&
	test_expect_code 64 streams config --retention 1d "$K/one" 2>err &&
	test_grep "does not support DescribeConfigs" err &&
	# librdkafka 2.0.2 itself leaks 176 bytes when a broker refuses
	# DeleteRecords (a 20-line program that frees everything shows it), so
	# LeakSanitizer is off for this one command under --asan.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		test_expect_code 64 streams trim --keep 2 "$K/one" 2>err &&
	test_grep "does not support DeleteRecords" err &&
	tap "$K/one" --from beginning --exit | wc -l >n && echo 10 >want && test_cmp want n
'

test_done
