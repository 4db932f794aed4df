#!/usr/bin/env bash
# Message formats: CSV/TSV input to JSON records.
. "$(dirname "$0")/lib.sh"
test_require_bin flux tap

test_expect_success 'csv with a header: each row is a JSON object; BOM, CRLF, quotes, newlines' '
	printf "\357\273\277id,name,note\r\n1,\"Smith, J\",\"say \"\"hi\"\"\"\r\n2,\"two\nlines\",\303\274n\303\257\r\n\r\n3,,\r\n" >in.csv &&
	flux --input csv --csv-header file:log/csv <in.csv &&
	tap file:log/csv --exit >out &&
	cat >expect <<-\EOF &&
	{"id":"1","name":"Smith, J","note":"say \"hi\""}
	{"id":"2","name":"two\nlines","note":"ünï"}
	{"id":"3","name":"","note":""}
	EOF
	test_cmp expect out
'

test_expect_success 'csv without a header: rows are JSON arrays; --infer types numbers and booleans' '
	printf "1,x,true\n-2.5e3,007,\n" | flux --input csv file:log/arr &&
	printf "1,x,true\n-2.5e3,007,\n" | flux --input csv --infer file:log/inf &&
	tap file:log/arr --exit >out &&
	tap file:log/inf --exit >>out &&
	cat >expect <<-\EOF &&
	["1","x","true"]
	["-2.5e3","007",""]
	[1,"x",true]
	[-2.5e3,"007",""]
	EOF
	test_cmp expect out
'

test_expect_success 'tsv has no quoting; --csv-delimiter picks the separator; --key-field applies' '
	printf "k\tv\na\t\"q\"\n" | flux --input tsv --csv-header --key-field k file:log/tsv &&
	printf "k;v\nb;\"x;y\"\n" | flux --input csv --csv-delimiter ";" --csv-header file:log/semi &&
	tap file:log/tsv --exit -F "%k %s\n" >out &&
	tap file:log/semi --exit >>out &&
	cat >expect <<-\EOF &&
	a {"k":"a","v":"\"q\""}
	{"k":"b","v":"x;y"}
	EOF
	test_cmp expect out
'

test_expect_success 'bad rows are reported by the line they start on; good rows arrive; exit 65' '
	printf "a,b\n1,2\n3\n\"x\ny\"z,4\n5,\"6\n7\",8\n9,\"10\"\nbad\"q,1\n11,12\n" >bad.csv &&
	test_expect_code 65 flux --input csv --csv-header file:log/bad <bad.csv 2>err &&
	test_grep "stdin line 3: the row has 1 fields, the header 2 (skipped)" err &&
	test_grep "stdin line 4: field 1: text after its closing quote" err &&
	test_grep "stdin line 6: the row has 3 fields, the header 2" err &&
	test_grep "stdin line 9: field 1: a quote inside an unquoted field" err &&
	test_grep "flux: 4 bad records were skipped" err &&
	tap file:log/bad --exit >out &&
	cat >expect <<-\EOF &&
	{"a":"1","b":"2"}
	{"a":"9","b":"10"}
	{"a":"11","b":"12"}
	EOF
	test_cmp expect out
'

test_expect_success '--on-error fail stops at the first bad row; dlq keeps the raw row' '
	test_expect_code 65 flux --input csv --csv-header --on-error fail file:log/badf <bad.csv 2>err &&
	test_grep "stdin line 3" err &&
	tap file:log/badf --exit >out &&
	printf "{\"a\":\"1\",\"b\":\"2\"}\n" >expect &&
	test_cmp expect out &&
	flux --input csv --csv-header --on-error dlq:file:log/dead file:log/badd <bad.csv &&
	tap file:log/dead --exit -F "%h|%s\n" >dead &&
	test_grep "sluice.line=3,sluice.source=stdin|3$" dead &&
	test_grep "sluice.line=9,.*|bad\"q,1$" dead
'

test_expect_success 'a bad header ends the run with exit 65 and names the column' '
	printf "a,b,a\n1,2,3\n" >dup.csv &&
	test_expect_code 65 flux --input csv --csv-header file:log/dup <dup.csv 2>err &&
	test_grep "stdin line 1: the header names column .a. twice" err &&
	printf "a,\"b\n" | test_expect_code 65 flux --input csv --csv-header file:log/dup2 2>err &&
	test_grep "stdin line 1: the header row: field 2: the quote that opens it is never closed" err
'

