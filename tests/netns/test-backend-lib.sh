#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# libquicsteer against a real quicsteerd in a namespace of its own: a
# server process (qs-backend-demo, linked with libquicsteer.so) issues an
# ID and a packet run through the attached router goes to that backend;
# the process restarts (a new incarnation) and its first report makes the
# agent purge the old ID while the new one routes; a snapshot that leaves
# out an ID the agent holds removes it; a dead agent address is counted
# and does not stop the others; a QUIC-LB ID the library made routes by
# its server ID with no report at all. Guards the library and the agent
# agreeing on the wire, not just each against the codec.
#
# Usage: tests/netns/test-backend-lib.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
DEMO=$BUILD/tests/qs-backend-demo
. "$(dirname "$0")/lib.sh"

KEY_A=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY_B=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
# Top three bits 0b110, 0b101, 0b100: never QUIC-LB config 1's.
CID1=c1d2e3f4a5b6c7d8
CID2=a1b2c3d4e5f60718
CID3=8899aabbccddeeff
TO_A="action=3 dmac=02:00:00:00:00:0a"
DROPPED="action=1 dmac=00:00:00:00:00:00"

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF
pin-dir /sys/fs/bpf/qs-backend-lib
control-socket $DIR/control.sock
metrics-listen 127.0.0.1 9464
report-listen unix $DIR/reports.sock
report-listen udp fd00::1 4434
heartbeat-timeout off
interface qsbl0
vip web 198.18.0.100 443
quic-lb web config 1 mode plaintext server-id-len 2 nonce-len 6
nexthop n dev qsbl0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a server-id web 1 0a0b key-file $DIR/a.key
backend b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b server-id web 1 0b0c key-file $DIR/b.key
EOF
}

# Every packet comes from a client address of its own: a known address
# would route (or teach the router) an unknown ID by itself. Counted here,
# not in route, which runs in a subshell.
CLIENT=0
next_client() { CLIENT=$((CLIENT + 1)); }
route() { "$PROBE" route qsbl0 "198.18.$((5 + CLIENT / 250)).$((CLIENT % 250 + 1))" 198.18.0.100 443 "$1"; }

# The agent applies a report asynchronously: poll until the route is as
# wanted, each packet from a client of its own, then check once more.
route_is()
{
	next_client
	got=$(route "$1")
	echo "$got"
	[ "$got" = "$2" ]
}

route_becomes()
{
	wait_until 30 "ID $2 routes '$3'" route_is "$2" "$3"
	next_client
	check "$1" "$(route "$2")" "$3"
}

# One server process: commands on a fifo, one answer line each.
demo_start()
{
	rm -f "$DIR/in" "$DIR/out"
	mkfifo "$DIR/in" "$DIR/out"
	"$DEMO" 1 "$KEY_A" 198.18.0.100 443 "$@" <"$DIR/in" >"$DIR/out" 2>>"$DIR/demo.log" &
	DEMO_PID=$!
	exec 3>"$DIR/in" 4<"$DIR/out"
}

ask()
{
	echo "$1" >&3
	read -r reply <&4
	echo "$reply"
}

demo_stop()
{
	echo quit >&3
	exec 3>&- 4<&-
	wait_exit 30 "$DEMO_PID" "qs-backend-demo (told to quit)"
	check "server process exits cleanly" "$?" 0
}

inner()
{
	trap 'kill $AGENT_PID $DEMO_PID 2>/dev/null' EXIT
	ip link set lo up
	ip addr add 198.18.1.1/24 dev qsbl0
	ip addr add fd00::1/64 dev qsbl0 nodad
	echo "$KEY_A" >"$DIR/a.key"
	echo "$KEY_B" >"$DIR/b.key"
	chmod 600 "$DIR/a.key" "$DIR/b.key" # the agent takes no key others may read
	write_config
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }

	demo_start "unix:$DIR/reports.sock"
	check "first process reports an ID" "$(ask "issue 1 $CID1")" "ok"
	route_becomes "its ID routes to its backend" "$CID1" "$TO_A"
	inc1=$(ask incarnation)
	demo_stop

	# Restarted: a new incarnation, reporting over UDP and to a dead path.
	demo_start "[fd00::1]:4434" "$DIR/nobody.sock"
	inc2=$(ask incarnation)
	if [ "$inc1" != "$inc2" ] && [ -n "${inc2#ok }" ]; then ok "restart: new incarnation"; else not_ok "restart: new incarnation" "'$inc1' then '$inc2'"; fi
	check "restarted process reports an ID" "$(ask "issue 2 $CID2")" "ok"
	route_becomes "new incarnation's ID routes" "$CID2" "$TO_A"
	route_becomes "old incarnation's ID is purged" "$CID1" "$DROPPED"
	check "dead agent address: counted" "$(ask "stats 1")" "ok sent=0 errors=1 last_error=-2"
	check "live agent address: unaffected" "$(ask "stats 0")" "ok sent=1 errors=0 last_error=0"

	check "another ID" "$(ask "issue 3 $CID3")" "ok"
	route_becomes "another ID routes" "$CID3" "$TO_A"
	check "snapshot without it" "$(ask "snapshot 2:$CID2")" "ok"
	route_becomes "ID left out of the snapshot is removed" "$CID3" "$DROPPED"
	next_client
	check "ID in the snapshot still routes" "$(route "$CID2")" "$TO_A"

	lb=$(ask "quiclb 1 0a0b 6")
	case "$lb" in
	"ok 2"????????????????? | "ok 3"?????????????????) ok "library makes a QUIC-LB ID of config 1" ;;
	*) not_ok "library makes a QUIC-LB ID of config 1" "got '$lb'" ;;
	esac
	next_client
	check "QUIC-LB ID routes by its server ID, unreported" "$(route "${lb#ok }")" "$TO_A"
	demo_stop

	metrics=$(metrics)
	has "metrics count the accepted reports" "$metrics" 'quicsteer_reports_total{result="ok"}'
	check "no report refused" "$(echo "$metrics" | grep '^quicsteer_reports_total{' |
		grep -v 'result="ok"' | awk '$2 != 0')" ""
	stop_agent
	check "agent exits cleanly" "$?" 0
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log" "$DIR/demo.log"
	echo "$passed passed, $failed failed"
}

netns_test bl "$AGENT" "$PROBE" "$DEMO" -- qsbl0:qsbl1
