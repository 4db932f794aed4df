#!/usr/bin/env bash
# relay-ws auth: JWT HS256 and RS256 through ?token=, Authorization: Bearer
# or a first auth message; each refusal (expired, not yet valid, wrong
# signature, alg none, a topic the claim does not list, no token) closes
# with its documented code and reason. Also --allow-origin and
# --max-message.
# shellcheck disable=SC2016 # test bodies are single-quoted on purpose
. "$(dirname "$0")/lib.sh"
test_require_bin relay-ws flux
test_require_cmd openssl
. "$SLUICE_ROOT/tests/cli/relay-ws-lib.sh"

echo '{"n":1}' | flux file:d/news
echo '{"o":1}' | flux file:d/other
SUB='send {"action":"subscribe","topics":["news"]}'
ACK='{"type":"subscribed","topics":["news"]}'

test_expect_success 'setup: keys and a relay that needs a token' '
	echo "s3cret-for-tests" >secret &&
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out priv.pem 2>/dev/null &&
	openssl pkey -in priv.pem -pubout -out pub.pem &&
	start_relay --jwt-secret-file secret --jwt-public-key pub.pem --topics-claim topics \
		--allow-origin http://good.example --max-message 1K file:d/news,other
'

test_expect_success 'HS256 in ?token=: subscribed' '
	tok=$(mint HS256 "{\"sub\":\"a\",\"exp\":\"+300\",\"topics\":[\"news\"]}") &&
	client_at "$RELAY_URL?token=$tok" "$SUB" "frames 1" >out &&
	echo "$ACK" >expect && test_cmp expect out
'

test_expect_success 'HS256 in Authorization: Bearer: subscribed' '
	tok=$(mint HS256 "{\"topics\":\"news\"}") &&
	client --header "Authorization: Bearer $tok" "$SUB" "frames 1" >out &&
	echo "$ACK" >expect && test_cmp expect out
'

test_expect_success 'RS256 as the first message: authenticated, then subscribed' '
	tok=$(mint RS256 "{\"exp\":\"+300\",\"nbf\":\"-10\",\"topics\":[\"other\",\"news\"]}") &&
	client "send {\"action\":\"auth\",\"token\":\"$tok\"}" "frames 1" "$SUB" "frames 1" >out &&
	printf "%s\n" "{\"type\":\"authenticated\"}" "$ACK" >expect && test_cmp expect out
'

# refused EXPECTED_CLOSE URL_OR_HEADER_ARGS...: the client is closed so.
refused() {
	want=$1 && shift &&
	client_at "$@" "$SUB" "closed" >out
	tail -1 out >last && echo "$want" >expect && test_cmp expect last
}

test_expect_success 'expired: 4408' '
	tok=$(mint HS256 "{\"exp\":\"-60\",\"topics\":[\"news\"]}") &&
	refused "close 4408 token expired" "$RELAY_URL?token=$tok"
'

test_expect_success 'not valid yet: 4409' '
	tok=$(mint HS256 "{\"nbf\":\"+600\",\"topics\":[\"news\"]}") &&
	refused "close 4409 token not valid yet" "$RELAY_URL?token=$tok"
'

test_expect_success 'wrong signature (HS256 and RS256): 4402' '
	tok=$(mint HS256 "{\"topics\":[\"news\"]}" --tamper) &&
	refused "close 4402 token signature invalid" "$RELAY_URL?token=$tok" &&
	echo "another-secret" >secret2 &&
	tok=$("$PYTHON" "$SLUICE_ROOT/tests/cli/jwt-mint.py" HS256 "{}" --secret-file secret2) &&
	refused "close 4402 token signature invalid" "$RELAY_URL?token=$tok" &&
	tok=$(mint RS256 "{\"topics\":[\"news\"]}" --tamper) &&
	refused "close 4402 token signature invalid" "$RELAY_URL?token=$tok"
'

test_expect_success 'alg none: 4405' '
	tok=$(mint none "{\"topics\":[\"news\"]}") &&
	refused "close 4405 token alg '"'"'none'"'"' not accepted" "$RELAY_URL?token=$tok"
'

test_expect_success 'malformed: 4400' '
	refused "close 4400 token malformed: expected three dot-separated parts" "$RELAY_URL?token=abc"
'

test_expect_success 'a topic the claim does not list: 4403' '
	tok=$(mint HS256 "{\"topics\":[\"other\"]}") &&
	refused "close 4403 topic '"'"'news'"'"' not permitted by the token" "$RELAY_URL?token=$tok"
'

test_expect_success 'no token and a first message that is not auth: 4401' '
	client "$SUB" "closed" >out &&
	tail -1 out >last &&
	echo "close 4401 token required: send {\"action\":\"auth\",\"token\":...} first" >expect &&
	test_cmp expect last
'

test_expect_success 'every refusal is counted in /metrics' '
	test "$(metric relay_ws_auth_failures_total)" = 9
'

test_expect_success 'another Origin is refused before the handshake' '
	tok=$(mint HS256 "{\"topics\":[\"news\"]}") &&
	test_expect_code 4 client_at "$RELAY_URL?token=$tok" --origin http://evil.example "$SUB" >out &&
	grep "^refused" out &&
	client_at "$RELAY_URL?token=$tok" --origin http://good.example "$SUB" "frames 1" >out &&
	echo "$ACK" >expect && test_cmp expect out
'

test_expect_success 'a message over --max-message: 1009' '
	tok=$(mint HS256 "{\"topics\":[\"news\"]}") &&
	big=$(printf "%01100d" 0) &&
	client_at "$RELAY_URL?token=$tok" "send {\"action\":\"subscribe\",\"topics\":[\"$big\"]}" "closed" >out &&
	echo "close 1009 message larger than 1024 bytes" >expect && test_cmp expect out
'

test_expect_success 'a bad key file: exit 78; a missing one: exit 66' '
	echo "not a key" >bad.pem &&
	test_expect_code 78 relay-ws --jwt-public-key bad.pem file:d/news 2>err &&
	test_grep "no RSA public key" err &&
	test_expect_code 66 relay-ws --jwt-secret-file nowhere file:d/news 2>err &&
	test_grep "jwt-secret-file .*: cannot open .*: no such file" err
'

test_done
