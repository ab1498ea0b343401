#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Next-hop resolution and the rtnetlink monitor (userspace/agent/netlink.c),
# driven by build/tests/qs-nl-probe inside namespaces joined by veth pairs:
#
#   LB  lb-a 198.18.0.1/24 fd00:18::1/64 ---- a-lb 198.18.0.2,.3/24 fd00:18::2  A
#   LB  lb-g 198.18.1.1/24 fd00:18:1::1  ---- g-lb 198.18.1.2/24 fd00:18:1::2   G
#   G   g-c  198.18.2.1/24 fd00:18:2::1  ---- c-g  198.18.2.2/24 fd00:18:2::2   C
#   LB routes 198.18.2.0/24 via 198.18.1.2 and fd00:18:2::/64 via fd00:18:1::2
#
# The probe asks LB's kernel for routes and neighbours; the only frames sent
# are the kernel's own ARP / neighbour discovery on these veths. Expected
# MACs and ifindexes come from `ip -j link`, never from the code under test.
#
# Usage: tests/netns/test-netlink.sh [BUILD_DIR]
# Needs root; without it the run fails, it never skips.

BUILD=${1:-build}

. "$(dirname "$0")/lib.sh"

summary()
{
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}

# The value of KEY in one of the probe's "key=value ..." lines.
field()
{
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p" | head -n 1
}

# check DESC LINE KEY=WANT...: every KEY of LINE has the value WANT.
check()
{
	desc=$1
	line=$2
	shift 2
	why=""
	for kv in "$@"; do
		k=${kv%%=*}
		want=${kv#*=}
		got=$(field "$line" "$k")
		[ "$got" = "$want" ] || why="$why got $k=$got want $k=$want;"
	done
	if [ -z "$line" ]; then
		not_ok "$desc" "got no line from the probe"
	elif [ -z "$why" ]; then
		ok "$desc"
	else
		not_ok "$desc" "${why# } (line: $line)"
	fi
}

link_attr()
{
	ip -n "$1" -j link show dev "$2" | jq -r ".[0].$3"
}

in_lb()
{
	ip netns exec "$LB" "$@"
}

# The probe's output lines: first or last "resolve", first "event neigh".
first_resolve()
{
	grep '^resolve ' "$1" | head -n 1
}

last_resolve()
{
	grep '^resolve ' "$1" | tail -n 1
}

neigh_event()
{
	grep '^event neigh ' "$1" | head -n 1
}

# How long the probe waits for what it waits for (a resolution, an event):
# it returns as soon as that happens, so this only bounds a broken run.
WAIT_S=30

# watch_start NAME TEXT: a monitor in LB that ends at the first event line
# containing TEXT; returns once it is subscribed, so nothing is missed.
watch_start()
{
	in_lb "$PROBE" monitor -t $WAIT_S -u "$2" >"$TMP/$1.out" 2>"$TMP/$1.err" &
	watch_ready "$1" $!
}

# A monitor's pid file exists while it may run: cleanup kills only those,
# never a pid the system may have handed to someone else since.
watch_ready()
{
	echo "$2" >"$TMP/$1.pid"
	wait_until 30 "monitor $1 subscribed (its \"ready\" line)" grep -qx ready "$TMP/$1.out" ||
		not_ok "monitor $1 subscribed" "$waited; $(cat "$TMP/$1.err")"
}

# watch_end NAME TEXT DESC: that monitor saw TEXT before its timeout.
watch_end()
{
	wait_exit $((WAIT_S + 30)) "$(cat "$TMP/$1.pid")" "monitor $1"
	rc=$?
	rm -f "$TMP/$1.pid"
	if [ "$rc" -eq 0 ] && grep -qF "$2" "$TMP/$1.out"; then
		ok "$3"
	else
		not_ok "$3" "got exit $rc and events: $(grep '^event' "$TMP/$1.out" |
			tr '\n' '|' | cut -c1-400) want a line with '$2'"
	fi
}

