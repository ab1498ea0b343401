#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The agent dies and the router program is replaced while transfers run,
# end to end through the router (tests/netns/testbed.sh), with stock
# gtlsserver (no reports: learned IDs and the address table route) and the
# reference backend (reported IDs route), IPv4 and IPv6 clients in turn.
# Twelve long downloads per part (the segment is rate-limited so that they
# last, and held to a crawl until the agent is back: lifecycle.sh's hold;
# at least half must still run at the event, one at the agent's return).
#
# 1. quicsteerd is killed with SIGKILL mid-transfer (no clean-up of any
#    kind), and started again. While it is dead the router goes on
#    forwarding and the ID table keeps every entry; the restarted agent
#    keeps them too (the maps are pinned, and it reuses them). Every
#    transfer completes byte for byte, no server accepted a connection
#    again. Guards against state that lives only in the agent's process,
#    an agent whose start-up wipes or rewrites the tables it finds, and a
#    router that needs the agent to forward.
# 2. The router program is replaced by a freshly compiled one: the test
#    builds bpf/quicsteer.bpf.c and quicsteerd anew into its own directory
#    (the agent carries the router object in its skeleton, so a fresh
#    object comes with a fresh agent binary), stops the running agent
#    (SIGTERM: the router stays attached) and starts the new binary, which
#    replaces the attached router in one step (XDP_FLAGS_REPLACE,
#    userspace/router/attach.c). The program id on the router's eth0 changes,
#    the new program is the router and uses the same pinned ID table, and
#    every transfer completes byte for byte. Guards against an upgrade
#    that detaches first (a gap where packets meet no router), a new
#    program that loads fresh maps instead of the pinned ones (every
#    connection would lose its route), and an upgrade that fails when a
#    router is already attached.
#
# Usage: tests/netns/test-e2e-agent.sh [BUILD_DIR]. Needs root and the
# source tree it lives in (for the fresh build); never skips, except the
# reference-backend half while qs-h3server is not built (printed and
# counted).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/lifecycle.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LONG=12
SIZE=2097152

prog_id() { tb_exec router ip -j link show dev eth0 | jq -r '.[0].xdp.prog.id // ""'; }
prog_name() { bpftool -j prog show id "$1" | jq -r '.name'; }

# Whether quicsteerd answers: `quicsteer status` alone succeeds without it
# (it reads the pins), and says whether the agent answered.
agent_answers() { tb_cli -j status 2>/dev/null | jq -e '.agent == true' >/dev/null; }
has_cids() { [ "$(tb_cli -j cid show | jq length)" -ge 1 ]; }

# Whether program $1 uses the ID table pinned under the testbed's pin dir.
uses_pinned_cids()
{
	m=$(bpftool -j map show pinned "$TB_DIR/bpf/quicsteer/qs_cidtab" | jq -e '.id') &&
		bpftool -j prog show id "$1" | jq -e --argjson m "$m" '.map_ids | index($m) != null' >/dev/null
}

# Every ID table entry, sorted: "BUCKET:FINGERPRINT BACKEND" for a reported
# one (qs_cidtab keeps no VIP or ID bytes; an ID's bucket and fingerprint
# stay as they are while the pinned table lives), "VIP CID BACKEND" for a
# learned one.
cid_table()
{
	tb_cli -j cid show | jq -r '.[] | if .fingerprint then "\(.bucket):\(.fingerprint) \(.backend_id)"
		else "\(.vip_id) \(.cid) \(.backend_id)" end' | sort
}

# How many lines of file $1 the ID table lacks.
missing() { cid_table | comm -13 - "$1" | wc -l; }

# Starts the freshly built agent as tb_agent_start starts the testbed's,
# and records its pid where tb_agent_stop and tb_down look for it.
fresh_agent_start()
{
	LIBXDP_BPFFS=$TB_DIR/bpf ip netns exec "$(tb_ns router)" \
		"$FRESH/quicsteerd" -c "$TB_DIR/quicsteer.conf" 2>>"$TB_DIR/agent.log" &
	TB_AGENT_PID=$!
	wait_until 30 "the freshly built quicsteerd answers status" agent_answers
}

forwarded() { total "$(tb_stat_backends)"; }
forwards_since() { [ "$(forwarded)" -gt "$1" ]; }

