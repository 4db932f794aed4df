#!/usr/bin/env bash
# relay-ws with --cert/--key: wss:// and https:// with a self-signed
# certificate (openssl, made here) that the Python clients trust through
# SSL_CERT_FILE; a plain connection gets nothing; bad or missing files and a
# lone --cert or --key are refused before listening.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux
test_require_cmd openssl
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

gen_ndjson 3 | flux file:d/news
openssl req -x509 -newkey rsa:2048 -nodes -keyout key.pem -out cert.pem -days 2 \
	-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other-key.pem -out other-cert.pem -days 2 \
	-subj /CN=other 2>/dev/null

test_expect_success 'wss and https with --cert and --key: subscribe and receive' '
	launch_relay --cert cert.pem --key key.pem file:d/news &&
	RELAY_URL=wss://127.0.0.1:$RELAY_PORT/ &&
	RELAY_HTTP=https://127.0.0.1:$RELAY_PORT &&
	export SSL_CERT_FILE=$PWD/cert.pem &&
	wait_for "http_get /healthz >h 2>/dev/null" &&
	echo ok >expect && test_cmp expect h &&
	test_grep "listening on https://127.0.0.1:$RELAY_PORT" relay.err &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\"}" \
		"data 3" >out &&
	values out >got && gen_ndjson 3 >want && test_cmp want got
'

test_expect_success 'a plain ws:// or http:// client gets no answer, and the relay serves on' '
	for i in 1 2 3; do
		! "$PYTHON" -c "import sys, urllib.request
urllib.request.urlopen(sys.argv[1], timeout=5)" "http://127.0.0.1:$RELAY_PORT/healthz" 2>/dev/null &&
		! client_at "ws://127.0.0.1:$RELAY_PORT/" "send {\"action\":\"subscribe\",\"topics\":[\"news\"]}" \
			"frames 1" >plain 2>&1 || return 1
	done &&
	kill -0 "$RELAY_PID" &&
	client "send {\"action\":\"subscribe\",\"topics\":[\"news\"],\"from\":\"beginning\"}" \
		"data 3" >again &&
	values again >got && test_cmp want got &&
	test_stop "$RELAY_PID"
'

test_expect_success 'a lone --cert or --key: 64; a missing file: 66; a refused PEM: 78, naming it' '
	test_expect_code 64 relay-ws --cert cert.pem file:d/news 2>err &&
	test_grep "cert needs --key" err &&
	test_expect_code 64 relay-ws --key key.pem file:d/news 2>err &&
	test_grep "key needs --cert" err &&
	test_expect_code 66 relay-ws --cert nope.pem --key key.pem file:d/news 2>err &&
	test_grep "cert .nope.pem.: cannot open .nope.pem.: no such file" err &&
	test_expect_code 78 relay-ws --listen "127.0.0.1:$(free_port)" --cert key.pem --key key.pem file:d/news 2>err &&
	test_grep "cert .key.pem.: not a PEM certificate" err &&
	test_expect_code 78 relay-ws --listen "127.0.0.1:$(free_port)" --cert cert.pem --key other-key.pem file:d/news 2>err &&
	test_grep "key .other-key.pem.: not the PEM private key of --cert .cert.pem." err
'

test_done
