#!/usr/bin/env bash
# Avro: flux --encode avro and tap --decode avro, with a schema registry (a
# stand-in speaking its REST API, started here) or a plain schema file.
. "$(dirname "$0")/lib.sh"
. "$SLUICE_ROOT/tests/cli/kafka-lib.sh"
test_require_bin flux tap kafka_mock
test_require_cmd python3

cat >order.avsc <<'EOF'
{"type":"record","name":"Order","namespace":"shop","fields":[
 {"name":"id","type":"long"},
 {"name":"item","type":"string"},
 {"name":"price","type":["null","double"]},
 {"name":"qty","type":"int"},
 {"name":"ok","type":"boolean"},
 {"name":"tags","type":{"type":"array","items":"string"}},
 {"name":"status","type":{"type":"enum","name":"Status","symbols":["NEW","PAID"]}},
 {"name":"raw","type":"bytes"},
 {"name":"attrs","type":{"type":"map","values":"long"}},
 {"name":"ratio","type":"float"},
 {"name":"sum","type":{"type":"fixed","name":"Sum","size":2}},
 {"name":"next","type":["null","Order"]}
]}
EOF
echo '"string"' >key.avsc

# Input in Avro JSON encoding, as tap --decode avro prints it: unicode,
# escapes, every byte value in bytes, unions spelled out, a nested record.
cat >orders.json <<'EOF'
{"id":1,"item":"café ☕ \"q\"","price":{"double":9.5},"qty":-3,"ok":true,"tags":["a","b"],"status":"PAID","raw":"\u0000\u0001\u007f\u0080\u00ff","attrs":{"x":9007199254740993},"ratio":0.1,"sum":"\u00ab\u0000","next":null}
{"id":-9223372036854775808,"item":"","price":null,"qty":2147483647,"ok":false,"tags":[],"status":"NEW","raw":"","attrs":{},"ratio":-1.5e-10,"sum":"ab","next":{"shop.Order":{"id":2,"item":"x","price":null,"qty":0,"ok":true,"tags":["c"],"status":"NEW","raw":"z","attrs":{"a":1,"b":-2},"ratio":3,"sum":"cd","next":null}}}
{"id":3,"item":"NaN here","price":{"double":"NaN"},"qty":1,"ok":true,"tags":[],"status":"NEW","raw":"","attrs":{},"ratio":"-Infinity","sum":"ef","next":null}
EOF

python3 "$SLUICE_ROOT/tests/cli/schema-registry.py" reg.port --log reg.log &
test_track_pid $!
python3 "$SLUICE_ROOT/tests/cli/schema-registry.py" auth.port --auth "ann:s3cr%t" &
test_track_pid $!
wait_for "test -s reg.port && test -s auth.port"
REG=http://127.0.0.1:$(cat reg.port)
AUTH_PORT=$(cat auth.port)

test_expect_success 'registry: encode then decode gives back the input JSON' '
	flux --encode avro --schema-registry $REG --subject orders-value --schema order.avsc \
		orders.json file:log/orders &&
	tap --exit --decode avro --schema-registry $REG file:log/orders >out &&
	test_cmp orders.json out
'

test_expect_success 'registry: the same over Kafka (the README example), keyed' '
	start_kafka_mock kafka &&
	flux --encode avro --schema-registry $REG --subject orders-value --schema order.avsc \
		--key-field item orders.json "kafka://$KAFKA/orders" &&
	tap --exit --decode avro --schema-registry $REG -F "%k %s\n" "kafka://$KAFKA/orders" |
		sort >out &&
	python3 -c "
