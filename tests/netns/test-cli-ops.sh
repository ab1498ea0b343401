#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteer's run-time operations against a running quicsteerd in a
# namespace of its own: attach and detach change what `ip -j link show`
# reports as xdp, and the agent's configuration with it (a reload of the
# unchanged file keeps them); cid add writes an operator's entry that `cid
# lookup` and a packet run through the router agree on, that a backend's
# snapshot and new incarnation and an agent restart leave alone; cid del,
# cid flush (learned, reported) and flow flush empty what they name;
# monitor relays a report (accepted and refused) and a new connection as
# JSON and as text; status shows the program, the attachments and the
# tables' occupancy from the agent and from the pins; -v prints requests,
# answers and pins read; every error path has its message and exit code.
#
# Usage: tests/netns/test-cli-ops.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
CLI=$BUILD/quicsteer
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cli-lib.sh"

PINS=/sys/fs/bpf/qs-cliops
KEY_B=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
CID=0a0b0c0d0e0f1011
TO_B="action=3 dmac=02:00:00:00:00:0b"

write_config()
{
	echo "$KEY_B" >"$DIR/b.key"
	chmod 600 "$DIR/b.key" # the agent takes no key others may read
	cat >"$DIR/quicsteer.conf" <<EOF2
pin-dir $PINS
control-socket $DIR/control.sock
report-listen unix $DIR/reports.sock
heartbeat-timeout off
interface qsco0
vip web 198.18.0.100 443 unknown drop learn on
nexthop n dev qsco0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a
backend b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b key-file $DIR/b.key
EOF2
}

# report SEQ INCARNATION RECORD...: one datagram from backend b, and waits
# until the agent took it: its sequence is in the qs_reporters_v2 pin, and one
# control round trip later the agent is past that datagram
report()
{
	seq=$1 inc=$2
	shift 2
	"$PROBE" report "$DIR/reports.sock" "$KEY_B" 2 "$inc" "$seq" 198.18.0.100 443 "$@" || return 1
	wait_until 30 "the agent takes report $seq (b's sequence in qs_reporters_v2)" took "$seq" && return 0
	not_ok "report $seq" "$waited"
	return 1
}

took()
{
	_got=$(bpftool -j map lookup pinned "$PINS/qs_reporters_v2" key 2 0 0 0 | jq .formatted.value.sequence)
	echo "sequence $_got"
	[ "$_got" = "$1" ] && qs status >/dev/null
}

xdp_prog() { ip -j link show "$1" | jq -r '.[0].xdp.prog.id // .[0].xdp.attached[0].prog.id // "none"'; }

test_attach()
{
	check "before attach: no XDP on qsco2" "$(xdp_prog qsco2)" none
	run_cli "attach dev qsco2 mode generic" 0 "" -- attach dev qsco2 mode generic
	check "attach: ip link shows generic XDP on qsco2" \
		"$(ip -j link show qsco2 | jq -r '.[0].xdp.mode')" 2
	st=$(qs -j status)
	check "status -j: the attachment, generic mode" \
		"$(echo "$st" | jq -r '.attachments[] | select(.interface == "qsco2") | .mode')" generic
	check "status -j: qsco2 runs the agent's program" \
		"$(echo "$st" | jq '.program.id as $p | [.attachments[] | select(.interface == "qsco2") | .prog_id == $p] | .[0]')" true
	check "status -j: program id is what ip link shows" \
		"$(echo "$st" | jq -r .program.id)" "$(xdp_prog qsco2)"
	has "show: the running configuration has the interface" \
		"$("$PROBE" control "$DIR/control.sock" "v1 show" | jq -r .config)" "interface qsco2 mode generic"
	run_cli "attach twice" 1 "interface qsco2: already attached (generic mode)" -- attach dev qsco2
	run_cli "attach an unknown device" 1 "interface nosuch0: no such device" -- attach dev nosuch0
	run_cli "attach: mode refused by the driver" 1 "interface lo: native mode refused by the driver" \
		-- attach dev lo mode native
	check "refused attach: nothing on lo" "$(xdp_prog lo)" none
	run_cli "attach: bad mode" 2 "attach dev qsco3: want" -- attach dev qsco3 mode sideways
	run_cli "detach: not attached" 1 "interface qsco3: not attached by this agent" -- detach dev qsco3
	run_cli "reload of the unchanged file after attach" 0 "" -- reload
	check "reload keeps the run-time attachment" \
		"$(qs -j status | jq -c '[.interfaces[]]')" '["qsco0","qsco2"]'
	run_cli "detach dev qsco2" 0 "" -- detach dev qsco2
	check "detach: ip link shows no XDP on qsco2" "$(xdp_prog qsco2)" none
	check "detach: gone from the configuration" "$(qs -j status | jq -c '[.interfaces[]]')" '["qsco0"]'
}

