#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteer health and the agent's synced status on the testbed
# (tests/netns/testbed.sh): what decides whether a balancer behind ECMP
# announces its VIPs. Three backends: b1 and b2 run qs-h3server with
# --snapshot-interval 2s; b3 is qs-backend-demo (libquicsteer alone,
# driven a step at a time), so that when it is heard and when its
# snapshot arrives is the test's to decide. Checks, each by polling until
# a deadline:
# - healthy once every backend has reported a snapshot (status: synced by
#   the backends; the metric quicsteer_synced 1);
# - the watcher (--watch --interval 200ms --rise 3 --fall 1) runs --down
#   at start, then --up once healthy;
# - unhealthy, with the reason, while the agent is stopped with SIGSTOP
#   (the control socket still accepts: only the timeout tells), and
#   healthy again after SIGCONT; the watcher goes down and up again;
# - unhealthy while the router is detached from eth0 behind the agent's
#   back (ip link set eth0 xdp off); a restart on the same pins attaches
#   it again and is synced at once (every backend restored from the pins);
# - unhealthy while the agent is stopped;
# - an agent started on fresh pins is not synced: b3, silent, is not heard
#   from; once b3 reports an ID it waits for b3's snapshot; healthy after it;
# - a watcher whose --up fails (a routing daemon not started yet) runs it
#   again at the next checks until it succeeds;
# - SIGTERM ends the watcher with --down.
#
# Usage: tests/netns/test-health.sh [BUILD_DIR]. Needs root and qs-h3server.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"

# The CLI in the router's namespace: health reads the attachments there.
hc() { tb_exec router "$TB_BUILD/quicsteer" --socket "$TB_DIR/control.sock" --pin-dir "$TB_DIR/bpf/quicsteer" "$@"; }

# health's line contains $1 (and so its exit status says unhealthy unless $1 is "healthy").
health_says()
{
	got=$(hc health 2>&1)
	echo "$got"
	case $got in
	*"$1"*) return 0 ;;
	esac
	return 1
}

healthy() { output_is healthy hc health; }
status_field() { tb_cli -j status | jq -c "$1"; }
last_line() { tail -n 1 "$1" 2>/dev/null; }
lines() { tr '\n' ' ' <"$1" 2>/dev/null | sed 's/ $//'; }

# qs-backend-demo as backend 3 on TB_VIP4, commands on a fifo.
demo_start()
{
	rm -f "$TB_DIR/demo.in" "$TB_DIR/demo.out"
	mkfifo "$TB_DIR/demo.in" "$TB_DIR/demo.out" || return 1
	tb_exec 3 "$DEMO" 3 "$(cat "$TB_DIR/keys/b3.key")" "$TB_VIP4" "$TB_PORT" "$TB_REPORT4" \
		<"$TB_DIR/demo.in" >"$TB_DIR/demo.out" 2>>"$TB_DIR/demo.log" &
	exec 3>"$TB_DIR/demo.in" 4<"$TB_DIR/demo.out"
}

ask()
{
	echo "$1" >&3
	read -r reply <&4
	echo "$reply"
}

# watch_start NAME ARGS...: a watcher in the router's namespace; its
# commands append to $TB_DIR/NAME.events, its lines go to NAME.log.
watch_start()
{
	_w=$1
	shift
	# not through hc: $! must be the watcher itself (ip netns exec execs it)
	ip netns exec "$(tb_ns router)" "$TB_BUILD/quicsteer" --socket "$TB_DIR/control.sock" \
		--pin-dir "$TB_DIR/bpf/quicsteer" health --watch --interval 200ms "$@" \
		>"$TB_DIR/$_w.log" 2>&1 &
	WATCH_PID=$!
}

DEMO=$BUILD/tests/qs-backend-demo
tb_test_up "$BUILD" --backends 3 --heartbeat-timeout 20s
DEMO=$TB_BUILD/tests/qs-backend-demo
if ! tb_have_h3server || [ ! -x "$DEMO" ]; then
	not_ok "qs-h3server and qs-backend-demo are built" "no $TB_H3SERVER or $DEMO"
	tb_test_end
