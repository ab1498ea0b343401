# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# What the QUIC-LB scenarios on the testbed share (test-e2e-quiclb.sh,
# plaintext IDs; test-e2e-quiclb-aes.sh, encrypted ones): backends that
# run qs-h3server with --no-report --cid-scheme quic-lb, routed by the
# server ID in their IDs alone. Sourced after lib.sh and testbed.sh.
#
# The sourcing script sets QLB_CID_LEN (the length of the IDs the servers
# issue now) and defines:
#   encoded NAME FETCH       every ID the server gave the client in FETCH
#                            is one of b$owner's (checks, counted)
#   dcids_owned NAME IDS     every short-header DCID in IDS (hex, one a
#                            line) is one of b$owner's (checks, counted)
#
# Functions:
#   reason NAME              packets counted under reason NAME (0 if none)
#   table_rungs              the rungs a QUIC-LB connection never touches,
#                            their counts as one line (TABLE_RUNGS names them)
#   cid_entries              ID-table entries
#   server_ids FETCH         the IDs the server gave the client: its first
#                            SCID and every NEW_CONNECTION_ID, from the qlog
#   pcap_dcids FILE FAMILY   the DCID (QLB_CID_LEN bytes) of every
#                            short-header packet in a capture
#   before                   the counters the checks below compare against
#   one_owner NAME           the one backend whose server accepted the
#                            connection since before, in $owner
#   by_quiclb NAME           routed by the server ID (route_quiclb), no
#                            table touched, nothing unknown
#   same_backend NAME SIZE   b$owner alone closed it, sent its SIZE bytes,
#                            and got the router's packets
#   plain FAMILY [LABEL]     a download (below), its checks named
#                            "IPvN LABEL" [plain]
#   migration FAMILY [LABEL] the active migration scenario (below), its
#                            checks named "IPvN LABEL migration ..."

reason() { tb_stat_reason "$1" || echo 0; }

TABLE_RUNGS="route_cid route_cid_learned route_flow_learn route_flow_nolearn drop_unknown_cid"
table_rungs() { for r in $TABLE_RUNGS; do reason "$r"; done | tr '\n' ' ' | sed 's/ $//'; }
cid_entries() { _tb_pins -j cid show | jq length; }

handshake_since() { tb_handshakes_since "$1"; }
closed_since()
{
	_cs=$(tb_status "$1" closed)
	echo "closed: $_cs"
	[ "$_cs" -gt "$2" ]
}

server_ids()
{
	jq -r --seq 'select(.name == "transport:parameters_set" and .data.owner == "remote")
		.data.initial_source_connection_id // empty,
		(select(.name == "transport:packet_received") | .data.frames[]? |
		select(.frame_type == "new_connection_id") | .connection_id)' \
		"$TB_DIR/fetch/$1.qlog" 2>/dev/null | tr -d '\036'
}

# (a capture of UDP over IPv4 or IPv6 without extension headers)
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

by_quiclb()
{
	q1=$(reason route_quiclb)
	[ "$q1" -gt "$q0" ] && ok "$1: routed by the QUIC-LB server ID ($((q1 - q0)) route_quiclb)" ||
		not_ok "$1: routed by the QUIC-LB server ID" "route_quiclb stayed $q0"
	check "$1: nothing by the ID table or address learning, nothing unknown ($TABLE_RUNGS)" \
		"$(table_rungs)" "$t0"
	check "$1: the ID table stays empty" "$(cid_entries)" 0
}

# (at least SIZE: the status file is rewritten when the server frees the
# connection, after its closing period)
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

# plain FAMILY: a 1 MiB download; after the first Initial, every packet
# is routed by the server ID in its DCID, and the server's IDs, as the
# client received them, are its own (encoded).
plain()
{
	t="IPv$1 ${2:-plain}"
	before
	tb_fetch "plain-$1" "$1" -- f1m
	tb_check_download "$t" "plain-$1" f1m
	one_owner "$t" || return
	encoded "$t" "plain-$1"
	same_backend "$t" 1048576
	by_quiclb "$t"
}

# migration FAMILY: active migration mid-transfer to a new source address
# and port (gtlsclient --change-local-addr after tb_client_src). The
# client's packets from the new address carry a fresh ID the router never
# saw, and the transfer completes on the same backend without any report,
# nothing dropped as unknown. A capture on the client (tcpdump) shows what
# it sent from the new address. 8 MiB shaped to 40 Mbit/s last about
# 1.7 s, and the client moves at 1 s, after the handshake, which the
# script sees in the servers' status files within tens of milliseconds.
migration()
{
	t="IPv$1 ${2:+$2 }migration mid-transfer to a new address"
	[ "$1" = 4 ] && b=$TB_CL4B v=$TB_VIP4 || b=$TB_CL6B v=$TB_VIP6
	pcap=$TB_DIR/mig-$1.pcap
	before
	tb_exec client tcpdump -i eth0 -nn -U -w "$pcap" "udp and src host $b and dst host $v" \
		>"$TB_DIR/mig-$1.tcpdump" 2>&1 &
	cap=$!
	wait_until 30 "tcpdump on the client listens" grep -q 'listening on' "$TB_DIR/mig-$1.tcpdump" ||
		not_ok "$t: tcpdump ready" "$waited; $(cat "$TB_DIR/mig-$1.tcpdump")"
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
	dcids_owned "$t: from $b" "$ids"
	encoded "$t" "mig-$1"
	same_backend "$t" 8388608
	by_quiclb "$t"
}