import json
for l in open(\"orders.json\"):
    print(json.loads(l)[\"item\"], l, end=\"\")
" | sort >expect &&
	test_cmp expect out
'

test_expect_success 'registry: records carry the framing (magic 0, schema id 1, big endian)' '
	tap --exit -c 1 -F "%s" file:log/orders | head -c 5 | od -An -tx1 | tr -d " \n" >head &&
	echo 0000000001 >expect &&
	echo >>head &&
	test_cmp expect head
'

test_expect_success 'registry: each schema id is fetched once, however many records' '
	: >reg.log &&
	for i in 1 2 3 4 5; do cat orders.json; done | flux --encode avro \
		--schema-registry $REG --subject orders-value --schema order.avsc file:log/many &&
	tap --exit --decode avro --schema-registry $REG file:log/many >out &&
	test_line_count = 15 out &&
	test_grep -c "GET /schemas/ids/1" reg.log >n &&
	echo 1 >expect &&
	test_cmp expect n
'

test_expect_success 'registry: without --schema flux encodes with the subject latest schema' '
	head -1 orders.json | flux --encode avro --schema-registry $REG --subject orders-value \
		file:log/latest &&
	tap --exit --decode avro --schema-registry $REG file:log/latest >out &&
	head -1 orders.json >expect &&
	test_cmp expect out &&
	echo "{}" >empty.json &&
	test_expect_code 66 flux --encode avro --schema-registry $REG --subject nobody \
		empty.json file:log/none 2>err &&
	test_grep "subject .nobody. has no schema" err
'

test_expect_success 'plain --schema: bare datums, no registry' '
	flux --encode avro --schema order.avsc orders.json file:log/plain &&
	tap --exit -c 1 -F "%S" file:log/plain >len &&
	test_grep -qx "[0-9]*" len &&
	tap --exit --decode avro --schema order.avsc file:log/plain >out &&
	test_cmp orders.json out
'

test_expect_success 'bare union values and a missing nullable field are accepted' '
	echo "{\"id\":7,\"item\":\"b\",\"price\":2,\"qty\":1,\"ok\":true,\"tags\":[],\"status\":\"NEW\",\"raw\":\"\",\"attrs\":{},\"ratio\":1,\"sum\":\"gh\"}" |
		flux --encode avro --schema order.avsc file:log/bare &&
	tap --exit --decode avro --schema order.avsc file:log/bare >out &&
	echo "{\"id\":7,\"item\":\"b\",\"price\":{\"double\":2},\"qty\":1,\"ok\":true,\"tags\":[],\"status\":\"NEW\",\"raw\":\"\",\"attrs\":{},\"ratio\":1,\"sum\":\"gh\",\"next\":null}" >expect &&
	test_cmp expect out
'

test_expect_success 'a record that does not fit the schema: line and field named, the others go' '
	{ head -1 orders.json &&
	  echo "{\"id\":\"seven\"}" &&
	  echo "{\"id\":1,\"item\":\"x\",\"price\":null,\"qty\":4294967296,\"ok\":true,\"tags\":[],\"status\":\"NEW\",\"raw\":\"\",\"attrs\":{},\"ratio\":1,\"sum\":\"gh\"}" &&
	  echo "{\"id\":1,\"item\":\"x\",\"price\":null,\"qty\":1,\"ok\":true,\"tags\":[1],\"status\":\"NEW\",\"raw\":\"\",\"attrs\":{},\"ratio\":1,\"sum\":\"gh\"}" &&
	  echo "{\"id\":1,\"item\":\"x\",\"price\":null,\"qty\":1,\"ok\":true,\"tags\":[],\"status\":\"GONE\",\"raw\":\"\",\"attrs\":{},\"ratio\":1,\"sum\":\"gh\"}" &&
	  tail -1 orders.json; } >mixed.json &&
	test_expect_code 65 flux --encode avro --schema order.avsc --on-error skip mixed.json \
		file:log/mixed 2>err &&
	test_grep "line 2: does not fit the Avro schema: field .id.: expected a long, got a string" err &&
	test_grep "line 3: .*field .qty.: a number that is no int" err &&
	test_grep "line 4: .*field .tags\[0\].: expected a string, got a number" err &&
	test_grep "line 5: .*GONE. is not a symbol of enum shop.Status" err &&
	tap --exit --decode avro --schema order.avsc file:log/mixed >out &&
	{ head -1 orders.json && tail -1 orders.json; } >expect &&
	test_cmp expect out &&
	flux --encode avro --schema order.avsc --on-error dlq:file:log/mixed-dlq mixed.json \
		file:log/mixed2 2>/dev/null &&
	tap --exit -F "%h %s\n" file:log/mixed-dlq >dlq &&
	test_line_count = 4 dlq &&
	test_grep -q "sluice.line=2" dlq
'

test_expect_success 'tap: an unknown schema id or bytes that do not decode follow --on-error' '
	tap --exit -F envelope file:log/orders >env &&
	python3 -c "
import base64, json, sys
lines = open(\"env\").read().splitlines()
good = [json.loads(l) for l in lines]
out = []
bad_id = dict(good[0]); bad_id[\"payload_b64\"] = base64.b64encode(b\"\\x00\\x00\\x00\\x00\\x63\\x02\").decode()
bad_id.pop(\"payload\", None)
short = dict(good[0]); short[\"payload_b64\"] = base64.b64encode(b\"\\x00\\x00\\x00\\x00\\x01\\x02\").decode()
short.pop(\"payload\", None)
nomagic = dict(good[0]); nomagic.pop(\"payload_b64\", None); nomagic[\"payload\"] = \"plain text\"
for e in (good[0], bad_id, good[1], short, nomagic, good[2]):
    print(json.dumps(e))
" >mixed.env &&
	flux --envelope mixed.env file:log/tapbad &&
	test_expect_code 65 tap --exit --decode avro --schema-registry $REG file:log/tapbad >out 2>err &&
	head -1 orders.json >expect &&
	test_cmp expect out &&
	test_grep "tapbad/0/1: value: schema id 99 is not known to the schema registry" err &&
	tap --exit --decode avro --schema-registry $REG --on-error skip --stats \
		file:log/tapbad >out 2>err &&
	test_cmp orders.json out &&
	test_grep "tapbad/0/3: value (schema id 1): at byte 1, field .item.: cut short" err &&
	test_grep "tapbad/0/4: value: not in the schema registry framing: the first byte is 112" err &&
	test_grep "3 corrupt records skipped" err
'

test_expect_success 'tap --key-decode avro decodes framed keys' '
	flux --encode avro --schema-registry $REG --subject k-key --schema key.avsc \
		file:log/keyreg </dev/null &&
	id=$(python3 -c "import json,urllib.request; print(json.load(urllib.request.urlopen(\"$REG/subjects/k-key/versions/latest\"))[\"id\"])") &&
	key=$(python3 -c "import base64; print(base64.b64encode(bytes([0,0,0,0,$id,4])+b\"k1\").decode())") &&
	echo "{\"key_b64\":\"$key\",\"payload\":\"v\"}" | flux --envelope file:log/keyed &&
	tap --exit --key-decode avro --schema-registry $REG -F "%k=%s\n" file:log/keyed >out &&
	echo "\"k1\"=v" >expect &&
	test_cmp expect out
'

test_expect_success 'credentials: from the URL or the environment, never printed' '
	echo "\"hi\"" | flux --encode avro --schema-registry "http://ann:s3cr%25t@127.0.0.1:$AUTH_PORT" \
		--subject a-value --schema key.avsc file:log/auth1 &&
	echo "\"ho\"" | SLUICE_REGISTRY_USER=ann SLUICE_REGISTRY_PASSWORD=s3cr%t flux --encode avro \
		--schema-registry "http://127.0.0.1:$AUTH_PORT" --subject a-value --schema key.avsc \
		file:log/auth2 &&
	SLUICE_REGISTRY_USER=ann SLUICE_REGISTRY_PASSWORD=s3cr%t tap --exit --decode avro \
		--schema-registry "http://127.0.0.1:$AUTH_PORT" file:log/auth1,auth2 | sort >out &&
	printf "\"hi\"\n\"ho\"\n" >expect &&
	test_cmp expect out &&
	test_expect_code 77 flux --encode avro --schema-registry "http://ann:wrongpass@127.0.0.1:$AUTH_PORT" \
		--subject a-value --schema key.avsc empty.json file:log/auth3 2>err &&
	test_grep "HTTP 401" err &&
	! grep -q wrongpass err &&
	test_expect_code 77 tap --exit --decode avro --schema-registry "http://ann:wrongpass@127.0.0.1:$AUTH_PORT" \
		file:log/orders 2>err &&
	! grep -q wrongpass err &&
	test_grep "127.0.0.1:$AUTH_PORT" err
'

test_expect_success 'an unreachable registry exits 69; bad flags 64; a bad schema file 78' '
	port=$(free_port) &&
	test_expect_code 69 tap --exit --decode avro --schema-registry http://127.0.0.1:$port \
		file:log/orders 2>err &&
	test_grep "cannot reach the schema registry" err &&
	test_expect_code 64 tap --exit --decode avro file:log/orders 2>err &&
	test_grep "needs --schema-registry URL" err &&
	test_expect_code 64 tap --exit --schema-registry $REG file:log/orders 2>/dev/null &&
	test_expect_code 64 tap --exit --decode json --schema order.avsc file:log/orders 2>/dev/null &&
	test_expect_code 64 flux --encode avro orders.json file:log/x 2>/dev/null &&
	test_expect_code 64 flux --encode avro --schema-registry $REG orders.json file:log/x 2>/dev/null &&
	test_expect_code 64 flux --schema order.avsc orders.json file:log/x 2>/dev/null &&
	test_expect_code 64 tap --exit --decode avro --schema-registry ftp://x file:log/orders 2>/dev/null &&
	echo "{\"type\":\"recordz\"}" >bad.avsc &&
	test_expect_code 78 flux --encode avro --schema bad.avsc orders.json file:log/x 2>err &&
	test_grep "bad.avsc: not an Avro schema" err &&
	test_path_is_missing log/x
'

test_done
