#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteerd's report intake end to end, in a namespace of its own, beyond
# what test-agent.sh covers: a new incarnation purges the IDs of the old
# one, whose late datagrams (and replays) are refused; a snapshot repairs
# lost datagrams; reports over UDP, IPv4 and IPv6, work as over the unix
# socket; garbage and malformed datagrams on the UDP listener are counted
# by reason and change nothing; a backend whose heartbeats stop is marked
# down and Maglev sends it no new connections while its existing ones
# still route to it, until it reports again; a captured datagram replayed
# (17 restarts old, after an agent restart, to an agent that remembers
# nothing, an hour old) is refused, and the live backend stays up with its
# IDs routed (issue 11, item 4); an agent upgraded over a version-1 pin
# keeps what it knew; a backlog of datagrams is taken in a bounded number
# at a time (8 a socket and turn), never read until the socket is empty;
# the unix socket is mode 0660 of its group, whatever the umask, and takes
# reports from a backend of that group and from no other user; a backend
# refused IDs past its max-ids, counted as its own, and a reload or a
# backend set that lowers its quota below what it holds (issue 11: a
# stolen key); a handshake report on a VIP of address-entry handshake
# gives the client's address an entry for its backend, on no other VIP and
# not over another backend's entry. Every
# verdict is read from a
# packet run through the attached router (action and destination MAC) or
# from the metrics endpoint; the conformance checks hold the agent to what
# docs/report-protocol.md requires of snapshots and VIPs. Guards against a backend's lost, late or
# forged datagrams sending clients to the wrong server.
#
# Usage: tests/netns/test-agent-reports.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
. "$(dirname "$0")/lib.sh"
key() { printf '%s' "$1" | sha256sum | cut -c1-64; }
KEY_A=$(key a)
KEY_B=$(key b)
KEY_C=$(key c)
KEY_D=$(key d)
KEY_U=$(key u)
KEY_M=$(key m)
KEY_R=$(key r)
KEY_Q=$(key q)
KEY_H=$(key h)
KEY_I=$(key i)
WEB=198.18.0.100
SVC=198.18.0.101
ALT=198.18.0.102
REP=198.18.0.103
QUO=198.18.0.104
HSV=198.18.0.105
HSI=198.18.0.106
QMAX=2 # backend q's max-ids
SOCK= # the unix report socket, set in inner
UDP4=udp:198.18.0.1:4434
UDP6="udp:[fd00::1]:4434"
DROPPED="action=1 dmac=00:00:00:00:00:00"
TO_A="action=3 dmac=02:00:00:00:00:0a"
TO_B="action=3 dmac=02:00:00:00:00:0b"
TO_C="action=3 dmac=02:00:00:00:00:0c"
TO_D="action=3 dmac=02:00:00:00:00:0d"
TO_U="action=3 dmac=02:00:00:00:00:0e"
TO_M="action=3 dmac=02:00:00:00:00:0f"
TO_R="action=3 dmac=02:00:00:00:00:10"
TO_Q="action=3 dmac=02:00:00:00:00:11"
TO_H="action=3 dmac=02:00:00:00:00:12"

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF
pin-dir /sys/fs/bpf/qs-reports
control-socket $DIR/control.sock
metrics-listen 127.0.0.1 9464
report-listen unix $SOCK group 12345
report-listen udp 198.18.0.1 4434
report-listen udp fd00::1 4434
heartbeat-timeout 1s
interface qsar0
vip web $WEB 443
vip svc $SVC 443
vip alt $ALT 443
vip rep $REP 443
vip quo $QUO 443
vip hsv $HSV 443 address-entry handshake
vip hsi $HSI 443 address-entry initial
nexthop n dev qsar0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a key-file $DIR/a.key
backend b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b key-file $DIR/b.key
backend c 198.18.1.12 id 3 vip svc lladdr 02:00:00:00:00:0c key-file $DIR/c.key
backend d 198.18.1.13 id 4 vip svc lladdr 02:00:00:00:00:0d key-file $DIR/d.key
backend u 198.18.1.14 id 5 vip svc lladdr 02:00:00:00:00:0e key-file $DIR/u.key
backend m 198.18.1.15 id 6 vip svc vip alt lladdr 02:00:00:00:00:0f key-file $DIR/m.key
backend r 198.18.1.16 id 7 vip rep lladdr 02:00:00:00:00:10 key-file $DIR/r.key
backend q 198.18.1.17 id 8 vip quo lladdr 02:00:00:00:00:11 key-file $DIR/q.key max-ids $QMAX
backend h 198.18.1.18 id 9 vip hsv lladdr 02:00:00:00:00:12 key-file $DIR/h.key
backend i 198.18.1.19 id 10 vip hsv vip hsi lladdr 02:00:00:00:00:13 key-file $DIR/i.key
EOF
	for b in a b c d u m r q h i; do key $b >"$DIR/$b.key" && chmod 600 "$DIR/$b.key"; done
}

# Sends one datagram (probe arguments) and waits until the agent counted it
# (lib.sh's counted).
dgram() { counted "$PROBE" "$@"; }

# A short-header packet with ID $1 from client $2 to VIP $3 (svc). Every
# check uses a client address of its own: a routed packet records its
# address for the connection, and that address would route unknown IDs.
route() { "$PROBE" route qsar0 "$2" "${3:-$SVC}" 443 "$1"; }