# cidtab_counts NAME STATUS: qs_cidtab's entries in the status answer are
# the IDs the agent holds, reported and the operator's (qs_cids, which the
# data path does not read, may be empty)
cidtab_counts()
{
	check "$1: qs_cidtab's entries are ids_reported + ids_operator" \
		"$(echo "$2" | jq '[(.tables[] | select(.name == "qs_cidtab") | .entries), .ids_reported + .ids_operator] | unique | length')" 1
}

# place CID: the place (bucket:fingerprint) of the qs_cidtab entry
# that cid lookup finds for CID, and that entry's backend and kind
place() { qs -j cid lookup 0 "$1" | jq -r '"\(.bucket):\(.fingerprint) \(.backend_id) \(.kind)"'; }
# places [FILTER...]: every qs_cidtab row of cid show, the same way
places() { qs -j cid show "$@" | jq -r '.[] | select(.fingerprint) | "\(.bucket):\(.fingerprint) \(.backend_id) \(.kind)"' | sort; }

test_status()
{
	st=$(qs -j status)
	check "status -j: agent" "$(echo "$st" | jq .agent)" true
	# qs_cidtab: the head and 582,543 buckets (QS_CIDTAB_BUCKETS_FOR 2,097,152 IDs);
	# qs_cids, which nothing writes, one entry on fresh pins
	check "status -j: qs_cidtab size" \
		"$(echo "$st" | jq '.tables[] | select(.name == "qs_cidtab") | .max_entries')" 582544
	check "status -j: qs_cids size" \
		"$(echo "$st" | jq '.tables[] | select(.name == "qs_cids") | [.max_entries, .entries]')" \
		"$(printf '[\n  1,\n  0\n]')"
	check "status -j: qs_vips occupancy (address-wide entry and port)" \
		"$(echo "$st" | jq '.tables[] | select(.name == "qs_vips") | .entries')" \
		"$(bpftool -j map dump pinned "$PINS/qs_vips" | jq length)"
	check "status -j: backends in use" \
		"$(echo "$st" | jq '.tables[] | select(.name == "qs_backends") | .entries')" 2
	cidtab_counts "status -j" "$st"
	check "status -j: program name" "$(echo "$st" | jq -r .program.name)" quicsteer_route
	has "status text: the table of tables" "$(qs status)" "qs_flows_v2"
}

