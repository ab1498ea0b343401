#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteer, the command-line tool, against a running quicsteerd in a
# namespace of its own: changes go through the agent and show up in its
# JSON output; stats count a packet run through the attached router; every
# error path has its message and exit code (unknown object 2, bad address
# 1, missing argument 2, unknown VIP 1, agent down 1); -batch stops at the
# first failing line and names it; prefixes resolve; the man page lists
# every command --help lists, and the completion's words are --help's.
#
# Usage: tests/netns/test-cli.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
TOP=$(cd "$(dirname "$0")/../.." && pwd)
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
CLI=$BUILD/quicsteer
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli-lib.sh"

PINS=/sys/fs/bpf/qs-cli

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF2
pin-dir $PINS
control-socket $DIR/control.sock
report-listen unix $DIR/reports.sock
heartbeat-timeout off
interface qscl0
vip web 198.18.0.100 443 unknown hash learn off
nexthop n dev qscl0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a
EOF2
}

test_changes()
{
	qs backend add c 198.18.1.12 id 3 vip web lladdr 02:00:00:00:00:0c max-ids 1000
	check "backend add" "$?" 0
	out=$(qs -j backend show)
	check "backend show -j: max_ids, its own and backend-max-ids's" \
		"$(echo "$out" | jq -c '[.[] | .max_ids]')" '[524288,1000]'
	check "status -j: each backend's IDs against its quota" \
		"$(qs -j status | jq -c '.backend_ids[] | select(.name == "c")')" \
		'{"name":"c","id":3,"ids":0,"max_ids":1000,"over_quota":0}'
	check "backend show -j: the new backend's address" \
		"$(echo "$out" | jq -r '.[] | select(.name == "c") | .address')" 198.18.1.12
	check "backend show -j: id, weight, state, vips" \
		"$(echo "$out" | jq -c '.[] | select(.name == "c") | [.id, .weight, .state, .vips]')" \
		'[3,1,"active",["web"]]'
	check "backend show: the text row, lists bare" \
		"$(qs backend show c | awk 'NR == 2 { print $1, $2, $3, $4, $5, $6 }')" \
		"c 198.18.1.12 3 1 active web"
	check "vip show -j: the VIP's fields" \
		"$(qs -j vip show web | jq -c '.[0] | [.name, .address, .port, .unknown]')" \
		'["web","198.18.0.100",443,"hash"]'
	qs backend drain c
	check "backend drain" "$?" 0
	check "drained backend shows draining" \
		"$(qs -j backend show c | jq -r '.[0].state')" draining
	check "prefixes: b sh is backend show" "$(qs -j b sh | jq length)" 2
	has "status over the socket" "$(qs -j status)" '"backends":2'
	has "text table names the backend" "$(qs backend show)" "198.18.1.12"
}

test_stats()
{
	"$PROBE" route qscl0 198.18.5.1 198.18.0.100 443 c1d2e3f4a5b6c7d8 >"$DIR/route"
	has "a packet through the router" "$(cat "$DIR/route")" "action=3"
	out=$(qs -j stats)
	check "stats -j: the VIP counted the packet" \
		"$(echo "$out" | jq '.vips[] | select(.name == "web") | .packets')" 1
	# pass_*: whatever the veth peer sends (IPv6 neighbour discovery)
	check "stats -j: one routing verdict, by reason name" \
		"$(echo "$out" | jq -c '[.reasons | to_entries[] |
			select((.key | startswith("pass_") | not) and .value.packets > 0) | .key]')" \
		'["route_unknown_hash"]'
	check "stats -j: the backends counted the packet" \
		"$(echo "$out" | jq '[.backends[].packets] | add')" 1
	has "stats text lists the reasons" "$(qs stats)" "reason"
	"$CLI" --socket "$DIR/control.sock" --pin-dir "$PINS" -j stats -w >"$DIR/watch" &
	watch=$!
	wait_until 30 "a first object from stats -w" jq -se 'length >= 1' "$DIR/watch"
	kill -INT "$watch"
	wait_exit 30 "$watch" "quicsteer stats -w (after SIGINT)"
	check "stats -w: stops cleanly on SIGINT" "$?" 0
	check "stats -w -j: rates, one object a second" \
		"$(jq -s 'length >= 1 and (.[0].vips[0].packets == 0)' "$DIR/watch")" true
}