setup()
{
	for ns in "$LB" "$A" "$G" "$C"; do
		ip netns add "$ns" && ip -n "$ns" link set lo up || return 1
	done
	ip -n "$LB" link add lb-a type veth peer name a-lb netns "$A" &&
		ip -n "$LB" link add lb-g type veth peer name g-lb netns "$G" &&
		ip -n "$G" link add g-c type veth peer name c-g netns "$C" || return 1
	# The peer announces a new MAC itself (gratuitous ARP, unsolicited NA),
	# and LB takes it at once instead of after locktime (1 s); nobody
	# answering fails in about 0.6 s instead of 3 s; a stale entry in use
	# is probed at once instead of after 5 s.
	ip netns exec "$A" sysctl -qw net.ipv4.conf.a-lb.arp_notify=1 \
		net.ipv6.conf.a-lb.ndisc_notify=1 &&
		in_lb sysctl -qw net.ipv4.neigh.lb-a.locktime=0 \
			net.ipv4.neigh.lb-a.retrans_time_ms=200 \
			net.ipv4.neigh.lb-a.delay_first_probe_time=0 || return 1
	addr "$LB" lb-a 198.18.0.1/24 fd00:18::1/64 &&
		addr "$A" a-lb 198.18.0.2/24 fd00:18::2/64 &&
		ip -n "$A" addr add 198.18.0.3/24 dev a-lb &&
		addr "$LB" lb-g 198.18.1.1/24 fd00:18:1::1/64 &&
		addr "$G" g-lb 198.18.1.2/24 fd00:18:1::2/64 &&
		addr "$G" g-c 198.18.2.1/24 fd00:18:2::1/64 &&
		addr "$C" c-g 198.18.2.2/24 fd00:18:2::2/64 || return 1
	ip -n "$LB" route add 198.18.2.0/24 via 198.18.1.2 dev lb-g &&
		ip -n "$LB" -6 route add fd00:18:2::/64 via fd00:18:1::2 dev lb-g
}

# addr NS DEV IPV4/LEN IPV6/LEN: addresses (IPv6 without DAD), device up.
addr()
{
	ip -n "$1" addr add "$3" dev "$2" &&
		ip -n "$1" addr add "$4" dev "$2" nodad &&
		ip -n "$1" link set "$2" up
}

# 1. No entry yet: -EAGAIN and resolution started; A answers ARP; the
#    monitor reports the entry; the second resolve returns A's MAC.
scenario_unresolved()
{
	out=$TMP/unresolved.out
	in_lb "$PROBE" wait 198.18.0.3 -t $WAIT_S >"$out" 2>"$TMP/unresolved.err"
	check "unresolved: first resolve says EAGAIN, all but the MAC known" \
		"$(first_resolve "$out")" err=EAGAIN ifindex="$LB_A_IDX" dev=lb-a \
		gw=none src=198.18.0.1 mac=none src_mac="$LB_A_MAC" state=NONE
	check "unresolved: monitor reports the entry A's ARP reply made" \
		"$(neigh_event "$out")" family=4 addr=198.18.0.3 ifindex="$LB_A_IDX" \
		mac="$A_MAC" state=REACHABLE
	check "unresolved: second resolve returns A's MAC" "$(last_resolve "$out")" \
		err=0 mac="$A_MAC" state=REACHABLE
	n=$(grep -c '^resolve ' "$out")
	if [ "$n" -eq 2 ]; then
		ok "unresolved: two resolves"
	else
		not_ok "unresolved: two resolves" "got $n want 2"
	fi
}

# 2, 3. Directly connected backends: the MAC is the peer veth's own.
scenario_direct()
{
	out=$TMP/direct4.out
	in_lb "$PROBE" wait 198.18.0.2 -t $WAIT_S >"$out" 2>"$TMP/direct4.err"
	check "direct IPv4: next hop is A itself" "$(last_resolve "$out")" err=0 \
		ifindex="$LB_A_IDX" dev=lb-a gw=none src=198.18.0.1 mac="$A_MAC" \
		src_mac="$LB_A_MAC"
	line=$(in_lb "$PROBE" resolve 198.18.0.2 2>/dev/null)
	check "direct IPv4: resolved entry answers at once" "$line" err=0 mac="$A_MAC"

	out=$TMP/direct6.out
	in_lb "$PROBE" wait fd00:18::2 -t $WAIT_S >"$out" 2>"$TMP/direct6.err"
	check "direct IPv6: next hop is A itself" "$(last_resolve "$out")" err=0 \
		ifindex="$LB_A_IDX" dev=lb-a gw=none src=fd00:18::1 mac="$A_MAC" \
		src_mac="$LB_A_MAC" state=REACHABLE
}