test_expect_success 'csv flags: usage errors (exit 64) name the flag' '
	test_expect_code 64 flux --csv-header file:log/u </dev/null 2>err &&
	test_grep -- "--csv-header needs --input csv|tsv" err &&
	test_expect_code 64 flux --input csv --envelope file:log/u </dev/null 2>err &&
	test_grep -- "--envelope does not apply to --input csv" err &&
	test_expect_code 64 flux --input csv --csv-delimiter ab file:log/u </dev/null 2>err &&
	test_grep -- "--csv-delimiter .ab.: expected one byte" err &&
	test_expect_code 64 flux --input xml file:log/u </dev/null 2>err &&
	test_grep -- "--input" err
'

test_expect_success 'csv round trip: flux --input csv -> file: -> tap --format csv gives the rows back' '
	cat >rt.csv <<-\EOF &&
	id,name,note,city
	1,"Smith, J","say ""hi"", then
	leave",Zürich
	2,plain,,東京
	3,"""quoted""","a,b,c",tab	inside
	EOF
	flux --input csv --csv-header file:log/rt <rt.csv &&
	tap file:log/rt --exit --format csv --csv-header --fields id,name,note,city >out.csv &&
	test_cmp rt.csv out.csv &&
	tap file:log/rt --exit --format csv --fields city,id >out2 &&
	printf "Zürich,1\n東京,2\ntab\tinside,3\n" >expect2 &&
	test_cmp expect2 out2
'

test_expect_success 'tsv round trip: tabs, newlines and backslashes go as escapes' '
	printf "%s\n" "a	b" "x\\ty	line1\\nline2" "back\\\\slash	\\q" >rt.tsv &&
	flux --input tsv --csv-header file:log/rtt <rt.tsv &&
	tap file:log/rtt --exit >json &&
	cat >expect <<-\EOF &&
	{"a":"x\ty","b":"line1\nline2"}
	{"a":"back\\slash","b":"\\q"}
	EOF
	test_cmp expect json &&
	tap file:log/rtt --exit --format tsv --csv-header --fields a,b >out.tsv &&
	printf "%s\n" "a	b" "x\\ty	line1\\nline2" "back\\\\slash	\\\\q" >expect.tsv &&
	test_cmp expect.tsv out.tsv
'

test_expect_success 'tap --format csv: nested paths, non-strings as JSON, missing as empty' '
	printf "{\"id\":1,\"user\":{\"name\":\"ada\",\"tags\":[1,2]}}\nnot json\n{\"id\":null}\n" |
		flux file:log/nested &&
	tap file:log/nested --exit --format csv --fields id,user.name,user.tags >out &&
	printf "1,ada,\"[1,2]\"\n,,\n,,\n" >expect &&
	test_cmp expect out &&
	test_expect_code 64 tap file:log/nested --exit --format csv 2>err &&
	test_grep -- "--format csv needs --fields" err &&
	test_expect_code 64 tap file:log/nested --exit --fields a 2>err &&
	test_grep -- "--fields needs --format csv|tsv" err &&
	test_expect_code 64 tap file:log/nested --exit --format csv --fields "a,,b" 2>err &&
	test_grep -- "empty path at column 3" err
'

test_expect_success '--framing u32be|varint: any bytes round-trip; tap converts between them' '
	printf "\000\000\000\003a\nb\000\000\000\000\000\000\000\002\000\377" >in.u32 &&
	flux --framing u32be file:log/u32 <in.u32 &&
	tap file:log/u32 --exit --framing u32be >out.u32 &&
	test_cmp in.u32 out.u32 &&
	tap file:log/u32 --exit --framing varint >out.var &&
	printf "\003a\nb\000\002\000\377" >expect.var &&
	test_cmp expect.var out.var &&
	flux --framing varint file:log/var <out.var &&
	tap file:log/var --exit --framing u32be >out2.u32 &&
	test_cmp in.u32 out2.u32 &&
	tap file:log/var --exit -F "%S\n" >lens &&
	printf "3\n0\n2\n" >expect && test_cmp expect lens
'