test_errors()
{
	run_cli "unknown object" 2 'unknown object "frob"' -- frob show
	run_cli "bad address" 1 'backend "d"' -- backend add d 198.18.1.300 id 4 vip web
	run_cli "missing argument" 2 "backend del: missing argument" -- backend del
	run_cli "unknown VIP" 1 'vip "nosuch"' -- vip del nosuch
	run_cli "ambiguous prefix" 2 "status, stats" -- s
	printf 'backend set c weight 5\n# a comment\nvip del nosuch\nbackend del c\n' >"$DIR/batch"
	run_cli "batch stops at the failing line" 1 "line 3" -- -batch "$DIR/batch"
	check "batch: lines before the failure applied" \
		"$(qs -j backend show c | jq '.[0].weight')" 5
	check "batch: lines after the failure not run" "$(qs -j backend show | jq length)" 2
}

test_agent_down()
{
	stop_agent
	run_cli "agent down: a write fails" 1 "agent not running ($DIR/control.sock" -- backend drain a
	run_cli "agent down: status from the pins" 0 "agent not running" -- -j status
	has "agent down: status lists pinned maps" "$(cat "$DIR/out")" '"qs_stats_v2"'
	mkdir -p "$DIR/empty-pins"
	run_cli "status, nothing pinned" 1 "no router is pinned under $DIR/empty-pins" -- \
		--pin-dir "$DIR/empty-pins" -j status
	check "status, nothing pinned: no output" "$(cat "$DIR/out")" ""
	run_cli "agent down: stats from the pins" 0 "agent not running" -- -j stats
	check "agent down: stats by id" "$(jq '.vips | length' "$DIR/out")" 1
	run_cli "agent down: backend show from the pins" 0 "agent not running" -- -j backend show
	check "agent down: backends from the pins" "$(jq length "$DIR/out")" 2
}

# route explains from the pins what the router does; maglev show adds up.
test_route_maglev()
{
	# an unknown ID from an unknown client on a VIP whose policy is hash
	out=$(qs -j route 198.18.0.100 443 198.18.9.1 40000 short 0102030405060708)
	check "route -j: reason" "$(echo "$out" | jq -r .reason)" route_unknown_hash
	be=$(echo "$out" | jq -r .backend_id)
	probe=$("$PROBE" route qscl0 198.18.9.1 198.18.0.100 443 0102030405060708)
	check "route agrees with the program's backend" "${probe#*dmac=}" "02:00:00:00:00:0$(printf %x $((be + 9)))"
	check "route of a small Initial" \
		"$(qs -j route 198.18.0.100 443 198.18.9.2 40000 initial 0102030405060708 size 900 | jq -r .reason)" \
		drop_small_initial
	check "route of an Initial with its SCID" \
		"$(qs -j route 198.18.0.100 443 198.18.9.2 40000 initial 0102030405060708 scid 0a0b size 1200 | jq -r .reason)" \
		route_new
	run_cli "route: SCID of a short header" 2 'route: unexpected "scid"' -- \
		route 198.18.0.100 443 198.18.9.1 1 short 0102030405060708 scid 0a0b
	check "route to a non-VIP" \
		"$(qs -j route 198.18.0.99 443 198.18.9.3 40000 short 0102 | jq -r .reason)" pass_not_vip
	run_cli "route: bad form" 2 "route: form" -- route 198.18.0.100 443 198.18.9.1 1 sideways
	# a new connection leaves an address entry; an ID set by hand, an ID entry
	"$PROBE" initial qscl0 198.18.9.4:41000 198.18.0.100 443 1 >/dev/null
	check "flow show -j: the new client's entry" \
		"$(qs -j flow show vip 0 | jq -r '.[] | select(.client == "198.18.9.4") | .port')" 41000
	# an operator's ID through the agent: qs_cidtab, which keeps its
	# fingerprint and bucket, not its bytes nor its VIP
	qs cid add 0 0a0b0c0d0e0f1011 backend 1
	check "cid add" "$?" 0
	out=$(qs -j cid lookup 0 0a0b0c0d0e0f1011)
	check "cid lookup -j: the ID's entry, the operator's, for backend 1, no age" \
		"$(echo "$out" | jq -c '[.vip_id, .cid, .backend_id, .kind, .age_s]')" \
		'[0,"0a0b0c0d0e0f1011",1,"operator",null]'
	place=$(echo "$out" | jq -r '"\(.bucket) \(.fingerprint)"')
	check "cid show -j backend 1: that entry, its VIP, bucket and fingerprint, not its bytes" \
		"$(qs -j cid show backend 1 | jq -c '[.[] | [.vip_id, .cid, "\(.bucket) \(.fingerprint)", .kind]]')" \
		"[[0,null,\"$place\",\"operator\"]]"
	check "cid show text: VIP, fingerprint, bucket, backend, kind" "$(qs cid show)" \
		"vip 0 fingerprint ${place#* } bucket ${place%% *} backend 1 operator"
	check "cid show vip 1: not there" "$(qs -j cid show vip 1 | jq length)" 0
	check "cid show backend 3: not there" "$(qs -j cid show backend 3 | jq length)" 0
	out=$(qs -j route 198.18.0.100 443 198.18.9.1 40000 short 0a0b0c0d0e0f1011)
	check "route -j: the ID table's entry" "$(echo "$out" | jq -c '[.reason, .backend_id]')" \
		'["route_cid",1]'
	probe=$("$PROBE" route qscl0 198.18.9.1 198.18.0.100 443 0a0b0c0d0e0f1011)
	check "route agrees with the program: backend 1" "${probe#*dmac=}" "02:00:00:00:00:0a"
	run_cli "cid lookup of an absent ID" 1 "not in the ID table" -- cid lookup 0 ffff
	check "maglev show -j: the slots add up" \
		"$(qs -j maglev show 0 | jq '[.[].slots] | add')" 65537
}