# 4, 5. Behind a gateway: the MAC is G's, and the backend itself never
#       gets a neighbour entry on LB.
scenario_gateway()
{
	out=$TMP/gw4.out
	in_lb "$PROBE" wait 198.18.2.2 -t $WAIT_S >"$out" 2>"$TMP/gw4.err"
	check "gateway IPv4: next hop is G's MAC, not C's" "$(last_resolve "$out")" err=0 \
		ifindex="$LB_G_IDX" dev=lb-g gw=198.18.1.2 src=198.18.1.1 mac="$G_MAC" \
		src_mac="$LB_G_MAC"
	out=$TMP/gw6.out
	in_lb "$PROBE" wait fd00:18:2::2 -t $WAIT_S >"$out" 2>"$TMP/gw6.err"
	check "gateway IPv6: next hop is G's MAC, not C's" "$(last_resolve "$out")" err=0 \
		ifindex="$LB_G_IDX" dev=lb-g gw=fd00:18:1::2 src=fd00:18:1::1 mac="$G_MAC" \
		src_mac="$LB_G_MAC"
	entries=$(ip -n "$LB" neigh show to 198.18.2.2; ip -n "$LB" neigh show to fd00:18:2::2)
	if [ -z "$entries" ]; then
		ok "gateway: no neighbour entry for the backends themselves"
	else
		not_ok "gateway: no neighbour entry for the backends themselves" \
			"got '$entries' want none"
	fi
}

# 6. No route at all, for either family.
scenario_no_route()
{
	line=$(in_lb "$PROBE" resolve 198.19.255.1 2>/dev/null)
	check "no route IPv4: ENETUNREACH" "$line" err=ENETUNREACH ifindex=0 mac=none
	line=$(in_lb "$PROBE" resolve fd00:99::1 2>/dev/null)
	check "no route IPv6: ENETUNREACH" "$line" err=ENETUNREACH ifindex=0 mac=none
}

# 7. An on-link address nobody owns: EAGAIN, the monitor reports FAILED,
#    the next resolve says EHOSTUNREACH (and starts another attempt).
scenario_failed()
{
	out=$TMP/failed.out
	in_lb "$PROBE" wait 198.18.0.99 -t $WAIT_S >"$out" 2>"$TMP/failed.err"
	check "nobody answers: first resolve says EAGAIN" "$(first_resolve "$out")" \
		err=EAGAIN ifindex="$LB_A_IDX"
	check "nobody answers: monitor reports FAILED" "$(neigh_event "$out")" \
		addr=198.18.0.99 ifindex="$LB_A_IDX" mac=none state=FAILED
	check "nobody answers: second resolve says EHOSTUNREACH" "$(last_resolve "$out")" \
		err=EHOSTUNREACH mac=none state=FAILED
}

# 8. A changes its MAC and announces it; LB's kernel re-learns it and the
#    monitor reports it for both families; resolve returns the new MAC.
scenario_peer_mac()
{
	new=02:00:5e:18:00:0a
	watch_start mac4 "event neigh new family=4 addr=198.18.0.2 ifindex=$LB_A_IDX mac=$new"
	watch_start mac6 "event neigh new family=6 addr=fd00:18::2 ifindex=$LB_A_IDX mac=$new"
	ip -n "$A" link set dev a-lb address "$new"
	watch_end mac4 "mac=$new" "peer MAC change: monitor reports 198.18.0.2 at $new"
	watch_end mac6 "mac=$new" "peer MAC change: monitor reports fd00:18::2 at $new"
	line=$(in_lb "$PROBE" resolve 198.18.0.2 2>/dev/null)
	check "peer MAC change: IPv4 resolve returns the new MAC" "$line" err=0 mac="$new"
	line=$(in_lb "$PROBE" resolve fd00:18::2 2>/dev/null)
	check "peer MAC change: IPv6 resolve returns the new MAC" "$line" err=0 mac="$new"
}

# 9. A STALE entry still answers, and the resolve asks the kernel to
#    confirm it (XDP traffic never would): the monitor reports it REACHABLE.
scenario_stale()
{
	mac=02:00:5e:18:00:0a
	watch_start stale "event neigh new family=4 addr=198.18.0.2 ifindex=$LB_A_IDX mac=$mac state=REACHABLE"
	ip -n "$LB" neigh change 198.18.0.2 dev lb-a lladdr "$mac" nud stale
	line=$(in_lb "$PROBE" resolve 198.18.0.2 2>/dev/null)
	check "stale entry: resolve returns its MAC" "$line" err=0 mac="$mac" state=STALE
	watch_end stale "state=REACHABLE" "stale entry: kernel re-confirms it after the resolve"
}

