#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Run-time changes over quicsteerd's control socket, in a namespace of its
# own: a backend added at run time takes new connections (client Initials
# run through the attached router); drained, it takes none while an ID it
# reported still routes to it; deleted, its IDs go. A bad command (unknown
# object or backend, bad address, missing argument, a change the
# configuration check refuses) answers ok:false naming the problem and
# changes nothing, by `show`. `show` is a configuration quicsteerd --check
# accepts, and a SIGHUP reload from the file drops run-time changes, as
# documented. Guards against a run-time change that half applies or that
# the data path does not follow.
#
# Usage: tests/netns/test-control.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
. "$(dirname "$0")/lib.sh"
hasnt()
{
	if echo "$2" | grep -qF -- "$3"; then not_ok "$1" "'$3' in: $(echo "$2" | head -c 300)"; else ok "$1"; fi
}

KEY_A=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY_B=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
CID=b1d2e3f4a5b6c7d8
TO_A="action=3 dmac=02:00:00:00:00:0a"
TO_B="action=3 dmac=02:00:00:00:00:0b"
DROP="action=1 dmac=00:00:00:00:00:00"

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF
pin-dir /sys/fs/bpf/qs-control
control-socket $DIR/control.sock
report-listen unix $DIR/reports.sock
heartbeat-timeout off
interface qsct0
vip web 198.18.0.100 443
nexthop n dev qsct0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a key-file $DIR/a.key
EOF
}

ctl() { "$PROBE" control "$DIR/control.sock" "v1 $1"; }
show() { ctl show | jq -r .config; }
route() { "$PROBE" route qsct0 "$2" 198.18.0.100 443 "$1"; }
report() { "$PROBE" report "$DIR/reports.sock" "$KEY_B" 2 0x77 "$1" 198.18.0.100 443 "$2" "$CID"; }

# $2 Initials to web from client $1, ports 10000...: "n_a=N n_b=N n_other=N".
initials()
{
	"$PROBE" initial qsct0 "$1:10000" 198.18.0.100 443 "$2" |
		awk -v a="$TO_A" -v b="$TO_B" '$0 == a { na++; next } $0 == b { nb++; next } { no++ }
			END { printf "n_a=%d n_b=%d n_other=%d\n", na, nb, no }'
}

# drained_now: 64 Initials from a client address not used before (a routed
# Initial records its address) all go to a; $r says where they went.
_dr_i=0
drained_now()
{
	_dr_i=$((_dr_i + 1))
	r=$(initials "198.18.$((31 + _dr_i / 250)).$((_dr_i % 250 + 1))" 64)
	echo "$r"
	[ "$r" = "n_a=64 n_b=0 n_other=0" ]
}

one_backend() { ctl status | grep -F '"backends":1'; }

# A command the agent must refuse: ok:false, the message, nothing changed.
refused()
{
	before=$(show)
	answer=$(ctl "$2")
	has "$1: refused" "$answer" '"ok":false'
	has "$1: says why" "$answer" "$3"
	check "$1: show unchanged" "$(show)" "$before"
}

