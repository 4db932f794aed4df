#!/usr/bin/env bash
# cdc-pg | trigger end to end: a filter on Debezium change events fires
# exactly for the updates that changed the price.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/pg.sh"
test_require_bin cdc-pg trigger
pg_start

# slot_active: cdc-pg holds its replication slot (changes from now on stream).
slot_active() {
  test "$(psql_c "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 't1' AND active")" = 1
}

test_expect_success 'cdc-pg | trigger --when changed(after.price) fires exactly for price updates' '
	psql_c "CREATE TABLE products (id int PRIMARY KEY, name text, price int)" &&
	psql_c "ALTER TABLE products REPLICA IDENTITY FULL" &&
	{ sh -c "echo \$\$ >cdc.pid; exec cdc-pg --create-publication --slot t1 --publication tp1 \
		--tables public.products \"$PGURL\" 2>cdc.err" |
		trigger -w "op == \"u\" && changed(after.price)" \
			-x "echo \"\$SLUICE_OP \$TRIGGER_EVENT_ID\" >>fired.env; cat >>fired" - 2>trigger.err & } &&
	trigger_pid=$! &&
	test_track_pid $trigger_pid &&
	wait_for 30 "test -s cdc.pid" &&
	test_track_pid $(cat cdc.pid) &&
	wait_for 30 slot_active &&
	psql_c "INSERT INTO products VALUES (1, '\''lamp'\'', 10), (2, '\''desk'\'', 20), (3, '\''sofa'\'', 30)" &&
	psql_c "UPDATE products SET price = 11 WHERE id = 1" &&
	psql_c "UPDATE products SET name = '\''big desk'\'' WHERE id = 2" &&
	psql_c "UPDATE products SET price = 30 WHERE id = 3" &&
	psql_c "UPDATE products SET price = 31, name = '\''couch'\'' WHERE id = 3" &&
	psql_c "DELETE FROM products WHERE id = 2" &&
	psql_c "INSERT INTO products VALUES (4, '\''end'\'', 1)" &&
	psql_c "UPDATE products SET price = 2 WHERE id = 4" &&
	wait_for 30 "test -s fired && test \$(wc -l <fired) -ge 3" &&
	test_stop $(cat cdc.pid) &&
	wait $trigger_pid &&
	sed "s/.*\"after\":{\"id\":\([0-9]*\),\"name\":\"\([^\"]*\)\",\"price\":\([0-9]*\)}.*/\1 \2 \3/" fired >got &&
	printf "1 lamp 11\n3 couch 31\n4 end 2\n" >expect &&
	test_cmp expect got &&
	printf "u stdin/%s\n" 4 7 10 >expect.env &&
	test_cmp expect.env fired.env
'

test_done