# The commands (OBJECT [VERB]) that --help lists and the man page's .B lines.
test_manual()
{
	from_help=$("$CLI" --help | sed -n 's/^  quicsteer \([a-z-]*\)\( \([a-z]*\)\)\{0,1\}.*/\1 \3/p' |
		sed 's/ *$//' | sort -u)
	from_man=$(sed 's/\\-/-/g' "$TOP/docs/quicsteer.8" |
		sed -n 's/^\.B quicsteer \([a-z-]*\)\( \([a-z]*\)\)\{0,1\}.*/\1 \3/p' |
		sed 's/ *$//' | sort -u)
	check "man page lists every command --help lists" "$from_man" "$from_help"
	# the completion offers what help words says, from the same table as --help
	from_words=$(for o in $("$CLI" help words); do
		verbs=$("$CLI" help words "$o")
		if [ -n "$verbs" ]; then
			for v in $verbs; do echo "$o $v"; done
		else
			echo "$o"
		fi
	done | sort -u)
	check "help words (the completion's) lists every command --help lists" \
		"$from_words" "$from_help"
	missing=
	grep -q -- 'help words' "$TOP/tools/quicsteer/quicsteer.bash-completion" ||
		missing="$missing completion:help-words"
	for opt in --json --socket --pin-dir --timeout --verbose --help -batch; do
		"$CLI" --help | grep -q -- "$opt" &&
			grep -qF -- "$(echo "$opt" | sed 's/-/\\-/g')" "$TOP/docs/quicsteer.8" ||
			missing="$missing man:$opt"
	done
	check "man page names every option, completion asks help words" "$missing" ""
}

# A configuration of 4,001 backends: its text (some 360 KiB) is larger
# than a control socket's default send buffer, and must still come back
# whole (a fresh agent: the one before is down).
test_large_answers()
{
	write_config
	for b in $(seq 2 4001); do
		printf 'backend b%d 198.19.%d.%d id %d vip web lladdr 02:00:00:00:%02x:%02x\n' \
			"$b" $((b / 250)) $((b % 250 + 1)) "$b" $((b / 256)) $((b % 256))
	done >>"$DIR/quicsteer.conf"
	start_agent || { not_ok "agent with 4,001 backends starts" "$waited"; return; }
	run_cli "backend show of 4,001 backends" 0 "" -- -v -j backend show
	check "backend show -j: all of them" "$(jq length "$DIR/out")" 4001
	bytes=$(grep '^quicsteer: answer: ' "$DIR/err" | wc -c)
	[ "$bytes" -gt 300000 ] && ok "the agent's answer: $bytes bytes in one message" ||
		not_ok "the agent's answer: over 300,000 bytes" "$bytes"
	check "backend show: a row each" "$(qs backend show | grep -c '^b[0-9]')" 4000
	stop_agent
}

inner()
{
	ip link set lo up
	ip addr add 198.18.1.1/24 dev qscl0
	write_config
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }
	test_changes
	test_stats
	test_route_maglev
	test_errors
	test_agent_down
	test_large_answers
	test_manual
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test cl "$AGENT" "$PROBE" "$CLI" -- qscl0:qscl1