# 10. LB's own egress changes MAC: a link event; the kernel flushes the
#    device's neighbour entries with it, so the next resolve starts over
#    (EAGAIN) and then returns the new source MAC beside G's.
scenario_own_mac()
{
	new=02:00:5e:18:00:0b
	watch_start own "event link new ifindex=$LB_G_IDX name=lb-g up=1 mac=$new"
	ip -n "$LB" link set dev lb-g address "$new"
	watch_end own "mac=$new" "own MAC change: monitor reports lb-g at $new"
	out=$TMP/own.out
	in_lb "$PROBE" wait 198.18.2.2 -t $WAIT_S >"$out" 2>"$TMP/own.err"
	check "own MAC change: neighbour entries went with it" "$(first_resolve "$out")" \
		err=EAGAIN src_mac="$new"
	check "own MAC change: resolve returns the new source MAC" "$(last_resolve "$out")" \
		err=0 src_mac="$new" mac="$G_MAC"
}

# 11. The egress goes down: a link event, IPv6 route deletions (IPv4 routes
#     go silently: the link event is the agent's cue), and no route.
scenario_link_down()
{
	watch_start down "event link new ifindex=$LB_G_IDX name=lb-g up=0"
	watch_start rt6 "event route del family=6 dst=fd00:18:2::/64 ifindex=$LB_G_IDX"
	ip -n "$LB" link set dev lb-g down
	watch_end down "up=0" "link down: monitor reports lb-g down"
	watch_end rt6 "fd00:18:2::/64" "link down: monitor reports the IPv6 route deleted"
	line=$(in_lb "$PROBE" resolve 198.18.2.2 2>/dev/null)
	check "link down: IPv4 backend behind it has no route" "$line" err=ENETUNREACH
	line=$(in_lb "$PROBE" resolve fd00:18:2::2 2>/dev/null)
	check "link down: IPv6 backend behind it has no route" "$line" err=ENETUNREACH
}

# 12. A monitor that does not read while 300 routes come and go overruns
#     its (shrunk) socket buffer and reports "resync".
scenario_overrun()
{
	in_lb "$PROBE" monitor -t $WAIT_S -b 1 -w "$TMP/overrun.go" -u "event resync" \
		>"$TMP/overrun.out" 2>"$TMP/overrun.err" &
	watch_ready overrun $!
	i=0
	while [ $i -lt 300 ]; do
		echo "route add 198.18.$((200 + i / 100)).$((i % 100))/32 dev lb-a"
		i=$((i + 1))
	done | ip -n "$LB" -batch - 2>"$TMP/batch.err" || not_ok "overrun: routes added" \
		"$(tail -n 1 "$TMP/batch.err")"
	# the monitor reads nothing until the routes came and went
	touch "$TMP/overrun.go"
	watch_end overrun "event resync" "overrun: monitor reports resync"
}

if [ "$(id -u)" -ne 0 ]; then
	not_ok "root" "got uid $(id -u) want 0 (namespaces need root)"
	summary
fi
BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || {
	not_ok "build directory" "got no directory '${1:-build}'"
	summary
}
PROBE=$BUILD/tests/qs-nl-probe
[ -x "$PROBE" ] || not_ok "probe" "got no $PROBE (make)"
for tool in ip jq sysctl; do
	command -v "$tool" >/dev/null 2>&1 || not_ok "tool $tool" "not installed (make deps)"
done
[ "$failed" -eq 0 ] || summary

LB=qs-nl-$$-lb
A=qs-nl-$$-a
G=qs-nl-$$-g
C=qs-nl-$$-c
TMP=""
cleanup()
{
	if [ -n "$TMP" ]; then
		for f in "$TMP"/*.pid; do
			[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
		done
	fi
	for ns in "$LB" "$A" "$G" "$C"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -z "$TMP" ] || rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

TMP=$(mktemp -d) || exit 1
if setup 2>"$TMP/setup.err"; then
	ok "namespaces $LB, $A, $G, $C"
else
	not_ok "namespaces $LB, $A, $G, $C" "$(tail -n 1 "$TMP/setup.err")"
	summary
fi
LB_A_IDX=$(link_attr "$LB" lb-a ifindex)
LB_A_MAC=$(link_attr "$LB" lb-a address)
LB_G_IDX=$(link_attr "$LB" lb-g ifindex)
LB_G_MAC=$(link_attr "$LB" lb-g address)
A_MAC=$(link_attr "$A" a-lb address)
G_MAC=$(link_attr "$G" g-lb address)

scenario_unresolved
scenario_direct
scenario_gateway
scenario_no_route
scenario_failed
scenario_peer_mac
scenario_stale
scenario_own_mac
scenario_link_down
scenario_overrun

cleanup
TMP=""
left=""
for ns in "$LB" "$A" "$G" "$C"; do
	! ip netns list | grep -qw "$ns" || left="$left $ns"
done
if [ -z "$left" ]; then
	ok "namespaces removed"
else
	not_ok "namespaces removed" "got still listed:$left want none"
fi
summary