# $3 Initials to web from $1, source ports $2...: "n_a=N n_b=N n_other=N",
# how many went to a, to b, and anywhere else (dropped included).
initials()
{
	"$PROBE" initial qsar0 "$1:$2" "$WEB" 443 "$3" |
		awk -v a="$TO_A" -v b="$TO_B" '$0 == a { na++; next } $0 == b { nb++; next } { no++ }
			END { printf "n_a=%d n_b=%d n_other=%d\n", na, nb, no }'
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The heartbeat waits: 32 Initials from client $1, from ports not used
# before (a routed Initial records its address and port); $r says where
# they went, n_a, n_b and n_other too.
_hb_port=10000
_hb_initials()
{
	r=$(initials "$1" $_hb_port 32)
	_hb_port=$((_hb_port + 32))
	eval "$r"
	echo "$r"
}
all_to_a() { _hb_initials "$1" && [ "$r" = "n_a=32 n_b=0 n_other=0" ]; }
some_to_b() { _hb_initials "$1" && [ "$n_b" -gt 0 ]; }

# Backend c restarts: incarnation 0x1c2 replaces 0x1c1.
incarnation()
{
	X=c1c1c1c1c1c1c101
	Y=c1c1c1c1c1c1c102
	dgram report "$SOCK" "$KEY_C" 3 0x1c1 1 $SVC 443 issue:1:$X
	check "incarnation: ID X of incarnation 1 routes to c" "$(route $X 198.18.11.1)" "$TO_C"
	dgram report "$SOCK" "$KEY_C" 3 0x1c2 1 $SVC 443 issue:1:$Y
	check "incarnation: the new incarnation purged X" "$(route $X 198.18.11.2)" "$DROPPED"
	check "incarnation: ID Y of incarnation 2 routes to c" "$(route $Y 198.18.11.3)" "$TO_C"
	check "incarnation: metrics count the purge" "$(metric quicsteer_ids_purged_total)" 1
	# a datagram of the old process, still in flight, reissuing X
	dgram report "$SOCK" "$KEY_C" 3 0x1c1 2 $SVC 443 issue:2:$X
	check "incarnation: late datagram of incarnation 1 refused" \
		"$(metric 'quicsteer_reports_total{result="stale_incarnation"}')" 1
	check "incarnation: X stays gone" "$(route $X 198.18.11.4)" "$DROPPED"
	check "incarnation: Y still routes to c" "$(route $Y 198.18.11.5)" "$TO_C"
	# the same datagram as incarnation 2's first, now retiring Y
	dgram report "$SOCK" "$KEY_C" 3 0x1c2 1 $SVC 443 retire:$Y
	check "incarnation: replayed sequence refused" \
		"$(metric 'quicsteer_reports_total{result="replay"}')" 1
	check "incarnation: the replay changed nothing" "$(route $Y 198.18.11.6)" "$TO_C"
}

# Backend d loses two datagrams; its snapshot repairs both.
snapshot()
{
	X=d2d2d2d2d2d2d201
	Y=d2d2d2d2d2d2d202
	Z=d2d2d2d2d2d2d203
	ok0=$(metric 'quicsteer_reports_total{result="ok"}')
	dgram report "$SOCK" "$KEY_D" 4 0xd2 1 $SVC 443 issue:1:$X
	dgram report "$SOCK" "$KEY_D" 4 0xd2 2 $SVC 443 issue:2:$Y
	check "snapshot: X routes to d" "$(route $X 198.18.12.1)" "$TO_D"
	check "snapshot: Y routes to d" "$(route $Y 198.18.12.2)" "$TO_D"
	# lost: sequence 3 (retire:X) and 4 (issue:3:Z) are never sent
	check "snapshot: Z, whose issue was lost, does not route" "$(route $Z 198.18.12.3)" "$DROPPED"
	dgram report "$SOCK" "$KEY_D" 4 0xd2 5 $SVC 443 part:1:0:final snap:2:$Y snap:3:$Z
	check "snapshot: all three accepted" "$(metric 'quicsteer_reports_total{result="ok"}')" $((ok0 + 3))
	check "snapshot: X, missing from it, removed" "$(route $X 198.18.12.4)" "$DROPPED"
	check "snapshot: Y, listed, still routes to d" "$(route $Y 198.18.12.5)" "$TO_D"
	check "snapshot: Z, listed, now routes to d" "$(route $Z 198.18.12.6)" "$TO_D"
}

# Backend u reports over UDP, IPv4 and IPv6 listeners.
udp()
{
	U1=e5e5e5e5e5e5e501
	U2=e5e5e5e5e5e5e502
	ok0=$(metric 'quicsteer_reports_total{result="ok"}')
	dgram report $UDP4 "$KEY_U" 5 0xe5 1 $SVC 443 issue:1:$U1
	check "udp: ID reported over IPv4 UDP routes to u" "$(route $U1 198.18.15.1)" "$TO_U"
	dgram report "$UDP6" "$KEY_U" 5 0xe5 2 $SVC 443 issue:2:$U2
	check "udp: ID reported over IPv6 UDP routes to u" "$(route $U2 198.18.15.2)" "$TO_U"
	dgram report $UDP4 "$KEY_U" 5 0xe5 3 $SVC 443 retire:$U1
	check "udp: ID retired over UDP is gone" "$(route $U1 198.18.15.3)" "$DROPPED"
	check "udp: the other ID stays" "$(route $U2 198.18.15.4)" "$TO_U"
	check "udp: three datagrams accepted" "$(metric 'quicsteer_reports_total{result="ok"}')" $((ok0 + 3))
}

# Garbage and malformed datagrams on the UDP listener, all claiming to be
# backend d's next datagram (sequence 6), which is sent intact at the end.
garbage()
{
	T=d4d4d4d4d4d4d401
	CID21=d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4d4 # 21 bytes
	full=$("$PROBE" report - "$KEY_D" 4 0xd2 6 $SVC 443 issue:4:$T)
	ok0=$(metric 'quicsteer_reports_total{result="ok"}')
	ids0=$(metric quicsteer_ids_reported)
	# the registry's heads (2^20 + 2^19 of 4 bytes) and a chunk of 65,536 48-byte records at least
	check "registry memory: tables and a chunk of records" \
		"$([ "$(metric quicsteer_registry_bytes)" -ge $(((3 << 19) * 4 + 65536 * 48)) ] && echo yes)" yes
	dgram raw $UDP4 "$(head -c 200 /dev/urandom | od -An -tx1 | tr -d ' \n')"
	dgram raw $UDP4 "$(echo "$full" | cut -c1-120)"  # 60 bytes: under the minimum
	dgram raw $UDP4 "$(echo "$full" | cut -c1-178)"  # 89 bytes: its record runs into the MAC
	dgram handmade $UDP4 "$KEY_D" 4 0xd2 6 $SVC 443 1 0000000000000004$CID21 # CID_ISSUED, handle 4
	dgram report $UDP4 "$KEY_D" 99 0xd2 6 $SVC 443 issue:4:$T  # backend 99 is not configured
	for r in bad_magic=1 truncated=2 cid_too_long=1 unknown_backend=1; do
		check "garbage: counted as ${r%=*}" \
			"$(metric "quicsteer_reports_total{result=\"${r%=*}\"}")" "${r#*=}"
	done
	check "garbage: none accepted" "$(metric 'quicsteer_reports_total{result="ok"}')" "$ok0"
	check "garbage: reported IDs unchanged" "$(metric quicsteer_ids_reported)" "$ids0"
	check "garbage: the ID they carried does not route" "$(route $T 198.18.14.1)" "$DROPPED"
	check "garbage: d's ID still routes" "$(route d2d2d2d2d2d2d202 198.18.14.2)" "$TO_D"
	check "garbage: u's ID still routes" "$(route e5e5e5e5e5e5e502 198.18.14.3)" "$TO_U"
	dgram raw $UDP4 "$full"
	check "garbage: the intact datagram, same sequence, accepted after them" \
		"$(metric 'quicsteer_reports_total{result="ok"}')" $((ok0 + 1))
	check "garbage: its ID routes to d" "$(route $T 198.18.14.4)" "$TO_D"
}

# Backends a and b serve web. b stops sending heartbeats: after
# heartbeat-timeout (1 s, checked on the agent's 1 s tick) it is marked
# down and Maglev gives it no new connections, while the connection it
# reported still routes to it; when it reports again it takes new ones.
# The waits' bounds (30 s) only keep a broken agent from hanging the test.
heartbeats()
{
	B1=b3b3b3b3b3b3b301
	pa=quicsteer_backend_packets_total'{backend="a",id="1"}'
	pb=quicsteer_backend_packets_total'{backend="b",id="2"}'
	n_a=0 n_b=0 n_other=0 # set by eval "$(initials ...)"
	# Backends that came back up before this part: the ones above report
	# with gaps of heartbeat-timeout (1 s) or more on a slow machine, and
	# flap; during this part only b may come back.
	up0=$(metric quicsteer_backends_up_total)
	b_up0=$(grep -c 'backend b: reporting again: up' "$DIR/agent.log")
	dgram report "$SOCK" "$KEY_B" 2 0xb3 1 $WEB 443 issue:1:$B1
	check "heartbeat: b's connection routes to b" "$(route $B1 198.18.13.1 $WEB)" "$TO_B"
	# a heartbeat every 200 ms: a rate, part of the scenario (five in each
	# heartbeat-timeout)
	"$PROBE" heartbeat "$SOCK" "$KEY_A" 1 0xa3 1 200 2>>"$DIR/heartbeat.log" &
	HB_A=$!
	"$PROBE" heartbeat "$SOCK" "$KEY_B" 2 0xb3 2 200 2>>"$DIR/heartbeat.log" &
	HB_B=$!
	r=$(initials 198.18.30.1 10000 64)
	eval "$r"
	if [ "$n_a" -gt 0 ] && [ "$n_b" -gt 0 ] && [ "$n_other" -eq 0 ]; then
		ok "heartbeat: new connections go to a and b ($r)"
	else
		not_ok "heartbeat: new connections go to a and b" "got $r"
	fi

	kill "$HB_B" && wait_exit 30 "$HB_B" "b's heartbeat loop (after SIGTERM)"
	HB_B=
	t0=$(now_ms)
	_hb_port=10000
	if wait_until 30 "b stops taking new connections" all_to_a 198.18.30.2; then
		ok "heartbeat: b takes no new connections $(($(now_ms) - t0)) ms after its last heartbeat"
	else
		not_ok "heartbeat: b stops taking new connections within 30 s" "still $r"
	fi
	pa0=$(metric "$pa")
	pb0=$(metric "$pb")
	check "heartbeat: b down: 64 new connections all go to a" \
		"$(initials 198.18.30.3 10000 64)" "n_a=64 n_b=0 n_other=0"
	check "heartbeat: b down: metrics count them for a" "$(metric "$pa")" $((pa0 + 64))
	check "heartbeat: b down: metrics count none for b" "$(metric "$pb")" "$pb0"
	check "heartbeat: b down: its connection still routes to b" \
		"$(route $B1 198.18.13.2 $WEB)" "$TO_B"
	has "heartbeat: the agent logs b down" "$(cat "$DIR/agent.log")" \
		"backend b: heartbeats stopped: down"
	# every backend that stopped reporting went down, b among them
	down=$(metric quicsteer_backends_down_total)
	if [ "${down:-0}" -ge 1 ]; then ok "heartbeat: metrics count backends going down ($down)"; else not_ok "heartbeat: metrics count backends going down" "got '$down'"; fi

	"$PROBE" heartbeat "$SOCK" "$KEY_B" 2 0xb3 1000 200 2>>"$DIR/heartbeat.log" &
	HB_B=$!
	t0=$(now_ms)
	_hb_port=10000
	wait_until 30 "b takes new connections again" some_to_b 198.18.30.4
	if [ "$n_b" -gt 0 ] && [ "$n_other" -eq 0 ]; then
		ok "heartbeat: b takes new connections again $(($(now_ms) - t0)) ms after it reports"
	else
		not_ok "heartbeat: b takes new connections again within 30 s" "still $r"
	fi
	has "heartbeat: the agent logs b up" "$(cat "$DIR/agent.log")" "backend b: reporting again: up"
	# the metric counts every backend: one of the flapping ones may come
	# back meanwhile, so it counts b and perhaps more; the log names b
	up=$(($(metric quicsteer_backends_up_total) - up0))
	if [ "$up" -ge 1 ]; then ok "heartbeat: metrics count b coming back ($up since the part began)"; else not_ok "heartbeat: metrics count b coming back" "got $up"; fi
	check "heartbeat: b came back once (agent log)" \
		"$(($(grep -c 'backend b: reporting again: up' "$DIR/agent.log") - b_up0))" 1
	check "heartbeat: b's connection routes to b" "$(route $B1 198.18.13.3 $WEB)" "$TO_B"
	kill "$HB_A" "$HB_B"
	wait_exit 30 "$HB_A" "a's heartbeat loop (after SIGTERM)"
	wait_exit 30 "$HB_B" "b's heartbeat loop (after SIGTERM)"
	HB_A=
	HB_B=
	check "heartbeat: a, whose heartbeats went on, never went down" \
		"$(grep -c 'backend a: heartbeats stopped' "$DIR/agent.log")$(cat "$DIR/heartbeat.log")" 0
}

# Issue 11, a backend's key in the wrong hands: d's reports against c's
# IDs (a retire of an ID c issues a moment later, an ID d issues first);
# and one backend's (m's) snapshots of two VIPs at once, their parts
# interleaved, each repairing its own VIP.
hostile()
{
	T=e4e4e4e4e4e4e401
	E=e4e4e4e4e4e4e402
	dgram report "$SOCK" "$KEY_D" 4 0xe4 1 $SVC 443 retire:$T issue:1:$E
	c0=$(metric quicsteer_id_conflicts_total)
	dgram report "$SOCK" "$KEY_C" 3 0x2e3 1 $SVC 443 issue:1:$T issue:2:$E
	check "hostile: d's retire of an ID does not refuse c's issue of it" \
		"$(route $T 198.18.19.1)" "$TO_C" "d's tombstone squats c's ID"
	check "hostile: c's claim of an ID d issued first is refused and counted, d keeps it" \
		"$(route $E 198.18.19.2) $(metric quicsteer_id_conflicts_total)" "$TO_D $((c0 + 1))"
	X1=e6e6e6e6e6e6e601
	X2=e6e6e6e6e6e6e602
	Q1=e6e6e6e6e6e6e603
	Q2=e6e6e6e6e6e6e604
	dgram report "$SOCK" "$KEY_M" 6 0xe6 1 $SVC 443 issue:1:$X1
	dgram report "$SOCK" "$KEY_M" 6 0xe6 2 $ALT 443 issue:2:$X2
	# lost: the retires of X1 and X2, the issues of Q1 and Q2
	dgram report "$SOCK" "$KEY_M" 6 0xe6 3 $SVC 443 part:7:0
	dgram report "$SOCK" "$KEY_M" 6 0xe6 4 $ALT 443 part:8:0
	dgram report "$SOCK" "$KEY_M" 6 0xe6 5 $SVC 443 part:7:1:final snap:3:$Q1
	dgram report "$SOCK" "$KEY_M" 6 0xe6 6 $ALT 443 part:8:1:final snap:4:$Q2
	check "hostile: interleaved snapshots of svc and alt each remove their VIP's unlisted ID" \
		"$(route $X1 198.18.19.3) $(route $X2 198.18.19.4 $ALT)" "$DROPPED $DROPPED"
	check "hostile: interleaved snapshots of svc and alt each add their VIP's lost ID" \
		"$(route $Q1 198.18.19.5) $(route $Q2 198.18.19.6 $ALT)" "$TO_M $TO_M"
}

# What docs/report-protocol.md requires of snapshots and VIPs (each found
# missing once, now fixed), each with a fresh incarnation so that nothing
# above depends on them.
conformance()
{
	# c's incarnations so far were 0x1c1 and 0x1c2: a later one is greater
	A=f1f1f1f1f1f1f101
	dgram report "$SOCK" "$KEY_C" 3 0x2f1 1 $SVC 443 issue:1:$A
	check "spec: set-up: A routes to c" "$(route $A 198.18.16.11)" "$TO_C"
	dgram report "$SOCK" "$KEY_C" 3 0x2f1 2 $SVC 443 snap:1:$A part:1:0:final
	check "spec: a snapshot's part record may come after its IDs" \
		"$(route $A 198.18.16.1)" "$TO_C" "the IDs before the part are ignored, then removed"
	W=f2f2f2f2f2f2f201
	dgram report "$SOCK" "$KEY_C" 3 0x2f1 3 $WEB 443 issue:1:$W
	check "spec: a report for a VIP its backend does not serve is refused" \
		"$(metric 'quicsteer_reports_total{result="unknown_vip"}') $(route $W 198.18.16.2 $WEB)" \
		"1 $DROPPED" "accepted: c's ID routes on web"
	S=f3f3f3f3f3f3f301
	V=f3f3f3f3f3f3f302
	dgram report "$SOCK" "$KEY_M" 6 0xf3 1 $SVC 443 issue:1:$S
	dgram report "$SOCK" "$KEY_M" 6 0xf3 2 $ALT 443 issue:2:$V
	check "spec: set-up: V routes to m on alt" "$(route $V 198.18.16.13 $ALT)" "$TO_M"
	dgram report "$SOCK" "$KEY_M" 6 0xf3 3 $SVC 443 part:1:0:final snap:1:$S
	check "spec: a snapshot of one VIP leaves the backend's IDs on another" \
		"$(route $V 198.18.16.3 $ALT)" "$TO_M" "the snapshot of svc removed m's ID on alt"
	P0=f4f4f4f4f4f4f400
	P1=f4f4f4f4f4f4f401
	dgram report "$SOCK" "$KEY_D" 4 0xf4 1 $SVC 443 issue:1:$P0 issue:2:$P1
	check "spec: set-up: P1 routes to d" "$(route $P1 198.18.16.14)" "$TO_D"
	dgram report "$SOCK" "$KEY_D" 4 0xf4 2 $SVC 443 part:1:0 snap:1:$P0
	# lost: sequence 3, part:1:1 snap:2:$P1
	dgram report "$SOCK" "$KEY_D" 4 0xf4 4 $SVC 443 part:1:2:final
	check "spec: a snapshot with a lost part is not applied" \
		"$(route $P1 198.18.16.4)" "$TO_D" "applied: the lost part's ID removed"
	Q=f5f5f5f5f5f5f501
	dgram report "$SOCK" "$KEY_U" 5 0xf5 1 $SVC 443 issue:1:$Q
	dgram report "$SOCK" "$KEY_U" 5 0xf5 2 $SVC 443 part:1:0
	dgram report "$SOCK" "$KEY_U" 5 0xf5 3 $SVC 443 retire:$Q
	check "spec: set-up: Q retired" "$(route $Q 198.18.16.15)" "$DROPPED"
	dgram report "$SOCK" "$KEY_U" 5 0xf5 4 $SVC 443 part:1:1:final snap:1:$Q
	check "spec: an ID retired since the snapshot began stays retired" \
		"$(route $Q 198.18.16.5)" "$DROPPED" "the later part brought it back"
}

# Issue 11, item 4: one captured datagram replayed locked a backend out.
# Backend r, alone on VIP rep, restarts 17 times; a datagram of its first
# incarnation, captured then, is replayed to the agent, to the agent
# restarted over its pins, and to an agent that has lost what it knew of r
# (its pin removed, as a reboot loses it); a datagram of the live
# incarnation sent an hour ago too. None is taken: r's heartbeats go on
# being accepted, r stays up (new connections to rep go to r, the log never
# says it went down) and its live ID keeps routing.
ok_reports() { metric 'quicsteer_reports_total{result="ok"}'; }
_oks_beyond() { [ "$(ok_reports)" -ge "$1" ]; }
_result_reaches() { [ "$(metric "quicsteer_reports_total{result=\"$1\"}")" -ge "$2" ] 2>/dev/null; }
# refused_as RESULT N COMMAND...: sends a datagram while a heartbeat loop
# runs (counted cannot tell the two apart) and waits until the agent has
# counted N datagrams under RESULT.
refused_as()
{
	_ra=$1 _rn=$2
	shift 2
	"$@" || not_ok "send a report: $*" "exit status $?"
	wait_until 30 "$_rn datagrams counted as $_ra" _result_reaches "$_ra" "$_rn"
}
replay_attack()
{
	OLD=a7a7a7a7a7a7a700
	LIVE=a7a7a7a7a7a7a701
	stale0=$(metric 'quicsteer_reports_total{result="stale_incarnation"}')
	# captured: a datagram of the first incarnation, and one its clock says is an hour old
	old=$("$PROBE" report - "$KEY_R" 7 0x7000 1 $REP 443 issue:1:$OLD)
	hour=$("$PROBE" report - "$KEY_R" 7 0x7000 2 $REP 443 age:3600000 issue:2:$OLD)
	dgram raw "$SOCK" "$old"
	check "replay: set-up: the first incarnation's ID routes to r" \
		"$(route $OLD 198.18.17.1 $REP)" "$TO_R"
	for i in $(seq 1 17); do
		dgram report "$SOCK" "$KEY_R" 7 $((0x7000 + i)) 1 $REP 443 issue:1:$LIVE
	done
	check "replay: set-up: 17 restarts later the first one's ID is gone" \
		"$(route $OLD 198.18.17.2 $REP)" "$DROPPED"
	"$PROBE" heartbeat "$SOCK" "$KEY_R" 7 0x7011 2 200 2>>"$DIR/heartbeat.log" &
	HB_R=$!

	refused_as stale_incarnation $((stale0 + 1)) "$PROBE" raw "$SOCK" "$old"
	check "replay: a datagram 17 restarts old is refused as stale" \
		"$(metric 'quicsteer_reports_total{result="stale_incarnation"}')" $((stale0 + 1))
	check "replay: it purged nothing: the live ID routes to r" \
		"$(route $LIVE 198.18.17.3 $REP)" "$TO_R"
	check "replay: it brought nothing back" "$(route $OLD 198.18.17.4 $REP)" "$DROPPED"

	stop_agent KILL
	start_agent && ok "replay: agent restarts over its pins" ||
		not_ok "replay: agent restarts" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	refused_as stale_incarnation 1 "$PROBE" raw "$SOCK" "$old"
	check "replay: after the restart, the old datagram is still refused" \
		"$(metric 'quicsteer_reports_total{result="stale_incarnation"}')" 1
	refused_as stale_timestamp 1 "$PROBE" raw "$SOCK" "$hour"
	check "replay: a datagram sent an hour ago is refused as stale" \
		"$(metric 'quicsteer_reports_total{result="stale_timestamp"}')" 1
	check "replay: after the restart, the live ID routes to r" \
		"$(route $LIVE 198.18.17.5 $REP)" "$TO_R"
	# two heartbeat timeouts' worth of r's heartbeats, every one taken
	ok0=$(ok_reports)
	wait_until 30 "ten more of r's heartbeats taken" _oks_beyond $((ok0 + 10)) ||
		not_ok "replay: r's heartbeats are taken" "$waited"
	check "replay: r stays up: new connections to rep go to r" \
		"$("$PROBE" initial qsar0 198.18.17.6:10000 $REP 443 8 | sort | uniq -c |
			awk '{ $1 = $1 } 1')" "8 $TO_R"
	check "replay: r was never marked down" \
		"$(grep -c 'backend r: heartbeats stopped' "$DIR/agent.log")" 0
	check "replay: of r's datagrams only the replays were refused" \
		"$(metric 'quicsteer_reports_total{result="stale_incarnation"}') \
$(metric 'quicsteer_reports_total{result="replay"}')" "1 0"
	kill "$HB_R" && wait_exit 30 "$HB_R" "r's heartbeat loop (after SIGTERM)"
	HB_R=

	# An agent that remembers nothing of r: its report state removed, as a
	# reboot removes it (the IDs it adopts from qs_cids stay r's).
	stop_agent KILL
	rm -f /sys/fs/bpf/qs-reports/qs_reporters_v2
	start_agent && ok "replay: agent starts without r's report state" ||
		not_ok "replay: agent starts afresh" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	dgram raw "$SOCK" "$hour"
	check "replay: to an agent that remembers nothing, the hour-old datagram is refused" \
		"$(metric 'quicsteer_reports_total{result="stale_timestamp"}') $(route $OLD 198.18.17.7 $REP)" \
		"1 $DROPPED"
	dgram report "$SOCK" "$KEY_R" 7 0x7011 100000 $REP 443 part:1:0:final snap:1:$LIVE
	dgram raw "$SOCK" "$old"
	check "replay: once the live incarnation is heard, the old one is refused" \
		"$(metric 'quicsteer_reports_total{result="stale_incarnation"}')" 1
	check "replay: the live ID routes to r" "$(route $LIVE 198.18.17.8 $REP)" "$TO_R"
	check "replay: the old ID does not" "$(route $OLD 198.18.17.9 $REP)" "$DROPPED"
}

# A backlog is taken in in bounded turns, never in one read until the
# socket is empty: backend u's 400 heartbeats wait in the UDP listener
# while the agent is stopped (SIGSTOP); once it runs again, a turn of the
# intake thread reads at most 8 datagrams of a socket (INTAKE_DGRAMS in
# userspace/agent/reports.c), so the backlog takes at least 50 turns. A
# loop that read until EAGAIN takes it in one or two. Last: u comes back up.
backlog()
{
	n=400
	ok0=$(metric 'quicsteer_reports_total{result="ok"}')
	seen0=$(reports_seen)
	turns0=$(metric quicsteer_intake_turn_seconds_count)
	kill -STOP "$AGENT_PID"
	# u was last at incarnation 0x5eee (upgrade): a later one is greater
	"$PROBE" burst $UDP4 "$KEY_U" 5 0x6006 1 $n
	rc=$?
	kill -CONT "$AGENT_PID"
	check "backlog: $n datagrams queued while the agent is stopped" "$rc" 0
	wait_until 30 "the agent counts the backlog" _reports_beyond $((seen0 + n - 1)) ||
		not_ok "backlog: the agent counts every datagram" "$waited"
	turns=$(($(metric quicsteer_intake_turn_seconds_count) - turns0))
	if [ "$turns" -ge $((n / 8)) ]; then
		ok "backlog: read at most 8 datagrams a turn ($n in $turns turns)"
	else
		not_ok "backlog: read at most 8 datagrams a turn" "$n datagrams in $turns turns, want $((n / 8)) or more"
	fi
	check "backlog: every datagram accepted" \
		"$(($(metric 'quicsteer_reports_total{result="ok"}') - ok0))" $n
}

# An agent upgraded over the pin of an agent from before report protocol
# version 2: qs_reporters (no version) says backend u (id 5) was at
# incarnation 0x5eed, sequence 9, in version 1. The agent takes that over
# (with report-accept-v1 on, as during an upgrade of the backends), removes
# the old pin, holds u's version-1 datagrams to it, takes u's first
# version-2 datagram and from then on refuses version 1 from u.
upgrade()
{
	PINS=/sys/fs/bpf/qs-reports
	stop_agent
	rm -f "$PINS/qs_reporters_v2"
	# incarnation, sequence (little-endian u64s), 16 replaced incarnations
	value="0xed 0x5e 0 0 0 0 0 0 9 0 0 0 0 0 0 0$(printf ' 0%.0s' $(seq 128))"
	# shellcheck disable=SC2086
	bpftool map create "$PINS/qs_reporters" type array key 4 value 144 entries 4096 \
		name qs_reporters && bpftool map update pinned "$PINS/qs_reporters" key 5 0 0 0 \
		value $value || not_ok "upgrade: set-up: an old qs_reporters pin" "bpftool failed"
	echo "report-accept-v1 on" >>"$DIR/quicsteer.conf"
	start_agent && ok "upgrade: agent starts over an old qs_reporters pin" ||
		not_ok "upgrade: agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	check "upgrade: the old pin is removed" "$(ls "$PINS/qs_reporters" 2>/dev/null)" ""
	has "upgrade: the agent says it took the old state over" "$(cat "$DIR/agent.log")" \
		"report state of 1 backends taken over as version 1, pin removed"
	V=e6e6e6e6e6e6e601
	dgram report "$SOCK" "$KEY_U" 5 0x5eed 9 $SVC 443 v1 issue:1:$V
	check "upgrade: u's version-1 sequence 9 is a replay, as before the upgrade" \
		"$(metric 'quicsteer_reports_total{result="replay"}') $(route $V 198.18.18.1)" \
		"1 $DROPPED"
	dgram report "$SOCK" "$KEY_U" 5 0x5eed 10 $SVC 443 v1 issue:1:$V
	check "upgrade: u's version-1 sequence 10 is taken" "$(route $V 198.18.18.2)" "$TO_U"
	W=e6e6e6e6e6e6e602
	dgram report "$SOCK" "$KEY_U" 5 0x5eee 1 $SVC 443 issue:1:$W
	check "upgrade: u's first version-2 datagram replaces its version-1 incarnation" \
		"$(route $W 198.18.18.3) $(route $V 198.18.18.4)" "$TO_U $DROPPED"
	dgram report "$SOCK" "$KEY_U" 5 0x5eed 11 $SVC 443 v1 issue:2:$V
	check "upgrade: then version 1 from u is refused" \
		"$(metric 'quicsteer_reports_total{result="v1_downgrade"}') $(route $V 198.18.18.5)" \
		"1 $DROPPED"
	check "upgrade: and u's version-2 ID stays" "$(route $W 198.18.18.6)" "$TO_U"
}

# The unix report socket (issue 11): mode 0660, of the listener's group,
# whatever the umask; a backend running in that group reports through it,
# another user cannot. Backend d, last: its return counts nowhere.
socket_group()
{
	check "unix socket: mode 0660, the agent's user, the listener's group" \
		"$(stat -c '%a %u %g' "$SOCK")" "660 0 12345"
	chmod 711 "$DIR" # the backends' users reach the socket in it
	ok0=$(metric 'quicsteer_reports_total{result="ok"}')
	counted setpriv --reuid 12345 --regid 12345 --clear-groups \
		"$PROBE" report "$SOCK" "$KEY_D" 4 0xf7 1 - 0 heartbeat
	check "unix socket: a backend in the group reports through it" \
		"$(metric 'quicsteer_reports_total{result="ok"}')" $((ok0 + 1))
	out=$(setpriv --reuid 12346 --regid 12346 --clear-groups \
		"$PROBE" report "$SOCK" "$KEY_D" 4 0xf7 2 - 0 heartbeat 2>&1)
	check "unix socket: another user cannot send (exit status)" "$?" 1
	has "unix socket: another user cannot send" "$out" "Permission denied"
}

# Issue 11, a backend's key in the wrong hands floods IDs: backend q, alone
# on VIP quo, may hold QMAX. What a reload does to IDs a backend holds past
# a quota it lowers: they stay, and the next is refused until it is under.
q_metric() { metric "quicsteer_backend_$1{backend=\"q\",id=\"8\"}"; }
quota_of_q() { echo "$(q_metric ids) $(q_metric max_ids) $(q_metric ids_over_quota_total)"; }
reload_quota()
{
	QMAX=$1
	write_config
	has "quota: reload with q's max-ids $1" \
		"$("$PROBE" control "$DIR/control.sock" "v1 reload")" '"ok":true'
}
quota()
{
	Q1=d8d8d8d8d8d8d801
	Q2=d8d8d8d8d8d8d802
	Q3=d8d8d8d8d8d8d803
	Q4=d8d8d8d8d8d8d804
	dgram report "$SOCK" "$KEY_Q" 8 0xd8 1 $QUO 443 issue:1:$Q1 issue:2:$Q2 issue:3:$Q3
	check "quota: q's first two IDs route to q, the third past max-ids 2 is refused" \
		"$(route $Q1 198.18.21.1 $QUO) $(route $Q2 198.18.21.2 $QUO) $(route $Q3 198.18.21.3 $QUO)" \
		"$TO_Q $TO_Q $DROPPED"
	check "quota: q holds 2 of 2, 1 refused (ids, max_ids, over quota)" "$(quota_of_q)" "2 2 1"
	check "quota: the refusal in the total" "$(metric quicsteer_ids_over_quota_total)" 1
	has "quota: status shows q's IDs against its quota" \
		"$("$PROBE" control "$DIR/control.sock" "v1 status")" \
		'{"name":"q","id":8,"ids":2,"max_ids":2,"over_quota":1}'
	has "quota: the agent logs q refused" "$(cat "$DIR/agent.log")" \
		"backend q: holds 2 IDs, its max-ids 2: 1 of its new IDs refused"
	reload_quota 1
	check "quota: a lower quota removes none of q's IDs" \
		"$(route $Q1 198.18.21.4 $QUO) $(route $Q2 198.18.21.5 $QUO)" "$TO_Q $TO_Q"
	dgram report "$SOCK" "$KEY_Q" 8 0xd8 2 $QUO 443 issue:4:$Q4
	check "quota: past the lowered quota q's new ID is refused" \
		"$(route $Q4 198.18.21.6 $QUO) $(quota_of_q)" "$DROPPED 2 1 2"
	dgram report "$SOCK" "$KEY_Q" 8 0xd8 3 $QUO 443 retire:$Q1 issue:4:$Q4
	check "quota: one retired, q is at its quota still: refused again" \
		"$(route $Q4 198.18.21.7 $QUO) $(route $Q1 198.18.21.8 $QUO) $(quota_of_q)" \
		"$DROPPED $DROPPED 1 1 3"
	reload_quota 3
	dgram report "$SOCK" "$KEY_Q" 8 0xd8 4 $QUO 443 issue:4:$Q4 issue:3:$Q3
	check "quota: raised to 3, q takes new IDs again" \
		"$(route $Q4 198.18.21.9 $QUO) $(route $Q3 198.18.21.10 $QUO) $(quota_of_q)" \
		"$TO_Q $TO_Q 3 3 3"
	# at run time, as an operator would cut a stolen key short
	has "quota: backend set q max-ids 2" \
		"$("$PROBE" control "$DIR/control.sock" "v1 backend set q max-ids 2")" '"ok":true'
	Q5=d8d8d8d8d8d8d805
	dgram report "$SOCK" "$KEY_Q" 8 0xd8 5 $QUO 443 issue:5:$Q5
	check "quota: set to 2 at run time, q keeps its 3 IDs and is refused a fourth" \
		"$(route $Q5 198.18.21.11 $QUO) $(route $Q2 198.18.21.12 $QUO) $(quota_of_q)" \
		"$DROPPED $TO_Q 3 2 4"
}

# address-entry handshake (VIP hsv): a handshake report gives its client's
# address an entry for the reporting backend, written by the agent, and an
# unknown ID from that address is then learned for that backend; a second
# backend's handshake for the same address does not take the entry over; a
# forged report writes nothing, and on a VIP of address-entry initial
# (hsi) a handshake report writes nothing either; a backend writes at
# most its max-ids of them per flow-idle.
# an ID never seen before on every call (called in subshells: no counter)
hs_route() { route "e5e5$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" "$1" "$2"; }
hs_routes_to_h() { [ "$(hs_route 198.18.31.1 $HSV)" = "$TO_H" ]; }
hs_present() { [ "$(metric quicsteer_handshake_entries_present_total)" = 1 ]; }
handshakes()
{
	check "handshake: before any report, an unknown ID from the client is dropped" \
		"$(hs_route 198.18.31.1 $HSV)" "$DROPPED"
	bad0=$(metric 'quicsteer_reports_total{result="bad_mac"}')
	dgram report "$SOCK" "$KEY_I" 9 0x9 1 $HSV 443 hs:1:198.18.31.1:40000
	check "handshake: a forged report (h's, with i's key) is refused and writes nothing" \
		"$(($(metric 'quicsteer_reports_total{result="bad_mac"}') - bad0)) $(hs_route 198.18.31.1 $HSV)" \
		"1 $DROPPED"
	dgram report "$SOCK" "$KEY_H" 9 0x9 1 $HSV 443 hs:1:198.18.31.1:40000
	wait_until 10 "an unknown ID from the handshake's client routes to h" hs_routes_to_h &&
		ok "handshake: the agent wrote the client's entry for h; unknown IDs learned for h" ||
		not_ok "handshake: the client's entry for h" "$waited"
	dgram report "$SOCK" "$KEY_I" 10 0x9 1 $HSV 443 hs:7:198.18.31.1:40000
	wait_until 10 "the agent found the entry there" hs_present &&
		ok "handshake: i's handshake for the same address found h's entry there" ||
		not_ok "handshake: i's handshake counted as present" "$waited"
	check "handshake: and the address still routes to h" "$(hs_route 198.18.31.1 $HSV)" "$TO_H"
	dgram report "$SOCK" "$KEY_I" 10 0x9 2 $HSI 443 hs:8:198.18.31.2:40000
	check "handshake: on hsi (address-entry initial) the report wrote nothing" \
		"$(hs_route 198.18.31.2 $HSI)" "$DROPPED"
	check "handshake: metrics (written present lost)" \
		"$(metric quicsteer_handshake_entries_written_total) $(metric quicsteer_handshake_entries_present_total) $(metric quicsteer_handshake_entries_lost_total)" \
		"1 1 0"
	# a stolen key names client addresses at will: h may write its
	# max-ids of entries per flow-idle, here 1, which it wrote already
	has "handshake: backend set h max-ids 1" \
		"$("$PROBE" control "$DIR/control.sock" "v1 backend set h max-ids 1")" '"ok":true'
	dgram report "$SOCK" "$KEY_H" 9 0x9 2 $HSV 443 hs:9:198.18.31.3:40000
	check "handshake: past its max-ids, h's handshake writes no entry (lost)" \
		"$(hs_route 198.18.31.3 $HSV) $(metric quicsteer_handshake_entries_written_total) $(metric quicsteer_handshake_entries_lost_total)" \
		"$DROPPED 1 1"
}

inner()
{
	trap 'kill $HB_A $HB_B $HB_R $AGENT_PID 2>/dev/null' EXIT
	trap 'exit 130' INT TERM
	ip link set lo up
	# a route to the backends (their MACs are fixed: nothing is resolved)
	# and the addresses of the UDP report listeners
	ip addr add 198.18.1.1/24 dev qsar0 && ip addr add 198.18.0.1/32 dev lo &&
		ip addr add fd00::1/128 dev lo nodad || { not_ok "addresses" "failed"; return; }
	SOCK=$DIR/reports.sock
	write_config
	umask 000 # the sockets' modes are the agent's, not the umask's
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }
	incarnation
	snapshot
	udp
	garbage
	heartbeats
	hostile
	conformance
	replay_attack
	upgrade
	backlog
	socket_group
	quota
	handshakes
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test ar "$AGENT" "$PROBE" curl setpriv stat -- qsar0:qsar1
