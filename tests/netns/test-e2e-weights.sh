#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Many clients at once through the router (tests/netns/testbed.sh): 200
# connections started together, half IPv4 and half IPv6, each downloading
# a file of its own that is compared byte for byte. All must complete, and
# the connections must spread over the backends in proportion to their
# weights (1, 2, 5 and 0).
#
# How many connections each backend took is counted twice, independently:
# by the servers (qs-h3server's status files when it is built, else
# gtlsserver's one qlog file per connection) and by the router (its
# address-table entries per backend: one per client address it hashed),
# which must not disagree (see below).
#
# Tolerance: each connection's client port is random, so a backend of
# share p = w / 8 takes a binomial number of the 200 connections, mean
# 200 p, standard deviation sqrt(200 p (1 - p)); the test accepts 4
# standard deviations either side (a correct router fails it about once in
# 15000 runs; one that ignored the weights, about 67 each to the first
# three, falls outside the band of the weight-5 backend, 98..152). The
# weight-0 backend must take exactly none and the router must forward it
# nothing. The bands use the configured weights, not the Maglev table's
# slot counts, which match them to well under one percent at its size.
#
# Guards against weights that do not reach the Maglev table, a table that
# sends new connections to a weight-0 backend, connections lost or
# corrupted under concurrency (the address table's records for many
# clients of one address, the encapsulation of many flows at once), and a
# router that routes a connection's later packets elsewhere than its
# first.
#
# Usage: tests/netns/test-e2e-weights.sh [BUILD_DIR]. Needs root; never skips.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
WEIGHTS="1 2 5 0"
CONNS=200

tb_test_up "$BUILD" --weights "$WEIGHTS"
kind=gtls
tb_have_h3server && kind=h3
echo "# backends run $kind"
if ! tb_server_start_all $kind; then
	not_ok "set-up: $kind servers" "see above"
	tb_test_end
fi

i=1
while [ $i -le $CONNS ]; do
	tb_make_file "f$i" $((16384 + i * 512))
	i=$((i + 1))
done
c0=$(tb_connections_all)
i=1
while [ $i -le $CONNS ]; do
	# 200 handshakes at once on a small busy machine: packets lost to
	# full socket buffers back off (PTO doubling), so a client may wait
	# longer than tb_fetch's 15 s idle timeout; a stall is still caught
	tb_fetch_bg "c$i" $((i % 2 ? 4 : 6)) --timeout=60s -- "f$i"
	i=$((i + 1))
done
i=1
while [ $i -le $CONNS ]; do
	tb_fetch_wait "c$i"
	i=$((i + 1))
done

bad=
i=1
while [ $i -le $CONNS ]; do
	tb_verify "c$i" "f$i" 2>>"$TB_DIR/verify.err" || bad="$bad c$i"
	i=$((i + 1))
done
check "all $CONNS concurrent downloads complete and intact" "${bad:-none}" none
[ -z "$bad" ] || sed 's/^/# /' "$TB_DIR/verify.err" | head -n 5

c1=$(tb_connections_all)
servers=$(echo "$c0" "$c1" | awk '{ n = NF / 2; s = ""
	for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") ($(i + n) - $i); print s }')
router=
for b in 1 2 3 4; do router="$router $(tb_flows_backend $b || echo 0)"; done
router=$(echo $router)
check "servers accepted $CONNS connections in all ($servers)" \
	"$(echo "$servers" | awk '{ print $1 + $2 + $3 + $4 }')" $CONNS
# The router's side: one address-table entry per client address and port
# it hashed (route_new), on the backend it hashed it to. A client port the
# kernel hands out again after an earlier client closed it starts a second
# connection from a known address, which Maglev sends to the same backend
# (the table did not change) (route_new_reused, not route_new); its entry
# goes to the table of Initials' entries, beside the first connection's if
# a reported ID had moved that one to the established table (a forged
# Initial must not replace it), else over it. So the entries are at least
# the addresses hashed and at most those and the reused ports, and per
# backend at most the connections.
entries=$(echo "$router" | awk '{ print $1 + $2 + $3 + $4 }')
hashed=$(tb_stat_reason route_new)
reused=$(_tb_pins -j stats | jq ".reasons.route_new_reused.packets // 0")
check "the router hashed each client address once (route_new <= entries <= route_new + reused)" \
	"$(awk -v e="$entries" -v h="$hashed" -v r="$reused" 'BEGIN { print (e >= h && e <= h + r) ? "yes" : "no: " e " entries, " h " hashed, " r " reused" }')" yes
check "per backend, the router's entries are at most the servers' connections" \
	"$(echo "$router" "$servers" | awk '{ for (i = 1; i <= 4; i++) if ($i > $(i + 4)) bad = bad " b" i
		print bad == "" ? "yes" : "no:" bad }')" yes

# expected share and its 4-sigma band, per backend
band()
{
	awk -v n=$CONNS -v w="$1" -v sum="$(echo $WEIGHTS | awk '{ print $1 + $2 + $3 + $4 }')" 'BEGIN {
		p = w / sum; m = n * p; d = 4 * sqrt(n * p * (1 - p))
		lo = m - d; hi = m + d; if (lo < 0) lo = 0
		printf "%d %d\n", int(lo + 0.999999), int(hi) }'
}
b=1
for w in $WEIGHTS; do
	got=$(echo "$servers" | cut -d' ' -f$b)
	set -- $(band "$w")
	if [ "$got" -ge "$1" ] && [ "$got" -le "$2" ]; then
		ok "b$b (weight $w) took $got connections, within $1..$2"
	else
		not_ok "b$b (weight $w) takes a share of the connections in proportion" \
			"got $got want $1..$2"
	fi
	b=$((b + 1))
done
check "the router forwarded nothing to the weight-0 backend" "$(tb_stat_backend 4)" 0
# The table behind the spread, as the CLI reads it: each VIP's row on its
# own (read from that row on) holds every slot and agrees with the whole.
for v in 0 1; do
	check "maglev show $v: the row's slots add up" \
		"$(tb_cli -j maglev show $v | jq '[.[].slots] | add')" 65537
	check "maglev show $v: the same as VIP $v in the whole table" \
		"$(tb_cli -j maglev show $v | jq -c 'map([.backend_id, .slots])')" \
		"$(tb_cli -j maglev show | jq -c --argjson v $v 'map(select(.vip_id == $v) | [.backend_id, .slots])')"
done
check "nothing dropped for want of a backend or next hop" \
	"$(tb_stat_reason drop_no_backend) $(tb_stat_reason drop_no_nexthop)" "0 0"

tb_test_end
