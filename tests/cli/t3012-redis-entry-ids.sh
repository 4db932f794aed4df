#!/usr/bin/env bash
# Issue 9, point 5: Redis entry IDs were hidden. %o printed a packed 64-bit
# number nobody knows, and `--from 1795747979255-1` failed with "not a
# sequence number". Now %i prints the entry ID, the envelope carries it as
# "id" (flux --envelope ignores it), and --from takes it, inclusive; an ID
# given for a stream of another backend is a clear usage error.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/redis-lib.sh"
test_require_bin flux tap
test_require_cmd redis-server redis-cli

test_expect_success 'redis-server starts' '
	start_redis srv &&
	U=redis://127.0.0.1:$REDIS_PORT &&
	gen_ndjson 10 >in &&
	flux - $U/s <in &&
	redis-cli -p $REDIS_PORT xrange s - + | grep -E "^[0-9]+-[0-9]+$" >ids &&
	test_line_count = 10 ids
'

test_expect_success '%i prints the entry ids redis-cli shows' '
	tap --exit -F "%i\n" $U/s >out &&
	test_cmp ids out &&
	tap --exit -F "%i %s\n" $U/s >out &&
	paste -d " " ids in >expect &&
	test_cmp expect out
'

test_expect_success 'the envelope of a redis entry carries its "id", after "seq"' '
	tap --exit -F envelope $U/s >env &&
	sed -n "s/.*\"seq\":[0-9]*,\"id\":\"\([0-9-]*\)\",\"ts\".*/\1/p" env >out &&
	test_cmp ids out
'

test_expect_success 'other backends have no "id"; %i is their seq' '
	flux file:log/f <in &&
	tap --exit -F envelope file:log/f >fenv &&
	test_grep -q "\"seq\":[0-9]*,\"ts\"" fenv &&
	! grep -q "\"seq\":[0-9]*,\"id\"" fenv &&
	tap --exit -F "%i=%o\n" file:log/f >out &&
	awk -F= "\$1 != \$2 { bad = 1 } END { exit bad }" out
'

test_expect_success 'flux --envelope takes envelopes with "id" and ignores it' '
	flux --envelope file:log/copy <env &&
	tap --exit file:log/copy >out &&
	test_cmp in out &&
	flux --envelope $U/copy <env &&
	tap --exit -F "%i\n" $U/copy >newids &&
	! grep -qxFf ids newids
'

test_expect_success 'tap --from ID starts at that entry, inclusive' '
	id7=$(sed -n 7p ids) &&
	tap --exit --from "$id7" $U/s >out &&
	tail -n 4 in >expect &&
	test_cmp expect out &&
	# the same as the seq of that entry
	seq7=$(tap --exit -F "%o\n" $U/s | sed -n 7p) &&
	tap --exit --from "$seq7" $U/s >out2 &&
	test_cmp expect out2
'

test_expect_success 'tap --group --from ID creates the group at that entry' '
	id3=$(sed -n 3p ids) &&
	tap --group fromid --from "$id3" --exit $U/s >out &&
	tail -n 8 in >expect &&
	test_cmp expect out
'

test_expect_success 'an id that is not there yet: tap waits for it' '
	last=$(tail -n 1 ids) &&
	next=${last%-*}-$((${last#*-} + 1)) &&
	{ tap --from "$next" --count 1 $U/s >later & } &&
	pid=$! &&
	wait_blocked 1 &&
	echo later | flux - $U/s &&
	wait $pid &&
	echo later >expect &&
	test_cmp expect later
'

test_expect_success 'an id for a stream of another backend: exit 64, saying why' '
	test_expect_code 64 tap --exit --from 1795747979255-1 file:log/f >out 2>err &&
	test_cmp /dev/null out &&
	test_grep "start position .1795747979255-1. is a redis entry id" err &&
	test_grep "is not a redis stream" err
'

test_expect_success 'a malformed id: exit 64 naming --from and the forms' '
	test_expect_code 64 tap --exit --from 1795747979255-x $U/s 2>err &&
	test_grep -e "--from: invalid start position .1795747979255-x.: not a redis entry id (MS-N)" err &&
	! grep -q "not a sequence number" err
'

test_done