add_drain_del()
{
	n_a=0 n_b=0 n_other=0 # set by eval "$(initials ...)"
	check "before: every new connection goes to a" "$(initials 198.18.30.1 32)" \
		"n_a=32 n_b=0 n_other=0"
	has "backend add" "$(ctl "backend add b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b key-file $DIR/b.key")" '"ok":true'
	has "backend add: status counts it" "$(ctl status)" '"backends":2'
	check "backend add: show has its line" "$(show | grep '^backend b ')" \
		"backend b 198.18.1.11 id 2 vip web weight 1 state active lladdr 02:00:00:00:00:0b key-file $DIR/b.key"
	r=$(initials 198.18.30.2 64)
	eval "$r"
	if [ "$n_a" -gt 0 ] && [ "$n_b" -gt 0 ] && [ "$n_other" -eq 0 ]; then
		ok "backend add: new connections go to a and b ($r)"
	else
		not_ok "backend add: new connections go to a and b" "got $r"
	fi
	report 1 issue
	# the agent applies it on its own time: an unknown ID from an unknown
	# address is dropped and leaves nothing behind, so poll from there
	wait_until 30 "b's reported ID routes to b" output_is "$TO_B" route $CID 198.18.5.1
	check "backend add: its key works, its reported ID routes to it" \
		"$(route $CID 198.18.5.1)" "$TO_B"

	has "backend drain" "$(ctl "backend drain b")" '"ok":true'
	has "backend drain: show says draining" "$(show)" "backend b 198.18.1.11 id 2 vip web weight 1 state draining"
	check "backend drain: no new connections for b" "$(initials 198.18.30.3 64)" \
		"n_a=64 n_b=0 n_other=0"
	check "backend drain: its reported ID still routes to it" "$(route $CID 198.18.5.2)" "$TO_B"
	has "backend undrain" "$(ctl "backend undrain b")" '"ok":true'
	r=$(initials 198.18.30.4 64)
	eval "$r"
	if [ "$n_b" -gt 0 ] && [ "$n_other" -eq 0 ]; then ok "backend undrain: b takes new connections again"; else not_ok "backend undrain: b takes new connections" "got $r"; fi
	has "backend set weight and state" "$(ctl "backend set b weight 0 state down")" '"ok":true'
	has "backend set: show has both" "$(show)" "backend b 198.18.1.11 id 2 vip web weight 0 state down"
	has "backend set back" "$(ctl "backend set b state active weight 1")" '"ok":true'

	# a drain request is b's own state, not its configuration: a change must not keep it
	"$PROBE" report "$DIR/reports.sock" "$KEY_B" 2 0x77 2 198.18.0.100 443 drain
	# applied on the agent's next tick (a second); the bound only stops a
	# broken agent from hanging the test
	wait_until 30 "b's drain request takes effect" drained_now
	check "drain request: b takes no new connections" "$r" "n_a=64 n_b=0 n_other=0"
	has "drain request, then a change" "$(ctl "vip add web2 198.18.0.101 443")" '"ok":true'
	has "drain request: show keeps b's configured state" "$(show | grep '^backend b ')" \
		"state active"
	ctl "vip del web2" >/dev/null
	has "backend del" "$(ctl "backend del b")" '"ok":true'
	hasnt "backend del: show has no b" "$(show)" "backend b "
	check "backend del: its ID is gone" "$(route $CID 198.18.5.3)" "$DROP"
	check "backend del: every new connection goes to a" "$(initials 198.18.30.5 32)" \
		"n_a=32 n_b=0 n_other=0"
}

bad_commands()
{
	ctl "backend add b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b" >/dev/null
	refused "unknown object" "frob add x" 'unknown command \"frob\" (expected status, reload, show, attach, detach, monitor, vip, backend, nexthop, quic-lb, cid, flow)'
	refused "unknown verb" "vip frob x" 'vip: unknown verb \"frob\" (expected add, set, del)'
	refused "unknown backend (set)" "backend set nosuch weight 3" 'backend \"nosuch\": no such backend'
	refused "unknown backend (del)" "backend del nosuch" 'backend \"nosuch\": no such backend'
	refused "unknown backend (drain)" "backend drain nosuch" 'backend \"nosuch\": no such backend'
	refused "bad address" "backend add c 198.18.1.300 id 3 vip web" \
		'backend \"c\": address \"198.18.1.300\" is not an IPv4 or IPv6 address'
	refused "missing port" "vip add w2 198.18.0.101" 'vip \"w2\": missing port'
	refused "extra word" "show all" 'show: unexpected \"all\"'
	refused "missing verb" "backend" 'backend: missing verb (expected add, set, del, drain, undrain)'
	refused "missing name" "backend del" 'backend del: missing name'
	refused "duplicate id" "backend add c 198.18.1.12 id 2 vip web" \
		'backend \"c\": id 2 already used by backend \"b\"'
	refused "duplicate name" "vip add web 198.18.0.102 443" 'vip \"web\": name given twice'
	refused "unknown VIP" "backend add c 198.18.1.12 id 3 vip nosuch" 'backend \"c\": unknown vip \"nosuch\"'
	refused "weight out of range" "backend set b weight 70000" \
		'backend \"b\": weight 70000 out of range (0..65535)'
	refused "not settable" "backend set b id 9" 'backend \"b\": cannot set \"id\"'
	refused "missing key file" "backend add c 198.18.1.12 id 3 vip web key-file $DIR/nosuch.key" \
		"backend \\\"c\\\": key-file $DIR/nosuch.key: No such file or directory"
	refused "unknown VIP (del)" "vip del nosuch" 'vip \"nosuch\": no such vip'
	refused "VIP still served" "vip del web" 'backend \"a\": unknown vip \"web\"'
	has "another protocol version: refused" "$("$PROBE" control "$DIR/control.sock" "v9 show")" \
		'"ok":false,"error":"unsupported protocol version'
	has "refused commands: b still routable" "$(initials 198.18.30.6 64)" "n_other=0"
	ctl "backend del b" >/dev/null
}