fi
tb_server_start 1 h3 --snapshot-interval 2s && tb_server_start 2 h3 --snapshot-interval 2s &&
	demo_start || {
	not_ok "set-up: two qs-h3server and qs-backend-demo" "see above"
	tb_test_end
}
check "b3 reports an ID" "$(ask "issue 1 c1d2e3f4a5b6c7d8c1d2e3f4a5b6c7d8c1d2")" ok
check "b3 reports a snapshot" "$(ask "snapshot 1:c1d2e3f4a5b6c7d8c1d2e3f4a5b6c7d8c1d2")" ok

# ---- synced, healthy ----
if wait_until 30 "health says healthy" healthy; then
	ok "healthy once the backends have sent their snapshots"
else
	not_ok "healthy once the backends have sent their snapshots" "$waited"
fi
check "status: synced by the backends" "$(status_field '[.synced, .sync.by, .sync.waiting_for, .sync.not_heard]')" \
	'[true,"backends",[],[]]'
check "health -j: healthy, eth0 has the router" \
	"$(hc -j health | jq -c '[.healthy, .reasons, [.interfaces[] | .name, (.prog_id > 0)]]')" \
	'[true,[],["eth0",true]]'
check "metric quicsteer_synced" "$(tb_metrics | awk '$1 == "quicsteer_synced" { print $2 }')" 1

EV=$TB_DIR/w.events
watch_start w --rise 3 --fall 1 --up "echo up >>$EV" --down "echo down >>$EV"
W=$WATCH_PID
wait_until 30 "the watcher runs --down at start, then --up" output_is "down up" lines "$EV" &&
	ok "watcher: --down at start, --up once healthy" ||
	not_ok "watcher: --down at start, --up once healthy" "$waited"

# ---- the agent stopped with SIGSTOP ----
tb_agent_pause
if wait_until 30 "health says the agent does not answer" health_says "did not answer within 1 s"; then
	ok "SIGSTOP: unhealthy, the agent does not answer"
else
	not_ok "SIGSTOP: unhealthy, the agent does not answer" "$waited"
fi
hc health >/dev/null 2>&1
check "SIGSTOP: exit status 1" "$?" 1
wait_until 30 "the watcher runs --down" output_is down last_line "$EV" &&
	ok "watcher: --down when the agent stops answering" ||
	not_ok "watcher: --down when the agent stops answering" "$waited"
tb_agent_resume
wait_until 30 "health says healthy" healthy && ok "SIGCONT: healthy again" ||
	not_ok "SIGCONT: healthy again" "$waited"
wait_until 30 "the watcher runs --up" output_is up last_line "$EV" &&
	ok "watcher: --up again" || not_ok "watcher: --up again" "$waited"

# ---- the router detached behind the agent's back ----
ip -n "$(tb_ns router)" link set eth0 xdp off
wait_until 30 "health says the router is not attached" health_says "router not attached to eth0" &&
	ok "detached: unhealthy, router not attached to eth0" ||
	not_ok "detached: unhealthy, router not attached to eth0" "$waited"
wait_until 30 "the watcher runs --down" output_is down last_line "$EV" &&
	ok "watcher: --down when the router is detached" ||
	not_ok "watcher: --down when the router is detached" "$waited"
# a restart on the same pins attaches it again, every backend restored
tb_agent_restart || not_ok "the agent restarts" "see above"
wait_until 30 "health says healthy" healthy && ok "restart on the same pins: healthy" ||
	not_ok "restart on the same pins: healthy" "$waited"
check "restart on the same pins: synced at once by the backends (restored)" \
	"$(status_field '[.synced, .sync.by, (.sync.synced_after_ms < 5000)]')" '[true,"backends",true]'

# ---- the agent stopped ----
tb_agent_stop
health_says "agent not running" >/dev/null && ok "agent stopped: unhealthy, agent not running" ||
	not_ok "agent stopped: unhealthy, agent not running" "$got"
