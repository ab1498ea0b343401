#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Adding a backend during transfers, end to end through the router
# (tests/netns/testbed.sh), with stock gtlsserver (no reports: its
# connections route by the address table) and with the reference backend
# (reports: by the ID table), IPv4 and IPv6 clients in turn.
#
# The testbed has three backend hosts; b3's backend statement is removed
# (`quicsteer backend del b3`) before the transfers, so the pool is b1 and
# b2. Twelve long downloads start (the segment is rate-limited so that they
# last, and held to a crawl until the add: lifecycle.sh's hold), and b3 is
# added back with `quicsteer backend add` while they run.
# Adding a backend rewrites about a third of the Maglev table's slots to
# it. Then:
# - every transfer in flight completes byte for byte, no server accepted
#   a connection twice, and b3 saw not one packet of them: neither the
#   router's per-backend counter nor b3's decap program counted any. Guards
#   against a router that re-hashes established connections after a pool
#   change (each of the twelve would move to b3 with probability 1/3: one
#   of them does but with probability 1 - (2/3)^12, 99.2 %), and against
#   an add that disturbs the tables the connections route by.
# - new connections land on b3: 24 downloads, all intact, at least one
#   accepted by b3 (each lands there with probability 1/3: a correct
#   router fails this with probability (2/3)^24, under 1 in 16000; an add
#   that did not reach the Maglev table always fails it).
# With qs-h3server the servers' own byte counts agree: b1 and b2 sent at
# least their long transfers' bytes, b3 sent nothing before the new ones.
#
# Usage: tests/netns/test-e2e-add.sh [BUILD_DIR]. Needs root; never
# skips, except the reference-backend half while qs-h3server is not built
# (printed and counted).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/lifecycle.sh"
LONG=12
SIZE=1572864
NEW=24

add_b3()
{
	tb_cli backend add b3 fd00::13 id 3 vip web4 vip web6 weight 1 key-file "$TB_DIR/keys/b3.key"
}

# Bytes backend $1's qs-h3server sent (0 for gtlsserver).
sent() { tb_status "$1" bytes_sent 2>/dev/null || echo 0; }

# sent_verdict DELTAS LONG: "yes" if b1 and b2 sent at least their long
# transfers' bytes, and what b3 sent.
sent_verdict()
{
	echo "$1" "$2" | awk -v s=$SIZE '{ print ($1 >= $4 * s && $2 >= $5 * s) ? "yes" : "no", $3 }'
}

sent_enough()
{
	_se=$(deltas "$1" "$(sent 1) $(sent 2) $(sent 3)")
	echo "bytes sent since: $_se"
	[ "$(sent_verdict "$_se" "$2")" = "yes 0" ]
}

# add KIND
add()
{
	if tb_cli backend del b3 >/dev/null; then
		ok "$1: quicsteer backend del b3 (the pool is b1 and b2)"
	else
		not_ok "$1: quicsteer backend del b3" "see above"
	fi
	p0=$(tb_stat_backend 3)
	x0=$(tb_decap_stats 3 | cut -d' ' -f1)
	s0="$(sent 1) $(sent 2) $(sent 3)"
	hold
	long_start "long-$1" $LONG flong
	long=$long_got
	check "$1: b1 and b2 accepted the $LONG long transfers ($long)" \
		"$(total "$long") $(nth "$long" 3)" "$LONG 0"
	if add_b3 >/dev/null; then
		ok "$1: quicsteer backend add b3"
	else
		not_ok "$1: quicsteer backend add b3" "see above"
	fi
	in_flight "$1: add" "long-$1" $LONG
	release
	check "$1: b3 is active" "$(backend_state b3)" active

	c0=$(tb_connections_all)
	long_wait "long-$1" $LONG flong
	check "$1: every long transfer in flight completed intact" "$long_bad" ""
	check "$1: no server accepted a connection meanwhile" "$(deltas "$c0" "$(tb_connections_all)")" "0 0 0"
	check "$1: the router forwarded b3 no packet of them" "$(tb_stat_backend 3)" "$p0"
	check "$1: b3's decap program received no packet of them" \
		"$(tb_decap_stats 3 | cut -d' ' -f1)" "$x0"
	if [ "$1" = h3 ]; then
		# the status file is rewritten when a connection is freed,
		# after its closing period: poll
		wait_until 30 "b1 and b2's status files count their transfers' bytes" sent_enough "$s0" "$long"
		got=$(deltas "$s0" "$(sent 1) $(sent 2) $(sent 3)")
		check "$1: the servers' bytes: b1 and b2 at least their transfers', b3 none ($got)" \
			"$(sent_verdict "$got" "$long")" "yes 0"
	fi

	c0=$(tb_connections_all)
	batch_run "new-$1" $NEW f16k
	check "$1: $NEW new downloads, intact" "$(batch_bad "new-$1" $NEW f16k)" ""
	got=$(deltas "$c0" "$(tb_connections_all)")
	if [ "$(total "$got")" = $NEW ] && [ "$(nth "$got" 3)" -ge 1 ]; then
		ok "$1: new connections land on b3 ($got)"
	else
		not_ok "$1: new connections land on b3" "got $got want $NEW in all, b3 at least 1"
	fi
}

tb_test_up "$BUILD" --backends 3
tb_make_file flong $SIZE
tb_make_file f16k 16384
release
tb_test_kinds add "" ""
tb_test_end
