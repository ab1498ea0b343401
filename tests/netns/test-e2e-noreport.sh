#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Reporting turned off, end to end through the router (tests/netns/testbed.sh),
# with real QUIC peers: stock gtlsserver backends, which report nothing, and
# the reference backend with --no-report when it is built. IPv4 and IPv6.
#
# - Plain transfers work: the address table routes the handshake and learns
#   the server's first ID when the client starts using it. Guards against a
#   router that needs reports for the simplest connection.
# - NAT rebinding works (a new client port, the same ID): the learned ID
#   routes it. Guards against learned entries that do not route.
# - Active migration (a new port and an ID the router never saw in clear)
#   fails: the router drops the migrated packets and counts them as unknown
#   IDs, and no backend but the connection's own sees a single packet, from
#   the first Initial to the client's give-up. Guards against misroutes,
#   which with other servers provoke stateless resets, and documents the
#   limit that backend reports remove (test-e2e-migration.sh).
#
# Every download is compared byte for byte; a connection's backend is the
# one whose server accepted it (its qlog files, or its status file), found
# independently of the router's counters that the checks then read.
#
# Usage: tests/netns/test-e2e-noreport.sh [BUILD_DIR]. Needs root; never
# skips, except the reference-backend half while qs-h3server is not built
# (printed and counted).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"

# The backend that accepted the connection between two tb_connections_all.
owner_of() { tb_moved "$1" "$2"; }

# ID-table entries of backend $1 of kind $2 (0 if the table has none).
cids() { tb_cids_backend "$1" "$2" 2>/dev/null || echo 0; }

# only_owner NAME BACKENDS_BEFORE OWNER: the router forwarded packets to
# OWNER and to no other backend since BACKENDS_BEFORE.
only_owner()
{
	moved=$(tb_moved "$2" "$(tb_stat_backends)")
	check "$1: the router forwarded to the connection's backend only" "$moved" "$3"
}

# plain KIND FAMILY
plain()
{
	t="$1 IPv$2 plain"
	b0=$(tb_stat_backends)
	c0=$(tb_connections_all)
	learn0=$(tb_stat_reason route_flow_learn)
	tb_fetch "plain-$1-$2" "$2" -- f1m && tb_verify "plain-$1-$2" f1m &&
		ok "$t: 1 MiB download intact" || not_ok "$t: 1 MiB download intact" "see above"
	owner=$(owner_of "$c0" "$(tb_connections_all)")
	case $owner in
	[0-9] | [0-9][0-9]) ok "$t: one backend accepted the connection (b$owner)" ;;
	*)
		not_ok "$t: one backend accepted the connection" "backends '$owner' did"
		return 1
		;;
	esac
	only_owner "$t" "$b0" "$owner"
	learn1=$(tb_stat_reason route_flow_learn)
	if [ "$learn1" -gt "$learn0" ]; then
		ok "$t: the address table learned the server's ID ($((learn1 - learn0)) route_flow_learn)"
	else
		not_ok "$t: the address table learned the server's ID" "route_flow_learn stayed $learn0"
	fi
	check "$t: b$owner has learned ID entries, no reported ones" \
		"$([ "$(cids "$owner" learned)" -ge 1 ] && echo yes) $(cids "$owner" authoritative)" "yes 0"
}

# rebinding KIND FAMILY: the client moves to a new port on an idle
# connection (--delay-stream: gtlsclient migrates at its next send) and
# keeps its ID.
rebinding()
{
	t="$1 IPv$2 NAT rebinding"
	n=nat-$1-$2
	b0=$(tb_stat_backends)
	c0=$(tb_connections_all)
	tb_fetch "$n" "$2" --nat-rebinding --change-local-addr=1s --delay-stream=2s -- f1m &&
		tb_verify "$n" f1m && ok "$t: download intact" || not_ok "$t: download intact" "see above"
	owner=$(owner_of "$c0" "$(tb_connections_all)")
	# The server validates the new path: the client answered its challenge.
	has "$t: the client answered the server's path validation" \
		"$(cat "$TB_DIR/fetch/$n.qlog")" '"frame_type":"path_response"'
	only_owner "$t" "$b0" "$owner"
}

# migration KIND FAMILY: active migration, new port and a new ID from the
# server's NEW_CONNECTION_ID frames, which the router never saw in clear.
migration()
{
	t="$1 IPv$2 active migration"
	n=act-$1-$2
	b0=$(tb_stat_backends)
	c0=$(tb_connections_all)
	d0=$(tb_stat_reason drop_unknown_cid)
	# The scenario's times: idle until 2 s, the request from the new path,
	# and the client gives up 3 s after it last heard from the server (the
	# test waits for that: kept short).
	tb_fetch "$n" "$2" --change-local-addr=1s --delay-stream=2s --timeout=3s -- f1m
	if tb_verify "$n" f1m 2>/dev/null; then
		not_ok "$t: fails without reports" "the download completed: the limit this test documents is gone (update it)"
	else
		ok "$t: fails without reports (the download is incomplete)"
	fi
	has "$t: the client migrated (sent PATH_CHALLENGE)" \
		"$(cat "$TB_DIR/fetch/$n.qlog")" '"frame_type":"path_challenge"'
	d1=$(tb_stat_reason drop_unknown_cid)
	if [ "$d1" -gt "$d0" ]; then
		ok "$t: the router counted $((d1 - d0)) unknown-ID drops"
	else
		not_ok "$t: the router counted unknown-ID drops" "drop_unknown_cid stayed $d0"
	fi
	owner=$(owner_of "$c0" "$(tb_connections_all)")
	check "$t: one backend accepted the connection" "$(echo "$owner" | wc -w)" 1
	only_owner "$t: no misroute" "$b0" "$owner"
}

# run_kind KIND: the three parts, IPv4 then IPv6.
run_kind()
{
	for fam in 4 6; do
		plain "$1" $fam && rebinding "$1" $fam && migration "$1" $fam
	done
	[ "$1" = h3 ] || return 0
	check "h3: no backend sent a report" \
		"$(j=1; while [ $j -le "$TB_N" ]; do tb_status $j reports_sent; j=$((j + 1)); done | sort -u)" 0
}

tb_test_up "$BUILD" --backends 3
tb_make_file f1m 1048576
tb_test_kinds run_kind "" --no-report
tb_test_end