# QUIC-LB configurations and next hops change at run time too: a backend
# with a server ID in a configuration added at run time is routed by it
# statelessly; a configuration still named by a backend cannot go.
quiclb_nexthop()
{
	refused "nexthop add while a backend names none" \
		"nexthop add n2 dev qsct0 encap-source4 198.18.201.0/24" "nexthop required"
	has "backend del a (names no nexthop)" "$(ctl "backend del a")" '"ok":true'
	has "nexthop add" "$(ctl "nexthop add n2 dev qsct0 encap-source4 198.18.201.0/24")" '"ok":true'
	has "nexthop add: in show" "$(show)" "nexthop n2 dev qsct0"
	has "nexthop del" "$(ctl "nexthop del n2")" '"ok":true'
	hasnt "nexthop del: gone from show" "$(show)" "nexthop n2"
	has "backend add a again" \
		"$(ctl "backend add a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a key-file $DIR/a.key")" \
		'"ok":true'
	has "quic-lb add" \
		"$(ctl "quic-lb add web config 2 mode plaintext server-id-len 2 nonce-len 5")" '"ok":true'
	has "backend add with a server ID" \
		"$(ctl "backend add q 198.18.1.30 id 9 vip web lladdr 02:00:00:00:00:30 server-id web 2 0a0b key-file $DIR/a.key")" \
		'"ok":true'
	check "QUIC-LB ID routes by its server ID, nothing reported" \
		"$(route 400a0b0102030405 198.18.7.1)" "action=3 dmac=02:00:00:00:00:30"
	refused "quic-lb del while a backend names it" "quic-lb del web 2" "server-id"
	refused "nexthop del while backends use it" "nexthop del n" "nexthop"
	has "backend del q" "$(ctl "backend del q")" '"ok":true'
	has "quic-lb del" "$(ctl "quic-lb del web 2")" '"ok":true'
	hasnt "quic-lb del: gone from show" "$(show)" "quic-lb web config 2"
	check "QUIC-LB ID no longer routes" "$(route 400a0b0102030405 198.18.7.2)" "$DROP"
	has "vip set" "$(ctl "vip set web unknown hash cid-len 12")" '"ok":true'
	has "vip set: in show" "$(show)" "cid-len 12 unknown hash"
	check "vip set: an unknown ID from an unknown address is hashed now" \
		"$("$PROBE" route qsct0 198.18.7.3 198.18.0.100 443 0102030405060708090a0b0c | cut -c1-8)" \
		"action=3"
	has "vip set back" "$(ctl "vip set web unknown drop cid-len 8")" '"ok":true'
	check "vip set back: dropped again" "$(route 0102030405060708 198.18.7.4)" "$DROP"
	refused "vip set of its identity" "vip set web id 3" 'cannot set \"id\"'
	refused "vip set of an unknown VIP" "vip set nope learn off" 'no such vip'
	refused "vip set out of range" "vip set web cid-len 21" "cid-len 21 out of range"
	refused "quic-lb del of a configuration that is not there" "quic-lb del web 6" "no such"
}