test_expect_success '--framing: oversized and cut-short records follow --on-error, the others go' '
	{ printf "\000\000\000\002ok"; printf "\000\000\004\000"; head -c 1024 /dev/zero;
	  printf "\000\000\000\003end\000\000\000\011cut"; } >big.u32 &&
	test_expect_code 65 flux --framing u32be --max-record-bytes 1000 file:log/bigf <big.u32 2>err &&
	test_grep "stdin line 2: record longer than the limit of 1000 bytes" err &&
	test_grep "stdin line 4: cut short: 7 bytes (with its length prefix) before the end of the input (skipped)" err &&
	tap file:log/bigf --exit >out &&
	printf "ok\nend\n" >expect && test_cmp expect out &&
	flux --framing u32be --on-error dlq:file:log/bigf-dlq file:log/bigf2 <big.u32 2>err &&
	tap file:log/bigf-dlq --exit -F "%h|%s\n" >dlq &&
	test_grep -q "sluice.line=4,sluice.source=stdin|" dlq &&
	printf "\000\000\000\011cut" >cut.expect &&
	tap file:log/bigf-dlq --exit -c 1 -F "%s" >cut.got &&
	test_cmp cut.expect cut.got &&
	test_expect_code 65 flux --framing u32be --on-error fail file:log/bigf3 <big.u32 2>/dev/null &&
	test_expect_code 64 flux --framing u32be --null file:log/x </dev/null 2>err &&
	test_grep -- "--framing and --null cannot be used together" err &&
	test_expect_code 64 tap file:log/bigf --framing u16 2>err &&
	test_grep -- "--framing" err
'

# Wide, non-canonical encodings: uint64 1, str32 "a", map16 {"k":1},
# [1,2,3], float32 1.5, bin8 00 ff.
mp_wide='\317\0\0\0\0\0\0\0\001\333\0\0\0\001a\336\0\001\241k\001\223\001\002\003\312\077\300\0\0\304\002\0\377'

test_expect_success 'msgpack: values stored byte for byte with content-type, and back as a stream' '
	printf "$mp_wide" >in.mp &&
	flux --input msgpack -H src=test file:log/mp <in.mp &&
	tap file:log/mp --exit --format msgpack >out.mp &&
	test_cmp in.mp out.mp &&
	tap file:log/mp --exit -F "%h %S\n" >heads &&
	test_line_count = 6 heads &&
	printf "content-type=application/msgpack,src=test 9\n" >expect &&
	head -1 heads >first && test_cmp expect first
'

test_expect_success 'msgpack --to-json stores JSON and adds no header; tap encodes JSON as msgpack' '
	flux --input msgpack --to-json file:log/mpj <in.mp &&
	tap file:log/mpj --exit -F "[%h] %s\n" >out &&
	cat >expect <<-\EOF &&
	[] 1
	[] "a"
	[] {"k":1}
	[] [1,2,3]
	[] 1.5
	[] "AP8="
	EOF
	test_cmp expect out &&
	printf "{\"k\":1}\nnot json\n" | flux file:log/plain &&
	tap file:log/plain --exit --format msgpack >out.mp &&
	printf "\201\241k\001\250not json" >expect.mp &&
	test_cmp expect.mp out.mp
'

test_expect_success 'msgpack: a value cut short is a bad record; bytes that are no msgpack end the run' '
	head -c 12 in.mp >cut.mp &&
	test_expect_code 65 flux --input msgpack file:log/mpcut <cut.mp 2>err &&
	test_grep "stdin line 2: the value is cut short: 3 bytes before the end of the input (skipped)" err &&
	tap file:log/mpcut --exit -F "%S\n" >out &&
	printf "9\n" >expect && test_cmp expect out &&
	flux --input msgpack --on-error dlq:file:log/mpdead file:log/mpcut2 <cut.mp &&
	tap file:log/mpdead --exit -F "%h|%S\n" >dead &&
	test_grep "sluice.line=2,sluice.source=stdin|3$" dead &&
	printf "\001\301" | test_expect_code 65 flux --input msgpack file:log/mpbad 2>err &&
	test_grep "stdin value 2: not MessagePack" err
'

test_expect_success 'msgpack --to-json: a value with no JSON form is a bad record; --on-error applies' '
	printf "\001\324\001\000\002" >ext.mp &&
	test_expect_code 65 flux --input msgpack --to-json file:log/mpext <ext.mp 2>err &&
	test_grep "stdin line 2: ext type 1 has no JSON form (skipped)" err &&
	tap file:log/mpext --exit >out &&
	printf "1\n2\n" >expect && test_cmp expect out &&
	test_expect_code 64 flux --to-json file:log/u </dev/null 2>err &&
	test_grep -- "--to-json needs --input msgpack" err &&
	test_expect_code 64 flux --input msgpack --key-field id file:log/u </dev/null 2>err &&
	test_grep -- "--key-field with --input msgpack needs --to-json" err
'

test_done
