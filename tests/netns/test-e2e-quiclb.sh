#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# QUIC-LB plaintext connection IDs (draft-ietf-quic-load-balancers), end to
# end through the router (tests/netns/testbed.sh), IPv4 and IPv6. Every
# backend runs qs-h3server with --no-report and --cid-scheme quic-lb: the
# IDs it issues carry the configuration id in the first byte's top three
# bits and the backend's server ID in the next bytes, and the agent hears
# nothing from it. Both VIPs get a plaintext configuration (config 2,
# 2-byte server IDs, 6-byte nonces: 9-byte IDs, the VIPs' cid-len and the
# servers' --cid-len) and each backend its server ID, added with the CLI
# at run time (backend del, backend add ... server-id) as an operator
# would.
#
# - Plain downloads: after the first Initial, every packet is routed by
#   the server ID in its DCID (route_quiclb); nothing goes through the ID
#   table (route_cid, route_cid_learned) or the address table's learning
#   (route_flow_learn, route_flow_nolearn), and the ID table stays empty.
#   The server's IDs, as the client received them, encode its server ID.
#   Guards against a router that needs reports or a learned ID to route a
#   connection whose IDs name their server.
# - Active migration mid-transfer to a new source address and port
#   (gtlsclient --change-local-addr after tb_client_src): the client's
#   packets from the new address carry a fresh ID the router never saw,
#   and the transfer completes on the same backend without any report,
#   nothing dropped as unknown (drop_unknown_cid). Stock reporting-off
#   backends cannot do this: test-e2e-noreport.sh shows the same kind of
#   migration fail there (random IDs, no reports: the router drops the
#   migrated packets as unknown IDs and the download never completes).
#   Guards against a router that routes QUIC-LB IDs only through its
#   tables, or decodes the server ID from the wrong bytes. A capture on
#   the client (tcpdump) shows what it sent from the new address.
# - Draining: a backend drained mid-transfer still gets its connection's
#   packets and the transfer completes, while new connections (all six
#   started meanwhile) avoid it and its Maglev slots are gone. Guards
#   against a router that applies a backend's state to QUIC-LB routing,
#   or a drain that leaves it taking new connections.
#
# "The same backend": only that backend's server counts the connection and
# its bytes (status files), and only it gets packets from the router.
# Every download is compared byte for byte. Waits poll with a limit; no
# check compares times. The route change and the drain must come while
# their transfer runs: 8 MiB shaped to 40 Mbit/s last about 1.7 s (the
# client migrates at 1 s), and both follow the handshake, which the
# script sees in the servers' status files within tens of milliseconds.
#
# Usage: tests/netns/test-e2e-quiclb.sh [BUILD_DIR]. Needs root,
# qs-h3server and tcpdump; never skips. About 17 s.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/quiclb-lib.sh"

QLB_CONFIG=2
QLB_SID_LEN=2
QLB_NONCE_LEN=6
QLB_CID_LEN=$((1 + QLB_SID_LEN + QLB_NONCE_LEN))

# Backend $1's server ID: 0x51 then its number, so that a router reading
# the wrong bytes, or in the wrong order, finds no backend.
sid() { printf '51%02x' "$1"; }

# Hex IDs on stdin, one a line: "CONFIG SERVER-ID LENGTH" for each, the
# config rotation bits and the server ID as the draft lays them out.
layout()
{
	awk -v s="$QLB_SID_LEN" '{
		id = tolower($1)
		top = index("0123456789abcdef", substr(id, 1, 1)) - 1
		print int(top / 2), substr(id, 3, 2 * s), length(id) / 2
	}'
}

# encoded NAME FETCH: every ID the server gave the client is a config 2
# plaintext ID of b$owner's server ID.
encoded()
{
	check "$1: the server's IDs encode config $QLB_CONFIG and b$owner's server ID" \
		"$(server_ids "$2" | layout | sort -u | tr '\n' ' ')" "$QLB_CONFIG $(sid "$owner") $QLB_CID_LEN "
}

# dcids_owned NAME IDS: every DCID is a config 2 QUIC-LB ID of b$owner.
dcids_owned()
{
	check "$1, every DCID is a b$owner QUIC-LB ID" \
		"$(echo "$2" | grep . | layout | sort -u | tr '\n' ' ')" "$QLB_CONFIG $(sid "$owner") $QLB_CID_LEN "
}

# Slots of backend $1 in VIP id $2's Maglev row (one row: reading all 32
# takes the CLI most of a second).
slots() { _tb_pins -j maglev show "$2" | jq --argjson b "$1" '[.[] | select(.backend_id == $b) | .slots] | add // 0'; }