test_cid()
{
	run_cli "cid add" 0 "" -- -j cid add 0 $CID backend 2
	check "cid add -j: nothing replaced" "$(jq -c .replaced "$DIR/out")" null
	check "cid lookup: operator's entry to backend 2" \
		"$(qs -j cid lookup 0 $CID | jq -c '[.backend_id, .kind]')" '[2,"operator"]'
	check "the router routes the ID to backend b" \
		"$("$PROBE" route qsco0 198.18.9.1 198.18.0.100 443 $CID)" "$TO_B"
	check "route explains it as the program routes it (qs_cidtab)" \
		"$(qs -j route 198.18.0.100 443 198.18.9.1 40000 short $CID | jq -c '[.reason, .backend_id]')" \
		'["route_cid",2]'
	# backend b's empty snapshot, then a new incarnation: neither touches it
	report 1 0x51 part:7:0:final >/dev/null
	report 1 0x52 heartbeat >/dev/null
	check "a snapshot and a new incarnation leave the operator's entry" \
		"$(qs -j cid lookup 0 $CID | jq -r .kind)" operator
	stop_agent
	start_agent || not_ok "agent restarts" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	report 2 0x52 part:8:0:final >/dev/null
	check "after an agent restart and a snapshot: still the operator's" \
		"$(qs -j cid lookup 0 $CID | jq -c '[.backend_id, .kind]')" '[2,"operator"]'
	check "status -j: the agent counts it" "$(qs -j status | jq .ids_operator)" 1
	run_cli "cid add: bad hex" 2 'cid "0a0": not 1..20 bytes of hexadecimal' -- cid add 0 0a0 backend 2
	run_cli "cid add: wrong length for the VIP" 1 'vip "web" (id 0) routes 8-byte IDs' -- cid add 0 0a0b backend 2
	run_cli "cid add: unknown VIP" 1 "vip 5: no such vip id" -- cid add 5 $CID backend 2
	run_cli "cid add: unknown backend" 1 "backend 9: no such backend id" -- cid add 0 $CID backend 9
	run_cli "cid add: missing argument" 2 "cid add: missing argument" -- cid add 0 $CID
	run_cli "cid del" 0 "" -- -j cid del 0 $CID
	check "cid del -j: it was the operator's" "$(jq -r .removed "$DIR/out")" operator
	run_cli "cid lookup after del" 1 "not in the ID table" -- cid lookup 0 $CID
	run_cli "cid del of an absent ID" 1 "cid $CID on vip 0: not in the ID table" -- cid del 0 $CID
	# a learned entry: a client's Initial, then a short header with an unknown ID
	"$PROBE" initial qsco0 198.18.9.4:40000 198.18.0.100 443 >/dev/null
	"$PROBE" route qsco0 198.18.9.4 198.18.0.100 443 c1c2c3c4c5c6c7c8 >/dev/null
	check "a learned entry" "$(qs -j cid show | jq -r '.[] | select(.cid == "c1c2c3c4c5c6c7c8") | .kind')" learned
	report 3 0x52 issue:1:b1b2b3b4b5b6b7b8 >/dev/null
	reported=$(place b1b2b3b4b5b6b7b8)
	check "cid lookup: the reported entry, by its ID" \
		"$(qs -j cid lookup 0 b1b2b3b4b5b6b7b8 | jq -c '[.vip_id, .cid, .backend_id, .kind, .age_s]')" \
		'[0,"b1b2b3b4b5b6b7b8",2,"authoritative",null]'
	check "cid lookup: a fingerprint of 13 hex digits" \
		"$(qs -j cid lookup 0 b1b2b3b4b5b6b7b8 | jq -r .fingerprint | grep -c '^[0-9a-f]\{13\}$')" 1
	check "cid show backend 2: the reported entry, by its place, and nothing else" \
		"$(places backend 2)" "$reported"
	check "cid show: the reported entry and the learned one" \
		"$(qs -j cid show | jq -c '[.[] | [.vip_id, .cid, .kind]] | sort')" \
		'[[0,null,"authoritative"],[0,"c1c2c3c4c5c6c7c8","learned"]]'
	fp=${reported#*:}
	has "cid show text: the reported entry by fingerprint and bucket" "$(qs cid show)" \
		"vip 0 fingerprint ${fp%% *} bucket ${reported%%:*} backend 2 authoritative"
	cidtab_counts "status -j, an ID reported" "$(qs -j status)"
	check "cid show vip 0: both, the reported one by its place" \
		"$(qs -j cid show vip 0 | jq -c '[.[] | [.vip_id, .cid, .kind]] | sort')" \
		'[[0,null,"authoritative"],[0,"c1c2c3c4c5c6c7c8","learned"]]'
	check "cid show vip 1: neither" "$(qs -j cid show vip 1 | jq length)" 0
	run_cli "cid flush learned" 0 "" -- -j cid flush learned
	check "cid flush learned -j: counts" "$(jq -c .removed "$DIR/out")" '{"learned":1,"reported":0,"operator":0}'
	check "cid flush learned: the reported entry stays, alone" "$(places)" "$reported"
	run_cli "cid flush learned: the learned ID is gone" 1 "not in the ID table" -- cid lookup 0 c1c2c3c4c5c6c7c8
	run_cli "cid flush: unknown backend" 1 "backend 7: no such backend id" -- cid flush backend 7
	run_cli "cid flush: bad filter" 2 '"sideways": filters are' -- cid flush sideways
	run_cli "cid flush reported backend 2" 0 "" -- -j cid flush reported backend 2
	check "cid flush reported: counts" "$(jq .removed.reported "$DIR/out")" 1
	check "cid flush: the ID table is empty" "$(qs -j cid show | jq length)" 0
	run_cli "cid flush: the reported ID is gone" 1 "not in the ID table" -- cid lookup 0 b1b2b3b4b5b6b7b8
	check "status -j: no ID reported any more" "$(qs -j status | jq .ids_reported)" 0
}

test_flow()
{
	"$PROBE" initial qsco0 198.18.9.5:41000 198.18.0.100 443 3 >/dev/null
	check "flow show: entries to flush" "$(qs -j flow show | jq 'length > 0')" true
	check "flow show -j: an Initial's entry is new" \
		"$(qs -j flow show | jq -r '.[] | select(.client == "198.18.9.5" and .port == 41000) | .state')" new
	run_cli "flow flush: unknown VIP" 1 "vip 3: no such vip id" -- flow flush vip 3
	run_cli "flow flush: a kind is not a flow filter" 2 '"learned": filters are vip ID, backend ID' -- flow flush learned
	n=$(qs -j flow show | jq length)
	run_cli "flow flush" 0 "" -- -j flow flush vip 0
	check "flow flush -j: removed every entry" "$(jq .removed "$DIR/out")" "$n"
	check "flow flush: the address table is empty" \
		"$(bpftool -j map dump pinned "$PINS/qs_flows_v2" | jq length)" 0
	check "flow flush: the table of Initials' entries is empty" \
		"$(bpftool -j map dump pinned "$PINS/qs_flows_new" | jq length)" 0
}

# waits until the agent has $1 monitor subscribers
subscribers() { wait_until 30 "$1 monitor subscribers" output_is "$1" subscribers_now; }
subscribers_now() { qs -j status | jq .monitor_subscribers; }

# waits until file $1 has $2 lines
lines() { wait_until 30 "$2 lines in $1" has_lines "$1" "$2"; }
has_lines() { [ "$(wc -l <"$1")" -ge "$2" ] || { cat "$1"; return 1; }; }

test_monitor()
{
	"$CLI" --socket "$DIR/control.sock" -j monitor >"$DIR/mon.json" 2>"$DIR/mon.err" &
	mon_json=$!
	"$CLI" --socket "$DIR/control.sock" monitor >"$DIR/mon.txt" 2>&1 &
	mon_txt=$!
	subscribers 2 && ok "monitor: two subscribers" || not_ok "monitor: two subscribers" "$waited; $(cat "$DIR/mon.err")"
	report 10 0x52 issue:1:d1d2d3d4d5d6d7d8 heartbeat >/dev/null
	"$PROBE" report "$DIR/reports.sock" "$KEY_B" 1 0x9 1 198.18.0.100 443 heartbeat >/dev/null
	"$PROBE" initial qsco0 198.18.9.7:42000 198.18.0.100 443 >/dev/null
	lines "$DIR/mon.json" 3 && lines "$DIR/mon.txt" 3
	kill -INT "$mon_json" "$mon_txt"
	wait_exit 30 "$mon_json" "quicsteer -j monitor (after SIGINT)"
	check "monitor -j: exits 0 on SIGINT" "$?" 0
	wait_exit 30 "$mon_txt" "quicsteer monitor (after SIGINT)"
	check "monitor -j: the accepted report" \
		"$(jq -c 'select(.type == "report" and .verdict == "ok") | [.backend_id, .backend, .sequence, .records, .issued, .heartbeats]' "$DIR/mon.json")" \
		'[2,"b",10,2,1,1]'
	check "monitor -j: a refused report and why (backend a has no key)" \
		"$(jq -r 'select(.type == "report" and .verdict != "ok") | .verdict' "$DIR/mon.json")" unknown_backend
	check "monitor -j: the new connection" \
		"$(jq -c 'select(.type == "new_flow") | [.vip, .client, .client_port]' "$DIR/mon.json")" \
		'["web","198.18.9.7",42000]'
	has "monitor text: the report on one line" "$(cat "$DIR/mon.txt")" "report backend b(2) accepted seq 10 records 2 issued 1 heartbeats 1"
	has "monitor text: the new connection" "$(cat "$DIR/mon.txt")" "new_flow vip web(0) client 198.18.9.7 port 42000"
	subscribers 0 && ok "monitor: subscribers gone after SIGINT" || not_ok "monitor: subscribers gone" "$waited"
	run_cli "monitor: unexpected argument" 2 'monitor: unexpected argument "x"' -- monitor x
}

test_verbose()
{
	qs -v vip show >/dev/null 2>"$DIR/err"
	has "-v: the request" "$(cat "$DIR/err")" "quicsteer: request: v1 show"
	has "-v: the raw answer" "$(cat "$DIR/err")" 'quicsteer: answer: {"config":'
	qs -v cid show >/dev/null 2>"$DIR/err"
	has "-v: the pin read" "$(cat "$DIR/err")" "quicsteer: reading $PINS/qs_cidtab"
}

# A stopped agent keeps its socket: the CLI must give up after --timeout
# instead of hanging (the testbed's scenarios pause the agent with SIGSTOP).
# Its --timeout 1 is the scenario: the agent is stopped, the CLI waits out
# that second and says so.
test_agent_stopped()
{
	kill -STOP "$AGENT_PID"
	run_cli "agent stopped: a change times out" 1 "did not answer within 1 s" -- \
		--timeout 1 backend drain b
	run_cli "agent stopped: status falls back to the pins" 0 "did not answer within 1 s" -- \
		--timeout 1 -j status
	check "agent stopped: status from the pins" "$(jq .agent "$DIR/out")" false
	kill -CONT "$AGENT_PID"
	# the queued requests run first, and the drain re-resolves next hops
	run_cli "agent resumed: answers again" 0 "" -- -j status
	check "agent resumed: status from the agent" "$(jq .agent "$DIR/out")" true
	# a change that timed out was still queued: it took effect on resume
	check "agent resumed: the timed-out drain was applied" \
		"$(qs -j backend show b | jq -r '.[0].state')" draining
	qs backend undrain b >/dev/null
	run_cli "--timeout 0" 2 '--timeout "0": expected whole seconds' -- --timeout 0 status
}

test_agent_down()
{
	held=$(qs -j status | jq '.ids_reported + .ids_operator')
	stop_agent
	run_cli "agent down: monitor" 1 "events come only from the agent" -- monitor
	run_cli "agent down: cid add" 1 "agent not running" -- cid add 0 $CID backend 2
	run_cli "agent down: attach" 1 "agent not running" -- attach dev qsco2
	run_cli "agent down: status" 0 "agent not running" -- -j status
	check "agent down: status reads the tables from the pins" \
		"$(jq '.tables[] | select(.name == "qs_backends") | .entries' "$DIR/out")" 2
	check "agent down: qs_cidtab's IDs read through mmap, as many as the agent held (some)" \
		"$(jq -c --argjson n "$held" '.tables[] | select(.name == "qs_cidtab") | .entries == $n and $n > 0' "$DIR/out")" true
	check "agent down: cid show lists them from the pins" "$(places | wc -l)" "$held"
	check "agent down: status finds the attachment in the kernel" \
		"$(jq -c '[.attachments[].interface]' "$DIR/out")" '["qsco0"]'
	check "agent down: the program from its attachment" \
		"$(jq -r .program.id "$DIR/out")" "$(xdp_prog qsco0)"
	has "agent down: status text says so" "$(qs status 2>/dev/null)" "agent: not running"
}

inner()
{
	ip link set lo up
	ip addr add 198.18.1.1/24 dev qsco0
	write_config
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }
	test_status
	test_attach
	test_cid
	test_flow
	test_monitor
	test_verbose
	test_agent_stopped
	test_agent_down
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test co "$AGENT" "$PROBE" "$CLI" -- qsco0:qsco1 qsco2:qsco3