wait_until 30 "the watcher runs --down" output_is down last_line "$EV" &&
	ok "watcher: --down when the agent is stopped" ||
	not_ok "watcher: --down when the agent is stopped" "$waited"

# ---- a fresh agent: fresh pins, b3 silent ----
rm -rf "$TB_DIR/bpf/quicsteer"
tb_agent_start || not_ok "the agent starts on fresh pins" "see above"
# b3 says nothing until told: until heartbeat-timeout (20 s), it is waited for
# (b1 and b2 are heard within their first heartbeat, 3 s)
wait_until 30 "health says b3 is not heard from" health_says "not heard from b3" &&
	ok "fresh pins: unhealthy, b3 not heard from" ||
	not_ok "fresh pins: unhealthy, b3 not heard from" "$waited"
check "fresh pins: status not synced, b3 not heard" \
	"$(status_field '[.synced, .sync.by, any(.sync.not_heard[]; . == "b3")]')" '[false,null,true]'
check "fresh pins: metric quicsteer_synced 0" \
	"$(tb_metrics | awk '$1 == "quicsteer_synced" { print $2 }')" 0
check "b3 reports a new ID" "$(ask "issue 2 a1b2c3d4e5f60718a1b2c3d4e5f60718a1b2")" ok
wait_until 30 "health waits for b3's snapshot" health_says "no snapshot yet from b3" &&
	ok "fresh pins: b3 heard, its snapshot is waited for" ||
	not_ok "fresh pins: b3 heard, its snapshot is waited for" "$waited"
check "the watcher stays down meanwhile" "$(last_line "$EV")" down
check "b3 reports a snapshot" \
	"$(ask "snapshot 1:c1d2e3f4a5b6c7d8c1d2e3f4a5b6c7d8c1d2 2:a1b2c3d4e5f60718a1b2c3d4e5f60718a1b2")" ok
wait_until 30 "health says healthy" healthy && ok "fresh pins: healthy after b3's snapshot" ||
	not_ok "fresh pins: healthy after b3's snapshot" "$waited"
check "fresh pins: synced by the backends" "$(status_field '[.synced, .sync.by]')" '[true,"backends"]'
wait_until 30 "the watcher runs --up" output_is up last_line "$EV" &&
	ok "watcher: --up once the fresh agent is synced" ||
	not_ok "watcher: --up once the fresh agent is synced" "$waited"

# ---- a command that fails runs again ----
EV2=$TB_DIR/w2.events
watch_start w2 --rise 1 --up "[ -e $TB_DIR/bird-up ] && echo up >>$EV2" --down "echo down >>$EV2"
W2=$WATCH_PID
wait_until 30 "the second watcher's --up fails" grep -q -- "--up: exit status 1" "$TB_DIR/w2.log" &&
	ok "watcher: a failing --up is reported" || not_ok "watcher: a failing --up is reported" "$waited"
touch "$TB_DIR/bird-up"
wait_until 30 "the second watcher's --up runs again and succeeds" output_is "down up" lines "$EV2" &&
	ok "watcher: the failed --up runs again until it succeeds" ||
	not_ok "watcher: the failed --up runs again until it succeeds" "$waited"
kill -TERM "$W2"
wait_exit 30 "$W2" "the second watcher (after SIGTERM)" >/dev/null

# ---- SIGTERM ends the watcher with --down ----
n=$(wc -l <"$EV")
kill -TERM "$W"
wait_exit 30 "$W" "the watcher (after SIGTERM)"
check "watcher: exit status 0 on SIGTERM" "$?" 0
check "watcher: --down on SIGTERM" "$(tail -n +$((n + 1)) "$EV")" down
has "watcher: a line per transition" "$(cat "$TB_DIR/w.log")" "down: stopped by SIGTERM"
[ "$failed" -eq 0 ] || sed 's/^/# watcher: /' "$TB_DIR/w.log" | tail -n 20
exec 3>&- 4<&-
tb_test_end