vips_show_reload()
{
	has "vip add" "$(ctl "vip add web2 198.18.0.101 443 cid-len 12 unknown hash")" '"ok":true'
	has "vip add: show has it with its id" "$(show)" "vip web2 198.18.0.101 443 id 1 cid-len 12 unknown hash"
	show >"$DIR/shown.conf"
	"$AGENT" -c "$DIR/shown.conf" --check 2>"$DIR/check.log"
	check "show: quicsteerd --check accepts it" "$?" 0
	"$AGENT" -c "$DIR/shown.conf" --check 2>&1 | sed 's/^/# /'
	has "vip del" "$(ctl "vip del web2")" '"ok":true'
	hasnt "vip del: show has no web2" "$(show)" "vip web2 "
	ctl "backend add b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b" >/dev/null
	kill -HUP "$AGENT_PID"
	wait_until 30 "the reload drops the run-time backend" one_backend
	has "SIGHUP: the file again, the run-time backend is gone" "$(ctl status)" '"backends":1'
	has "SIGHUP: the agent still answers" "$(ctl status)" '"ok":true'
}

# Clients that misbehave cost the others nothing: one that connects and
# says nothing is dropped at the agent's deadline (5 s; 20 s only bounds a
# broken agent), clients that never read their answers are not waited
# for, and a status and a change are answered meanwhile. At most 64
# connections are served at once: the next is told so, not left waiting.
slow_clients()
{
	"$PROBE" silent "$DIR/control.sock" 20 >"$DIR/silent.out" &
	silent=$!
	unread=
	for i in $(seq 8); do
		"$PROBE" unread "$DIR/control.sock" "v1 show" 15 &
		unread="$unread $!"
	done
	has "slow clients: status answers meanwhile" "$(ctl status)" '"ok":true'
	has "slow clients: a change applies meanwhile" \
		"$(ctl "vip add web3 198.18.0.103 443")" '"ok":true'
	has "slow clients: and another" "$(ctl "vip del web3")" '"ok":true'
	wait_exit 30 "$silent" "the silent client"
	r=$(cat "$DIR/silent.out")
	case $r in
	closed*) ok "a client that sends nothing is dropped (after ${r#closed } ms)" ;;
	*) not_ok "a client that sends nothing is dropped within 20 s" "$r" ;;
	esac
	for pid in $unread; do
		kill "$pid" 2>/dev/null
		wait_exit 30 "$pid" "a client that never reads"
	done
	r=$("$PROBE" crowd "$DIR/control.sock" 64)
	has "a 65th connection is refused with the reason" "$r" \
		'"error":"the agent serves 64 connections already: try again"'
	has "the 64 silent ones are dropped at their deadline" "$r" 'closed 64'
	has "once they are dropped, status answers again" "$(ctl status)" '"ok":true'
}

inner()
{
	ip link set lo up
	ip addr add 198.18.1.1/24 dev qsct0
	echo "$KEY_A" >"$DIR/a.key"
	echo "$KEY_B" >"$DIR/b.key"
	chmod 600 "$DIR/a.key" "$DIR/b.key" # the agent takes no key others may read
	write_config
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }
	check "show answers the configuration, settings first" "$(show | head -1)" \
		"pin-dir /sys/fs/bpf/qs-control"
	add_drain_del
	bad_commands
	quiclb_nexthop
	vips_show_reload
	slow_clients
	stop_agent
	check "SIGTERM: clean exit" "$?" 0
	"$AGENT" -c "$DIR/quicsteer.conf" --detach 2>>"$DIR/agent.log"
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test ct "$AGENT" "$PROBE" jq -- qsct0:qsct1