# agent_kill KIND
agent_kill()
{
	t="$1 agent SIGKILL"
	hold
	long_start "kill-$1" $LONG flong
	check "$t: the servers accepted the $LONG long transfers" "$(total "$long_got")" $LONG
	c0=$(tb_connections_all)
	wait_until 30 "an entry in the ID table" has_cids
	cid_table >"$TB_DIR/cids-$1"
	tb_agent_stop KILL
	check "$t: the agent is gone" "$(agent_answers && echo answers)" ""
	in_flight "$t: the kill" "kill-$1" $LONG $((LONG / 2))
	p0=$(forwarded)
	wait_until 30 "the router forwards while the agent is dead" forwards_since "$p0" &&
		ok "$t: the router forwards while the agent is dead" ||
		not_ok "$t: the router forwards while the agent is dead" "its counters stayed at $p0"
	check "$t: the ID table kept its $(wc -l <"$TB_DIR/cids-$1") entries meanwhile" \
		"$(missing "$TB_DIR/cids-$1")" 0

	if tb_agent_start && wait_until 30 "the restarted quicsteerd answers status" agent_answers; then
		ok "$t: the agent starts again"
	else
		not_ok "$t: the agent starts again" "see above"
	fi
	in_flight "$t: the restart" "kill-$1" $LONG 1
	release
	check "$t: the restarted agent kept every entry" "$(missing "$TB_DIR/cids-$1")" 0
	long_wait "kill-$1" $LONG flong
	check "$t: every transfer completed intact" "$long_bad" ""
	check "$t: no connection was made again" "$(deltas "$c0" "$(tb_connections_all)")" "0 0 0"
	# The restarted agent once took every reporting backend for dead at its
	# first tick (the pin keeps no time of the last report): by the end of
	# the transfers, seconds of ticks later, none may have been marked down.
	check "$t: no backend was marked down after the restart" \
		"$(tb_metrics | awk '$1 == "quicsteer_backends_down_total" { print $2 }')" 0
}

# replace KIND
replace()
{
	t="$1 fresh router"
	hold
	long_start "fresh-$1" $LONG flong
	check "$t: the servers accepted the $LONG long transfers" "$(total "$long_got")" $LONG
	c0=$(tb_connections_all)
	old=$(prog_id)
	name=$(prog_name "$old")
	in_flight "$t: the stop" "fresh-$1" $LONG $((LONG / 2))
	tb_agent_stop
	if fresh_agent_start; then
		ok "$t: the freshly built agent starts"
	else
		not_ok "$t: the freshly built agent starts" "$(tail -n 3 "$TB_DIR/agent.log" | tr '\n' ' ')"
	fi
	in_flight "$t: the replacement" "fresh-$1" $LONG 1
	release
	check "$t: it runs $FRESH/quicsteerd" "$(readlink "/proc/$TB_AGENT_PID/exe")" "$FRESH/quicsteerd"
	new=$(prog_id)
	if [ -n "$new" ] && [ "$new" != "$old" ]; then
		ok "$t: eth0's program changed ($old -> $new)"
	else
		not_ok "$t: eth0's program changed" "got '$new' want other than '$old'"
	fi
	check "$t: the new program is the router" "$(prog_name "$new")" "$name"
	uses_pinned_cids "$new" && ok "$t: the new program uses the pinned ID table" ||
		not_ok "$t: the new program uses the pinned ID table" \
			"its maps: $(bpftool -j prog show id "$new" | jq -c '.map_ids')"
	long_wait "fresh-$1" $LONG flong
	check "$t: every transfer completed intact" "$long_bad" ""
	check "$t: no connection was made again" "$(deltas "$c0" "$(tb_connections_all)")" "0 0 0"
}

run_kind()
{
	agent_kill "$1"
	if [ -x "$FRESH/quicsteerd" ]; then
		replace "$1"
	else
		not_ok "$1 fresh router: a freshly built agent" "the build failed (see above)"
	fi
}

tb_test_up "$BUILD" --backends 3
FRESH=$TB_DIR/fresh
# A fresh compile of the router object and of the agent that carries it,
# with the Makefile's own rules (not the outer make's jobs or flags).
if env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -s -C "$ROOT" BUILD="$FRESH" "$FRESH/quicsteerd" \
	>"$TB_DIR/fresh.log" 2>&1 && [ "$FRESH/bpf/quicsteer.bpf.o" -nt "$TB_DIR/quicsteer.conf" ]; then
	ok "set-up: bpf/quicsteer.bpf.c and quicsteerd built afresh into $FRESH"
else
	not_ok "set-up: a fresh build of the router and agent" "$(tail -n 3 "$TB_DIR/fresh.log" | tr '\n' ' ')"
fi
tb_make_file flong $SIZE
release
tb_test_kinds run_kind "" ""
tb_test_end
