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

QLB_CONFIG=2
QLB_SID_LEN=2
QLB_NONCE_LEN=6
QLB_CID_LEN=$((1 + QLB_SID_LEN + QLB_NONCE_LEN))

# Backend $1's server ID: 0x51 then its number, so that a router reading
# the wrong bytes, or in the wrong order, finds no backend.
sid() { printf '51%02x' "$1"; }

# Field $1 of every backend's status: "V1 V2 V3".
handshake_since() { tb_handshakes_since "$1"; }
closed_since()
{
	_cs=$(tb_status "$1" closed)
	echo "closed: $_cs"
	[ "$_cs" -gt "$2" ]
}
reason() { tb_stat_reason "$1" || echo 0; }

# The rungs a QUIC-LB connection must never touch, as one line.
TABLE_RUNGS="route_cid route_cid_learned route_flow_learn route_flow_nolearn drop_unknown_cid"
table_rungs() { for r in $TABLE_RUNGS; do reason "$r"; done | tr '\n' ' ' | sed 's/ $//'; }
cid_entries() { _tb_pins -j cid show | jq length; }

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

# server_ids FETCH: the IDs the server gave the client (its first SCID and
# every NEW_CONNECTION_ID the client received), from the client's qlog.
server_ids()
{
	jq -r --seq 'select(.name == "transport:parameters_set" and .data.owner == "remote")
		.data.initial_source_connection_id // empty,
		(select(.name == "transport:packet_received") | .data.frames[]? |
		select(.frame_type == "new_connection_id") | .connection_id)' \
		"$TB_DIR/fetch/$1.qlog" 2>/dev/null | tr -d '\036'
}

# pcap_dcids FILE FAMILY: the DCID of every short-header packet in FILE
# (a capture of UDP over IPv4 or IPv6 without extension headers).
pcap_dcids()
{
	[ "$2" = 4 ] && off=28 || off=48
	tcpdump -r "$1" -nn -x 2>/dev/null | awk -v off="$off" -v n="$QLB_CID_LEN" '
		function flush() {
			p = substr(hex, 2 * off + 1)
			if (p != "" && substr(p, 1, 1) ~ /[0-7]/)
				print substr(p, 3, 2 * n)
			hex = ""
		}
		/^[ \t]+0x/ { for (i = 2; i <= NF; i++) hex = hex $i; next }
		{ flush() }
		END { flush() }'
}

# before: the counters the checks compare against.
before()
{
	b0=$(tb_stat_backends)
	c0=$(tb_status_all connections)
	s0=$(tb_status_all bytes_sent)
	h0=$(tb_status_all handshakes)
	x0=$(tb_status_all closed)
	q0=$(reason route_quiclb)
	t0=$(table_rungs)
}

# one_owner NAME: the backend whose server accepted the connection since
# before, in $owner; false (and counted) unless exactly one did.
one_owner()
{
	owner=$(tb_moved "$c0" "$(tb_status_all connections)")
	case $owner in
	[0-9]) ok "$1: one backend's server accepted the connection (b$owner)" ;;
	*)
		not_ok "$1: one backend's server accepted the connection" "backends '$owner' did"
		return 1
		;;
	esac
}

# by_quiclb NAME: routed by the server ID, no table touched.
by_quiclb()
{
	q1=$(reason route_quiclb)
	[ "$q1" -gt "$q0" ] && ok "$1: routed by the QUIC-LB server ID ($((q1 - q0)) route_quiclb)" ||
		not_ok "$1: routed by the QUIC-LB server ID" "route_quiclb stayed $q0"
	check "$1: nothing by the ID table or address learning, nothing unknown ($TABLE_RUNGS)" \
		"$(table_rungs)" "$t0"
	check "$1: the ID table stays empty" "$(cid_entries)" 0
}