draining()
{
	t="IPv$1 draining"
	before
	tb_shape 40mbit
	tb_fetch_bg "drain-$1" "$1" -- f8m
	wait_until 30 "the handshake of drain-$1" handshake_since "$h0" || not_ok "$t: handshake" "$waited"
	if ! one_owner "$t"; then
		tb_fetch_wait "drain-$1"
		tb_shape off
		return
	fi
	if tb_cli backend drain "b$owner" >/dev/null; then
		ok "$t: b$owner drained mid-transfer"
	else
		not_ok "$t: b$owner drained mid-transfer" "the CLI failed"
	fi
	p0=$(tb_stat_backend "$owner")
	check "$t: b$owner has no Maglev slots on either VIP" "$(slots "$owner" 0) $(slots "$owner" 1)" "0 0"
	c1=$(tb_status_all connections)
	for k in 1 2 3 4 5 6; do tb_fetch_bg "new-$1-$k" "$1" -- f64k; done
	tb_fetch_wait "new-$1-1" "new-$1-2" "new-$1-3" "new-$1-4" "new-$1-5" "new-$1-6"
	tb_verify "new-$1-1" f64k && tb_verify "new-$1-2" f64k && tb_verify "new-$1-3" f64k &&
		tb_verify "new-$1-4" f64k && tb_verify "new-$1-5" f64k && tb_verify "new-$1-6" f64k &&
		ok "$t: six new downloads intact" || not_ok "$t: six new downloads intact" "see above"
	c2=$(tb_status_all connections)
	new=0
	for j in 1 2 3; do
		new=$((new + $(echo "$c2" | cut -d' ' -f$j) - $(echo "$c1" | cut -d' ' -f$j)))
	done
	check "$t: the servers accepted the six new connections" "$new" 6
	moved=$(tb_moved "$c1" "$c2")
	case " $moved " in
	*" $owner "*) not_ok "$t: new connections avoid b$owner" "backends '$moved' accepted them" ;;
	*) ok "$t: new connections avoid b$owner (b$(echo "$moved" | sed 's/ /, b/g') took them)" ;;
	esac
	tb_fetch_wait "drain-$1"
	tb_shape off
	tb_check_download "$t: the drained backend's transfer" "drain-$1" f8m
	p1=$(tb_stat_backend "$owner")
	[ "$p1" -gt "$p0" ] && ok "$t: b$owner got its connection's packets after the drain ($((p1 - p0)))" ||
		not_ok "$t: b$owner got its connection's packets after the drain" "none"
	x=$(echo "$x0" | cut -d' ' -f"$owner")
	wait_until 30 "b$owner's server closes the drained connection" closed_since "$owner" "$x" &&
		ok "$t: b$owner's server saw its connection through to the close" ||
		not_ok "$t: b$owner's server saw its connection through to the close" "closed stayed $x"
	by_quiclb "$t"
	tb_cli backend undrain "b$owner" >/dev/null ||
		not_ok "$t: b$owner undrained" "the CLI failed"
	[ "$(slots "$owner" 0)" -gt 0 ] || not_ok "$t: b$owner undrained" "no Maglev slots"
}

qlb_line() { echo "quic-lb $1 config $QLB_CONFIG mode plaintext server-id-len $QLB_SID_LEN nonce-len $QLB_NONCE_LEN"; }

tb_test_up "$BUILD" --backends 3 --cid-len "$QLB_CID_LEN" \
	--config-extra "$(qlb_line web4; qlb_line web6)"
if ! tb_have_h3server || ! command -v tcpdump >/dev/null; then
	not_ok "set-up: qs-h3server built, tcpdump installed" "not both"
	tb_test_end
fi
# Each backend again, with its server ID in both VIPs' configuration: a
# QUIC-LB-only backend, no key file, never heard from.
for i in 1 2 3; do
	if ! tb_cli backend del "b$i" >/dev/null ||
		! tb_cli backend add "b$i" "fd00::$((10 + i))" id "$i" vip web4 vip web6 \
			server-id web4 "$QLB_CONFIG" "$(sid $i)" server-id web6 "$QLB_CONFIG" "$(sid $i)" >/dev/null ||
		! tb_server_start "$i" h3 --no-report --cid-scheme quic-lb --quic-lb-config "$QLB_CONFIG" \
			--server-id "$(sid $i)" --nonce-len "$QLB_NONCE_LEN"; then
		not_ok "set-up: b$i with server ID $(sid $i), qs-h3server --cid-scheme quic-lb" "see above"
		tb_test_end
	fi
done
# The CLI's explanation of a short header with each backend's ID: the
# maps hold what the agent was told.
got=
for i in 1 2 3; do
	id=$(printf '%02x%s0a0b0c0d0e0f' $((QLB_CONFIG << 5 | 7)) "$(sid $i)")
	got="$got $(tb_cli -j route "$TB_VIP4" "$TB_PORT" "$TB_CL4A" 40000 short "$id" |
		jq -r '"\(.reason):\(.backend_id)"')"
done
check "set-up: the router's maps route each server ID to its backend" "$got" \
	" route_quiclb:1 route_quiclb:2 route_quiclb:3"
tb_make_file f64k 65536
tb_make_file f1m 1048576
tb_make_file f8m 8388608
for fam in 4 6; do
	plain $fam
	migration $fam
	draining $fam
done
check "no backend sent a report" "$(tb_status_all reports_sent)" "0 0 0"
check "the agent holds no reported ID" "$(tb_cli -j status | jq .ids_reported)" 0
tb_test_end
