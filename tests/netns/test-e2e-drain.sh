#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Draining a backend during transfers, end to end through the router
# (tests/netns/testbed.sh), with stock gtlsserver (no reports: its
# connections route by the address table) and with the reference backend
# (reports: by the ID table), IPv4 and IPv6 clients in turn.
#
# Four long downloads start (the segment is rate-limited so that they
# last, and held to a crawl until the drain: lifecycle.sh's hold); the backend that accepted most of them is drained with
# `quicsteer backend drain` while they run. Then:
# - every transfer in flight completes, byte for byte, and the router went
#   on forwarding the drained backend's packets after the drain. Guards
#   against a drain that takes the backend out of the data path instead of
#   out of the Maglev table (its connections would stall: gtlsserver
#   drops what it does not know, and another backend would too).
# - 16 new connections, all intact, none accepted by the drained backend,
#   and the router recorded no new address entry for it (a client port
#   reused by a new connection may take one of its entries away). A drain
#   that did not reach the Maglev table would send each new connection there with
#   probability 1/3: all 16 miss it with probability (2/3)^16, 0.15 %.
# - after `quicsteer backend undrain`, 24 new connections: the backend
#   takes at least one again. Each lands on it with probability 1/3 (equal
#   weights, random client ports), so a correct router fails this with
#   probability (2/3)^24, under 1 in 16000; one that never restored the
#   backend always fails it.
#
# Usage: tests/netns/test-e2e-drain.sh [BUILD_DIR]. Needs root; never
# skips, except the reference-backend half while qs-h3server is not built
# (printed and counted).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/lifecycle.sh"
LONG=4
NEW=16
AGAIN=24

# drain KIND
drain()
{
	hold
	long_start "long-$1" $LONG f4m
	long=$long_got
	check "$1: the servers accepted the $LONG long transfers ($long)" "$(total "$long")" $LONG
	d=$(busiest "$long")
	p0=$(tb_stat_backend "$d")
	if tb_cli backend drain "b$d" >/dev/null; then
		ok "$1: quicsteer backend drain b$d"
	else
		not_ok "$1: quicsteer backend drain b$d" "see above"
	fi
	in_flight "$1: drain" "long-$1" $LONG
	release
	check "$1: b$d is draining" "$(backend_state "b$d")" draining

	c0=$(tb_connections_all)
	f0=$(tb_flows_backend "$d")
	batch_run "new-$1" $NEW f16k
	check "$1: $NEW new downloads while b$d drains, intact" "$(batch_bad "new-$1" $NEW f16k)" ""
	got=$(deltas "$c0" "$(tb_connections_all)")
	check "$1: $NEW new connections accepted, none by b$d ($got)" \
		"$(total "$got") $(nth "$got" "$d")" "$NEW 0"
	# at most as many: a new connection from a reused client port replaces
	# the old connection's entry (route_new_reused), possibly one of b$d's
	f1=$(tb_flows_backend "$d")
	if [ "$f1" -le "$f0" ]; then
		ok "$1: the router hashed no new client to b$d ($f0 entries, then $f1)"
	else
		not_ok "$1: the router hashed no new client to b$d" "its entries went from $f0 to $f1"
	fi

	long_wait "long-$1" $LONG f4m
	check "$1: every long transfer in flight completed intact" "$long_bad" ""
	p1=$(tb_stat_backend "$d")
	if [ "$p1" -gt "$p0" ]; then
		ok "$1: the router forwarded $((p1 - p0)) packets to b$d after its drain"
	else
		not_ok "$1: the router forwarded packets to b$d after its drain" "its count stayed $p0"
	fi

	if tb_cli backend undrain "b$d" >/dev/null; then
		ok "$1: quicsteer backend undrain b$d"
	else
		not_ok "$1: quicsteer backend undrain b$d" "see above"
	fi
	check "$1: b$d is active" "$(backend_state "b$d")" active
	c0=$(tb_connections_all)
	batch_run "again-$1" $AGAIN f16k
	check "$1: $AGAIN downloads after the undrain, intact" "$(batch_bad "again-$1" $AGAIN f16k)" ""
	got=$(deltas "$c0" "$(tb_connections_all)")
	if [ "$(total "$got")" = $AGAIN ] && [ "$(nth "$got" "$d")" -ge 1 ]; then
		ok "$1: b$d takes new connections again ($got)"
	else
		not_ok "$1: b$d takes new connections again" "got $got want $AGAIN in all, b$d at least 1"
	fi
}

tb_test_up "$BUILD" --backends 3
tb_make_file f4m 4194304
tb_make_file f16k 16384
release
tb_test_kinds drain "" ""
tb_test_end
