#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Retry through the router (tests/netns/testbed.sh), IPv4 and IPv6: the
# backends validate addresses with a Retry (stock gtlsserver -V, and the
# reference backend with --retry when it is built), so every client sends
# a second Initial with a destination ID the server chose in the Retry,
# which the router has never seen. That Initial must reach the backend
# that sent the Retry, through the address the first Initial recorded
# (route_flow). A router that chose an Initial's backend by its destination
# ID (some do, to spread one client's connections) would send it to
# another backend for about two thirds of the connections; that backend
# cannot validate the token and the handshake stalls. Each download is
# compared byte for byte, and no backend but the one that accepted the
# connection sees a packet of it. Four connections per family, so that
# such a router would be caught with probability 1 - (1/3)^4 per family.
#
# Usage: tests/netns/test-e2e-retry.sh [BUILD_DIR]. Needs root; never
# skips, except the reference-backend half while qs-h3server is not built
# (printed and counted).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
ROUNDS=4

# Retries qs-h3server sent, all backends together (0 for gtlsserver).
retries()
{
	for j in 1 2 3; do tb_status $j retries_sent 2>/dev/null || echo 0; done | awk '{ s += $1 } END { print s + 0 }'
}

# rounds KIND
rounds()
{
	for fam in 4 6; do
		r=1
		while [ $r -le $ROUNDS ]; do
			t="$1 IPv$fam retry $r"
			n=retry-$1-$fam-$r
			b0=$(tb_stat_backends)
			c0=$(tb_connections_all)
			f0=$(tb_stat_reason route_flow)
			rt0=$(retries)
			tb_fetch "$n" $fam -- f256k && tb_verify "$n" f256k &&
				ok "$t: download intact" || not_ok "$t: download intact" "see above"
			owner=$(tb_moved "$c0" "$(tb_connections_all)")
			check "$t: one backend accepted the connection" "$(echo "$owner" | wc -w)" 1
			check "$t: the router forwarded to that backend only" \
				"$(tb_moved "$b0" "$(tb_stat_backends)")" "$owner"
			f1=$(tb_stat_reason route_flow)
			if [ "$1" = h3 ]; then
				# qs-h3server reports the ID it put in the Retry, and
				# when that report reaches the agent before the client's
				# second Initial reaches the router, the ID table routes
				# it (route_cid, one rung earlier) to the same backend:
				# which rung wins is a race, so check the Retry itself.
				check "$t: the backends sent one Retry" $(($(retries) - rt0)) 1
			elif [ "$f1" -gt "$f0" ]; then
				ok "$t: the Initial after the Retry went by the address table"
			else
				not_ok "$t: the Initial after the Retry went by the address table" \
					"route_flow stayed $f0 (did the server send a Retry?)"
			fi
			r=$((r + 1))
		done
	done
}

tb_test_up "$BUILD" --backends 3
tb_make_file f256k 262144
tb_test_kinds rounds -V --retry
tb_test_end