# same_backend NAME SIZE: b$owner alone counts the connection and sent
# its bytes (at least SIZE: the status file is rewritten when the server
# frees the connection, after its closing period), and the router sent
# packets to it alone.
same_backend()
{
	x=$(echo "$x0" | cut -d' ' -f"$owner")
	wait_until 30 "b$owner's server closes the connection" closed_since "$owner" "$x" ||
		not_ok "$1: b$owner's server closed the connection" "$waited"
	s1=$(tb_status_all bytes_sent)
	check "$1: only b$owner's server sent bytes" "$(tb_moved "$s0" "$s1")" "$owner"
	sent=$(($(echo "$s1" | cut -d' ' -f"$owner") - $(echo "$s0" | cut -d' ' -f"$owner")))
	[ "$sent" -ge "$2" ] && ok "$1: b$owner sent the whole file ($sent bytes)" ||
		not_ok "$1: b$owner sent the whole file" "$sent bytes, want at least $2"
	check "$1: the router forwarded to b$owner only" "$(tb_moved "$b0" "$(tb_stat_backends)")" "$owner"
}

# encoded NAME FETCH: every ID the server gave the client is a config 2
# plaintext ID of b$owner's server ID.
encoded()
{
	check "$1: the server's IDs encode config $QLB_CONFIG and b$owner's server ID" \
		"$(server_ids "$2" | layout | sort -u | tr '\n' ' ')" "$QLB_CONFIG $(sid "$owner") $QLB_CID_LEN "
}

plain()
{
	t="IPv$1 plain"
	before
	tb_fetch "plain-$1" "$1" -- f1m
	tb_check_download "$t" "plain-$1" f1m
	one_owner "$t" || return
	encoded "$t" "plain-$1"
	same_backend "$t" 1048576
	by_quiclb "$t"
}

migration()
{
	t="IPv$1 migration mid-transfer to a new address"
	[ "$1" = 4 ] && b=$TB_CL4B v=$TB_VIP4 || b=$TB_CL6B v=$TB_VIP6
	pcap=$TB_DIR/mig-$1.pcap
	before
	# What the client sends from its second address.
	tb_exec client tcpdump -i eth0 -nn -U -w "$pcap" "udp and src host $b and dst host $v" \
		>"$TB_DIR/mig-$1.tcpdump" 2>&1 &
	cap=$!
	wait_until 30 "tcpdump on the client listens" grep -q 'listening on' "$TB_DIR/mig-$1.tcpdump" ||
		not_ok "$t: tcpdump ready" "$waited; $(cat "$TB_DIR/mig-$1.tcpdump")"
	# 8 MiB at 40 Mbit/s: about 1.7 s; the client moves at 1 s, to the
	# address its route uses by then.
	tb_shape 40mbit
	tb_fetch_bg "mig-$1" "$1" --change-local-addr=1s -- f8m
	if wait_until 30 "the handshake of mig-$1" handshake_since "$h0"; then
		tb_client_src "$1" b
	else
		not_ok "$t: handshake" "$waited"
	fi
	tb_fetch_wait "mig-$1"
	tb_client_src "$1" a
	tb_shape off
	kill "$cap" 2>/dev/null
	wait "$cap" 2>/dev/null
	tb_check_download "$t" "mig-$1" f8m
	q=$(cat "$TB_DIR/fetch/mig-$1.qlog")
	has "$t: the client migrated (PATH_CHALLENGE)" "$q" '"frame_type":"path_challenge"'
	has "$t: the new path was validated (PATH_RESPONSE)" "$q" '"frame_type":"path_response"'
	one_owner "$t" || return
	ids=$(pcap_dcids "$pcap" "$1")
	n=$(echo "$ids" | grep -c .)
	[ "$n" -gt 0 ] && ok "$t: the client sent $n packets from $b" ||
		not_ok "$t: the client sent packets from $b" "none captured"
	check "$t: from $b, every DCID is a b$owner QUIC-LB ID" \
		"$(echo "$ids" | grep . | layout | sort -u | tr '\n' ' ')" "$QLB_CONFIG $(sid "$owner") $QLB_CID_LEN "
	encoded "$t" "mig-$1"
	same_backend "$t" 8388608
	by_quiclb "$t"
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
