#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Connections that move, through the router (tests/netns/testbed.sh), with
# backends that report (qs-h3server), IPv4 and IPv6. What backend reports
# add to what test-e2e-noreport.sh shows works without them:
#
# - Active migration mid-transfer (gtlsclient --change-local-addr: a new
#   port and a new ID the router never saw in clear): the transfer
#   completes on the same backend, routed by the ID the backend reported.
#   Guards against the router not taking reported IDs into its table, or
#   routing a migrated connection by its new address.
# - Active migration to a new source address (the client's route changes
#   its source between the handshake and the migration): the same, and the
#   router's address table follows the connection to the new address.
#   Guards against a router that keys connections on the client's address.
# - NAT rebinding on an idle connection (--nat-rebinding: new port, same
#   ID). Guards against reported entries that only route from the address
#   they were first seen from.
# - Reports delayed: the agent's report intake is paused (SIGSTOP) before
#   the connection starts and the client migrates actively; the migrated
#   packets are dropped and counted, never sent to another backend; once
#   intake resumes (SIGCONT) the router learns the reported IDs and the
#   transfer completes. Guards against misroutes while the agent lags and
#   against reports lost rather than delayed.
#
# "The same backend": only that backend's server counts the connection and
# the bytes (status files), only it gets packets from the router. "By the
# reported ID": after the handshake every packet goes by an authoritative
# ID-table entry (route_cid), none by a learned one or dropped as unknown.
#
# Pausing with SIGSTOP is a faithful pause of intake: the data path runs in
# the kernel and is untouched, the report datagrams wait in the agent's
# socket buffer (8 MiB) and are read, in order, after SIGCONT. The pause
# starts before the connection, not just before its migration, because
# the backend reports the IDs it hands out at the handshake: paused any
# later, the agent already knows the ID the client migrates to.
#
# Then the same active migrations with both VIPs set to address-entry
# handshake (and unknown hash) at run time: Initials write nothing (route_handshake_hash), the
# agent takes each handshake report's client address, and the address
# table still follows the connection.
#
# Every download is compared byte for byte.
#
# Usage: tests/netns/test-e2e-migration.sh [BUILD_DIR]. Needs root and
# qs-h3server; never skips.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"

# Field $1 of every backend's status: "V1 V2 V3".
handshake_since() { tb_handshakes_since "$1"; }
counted_since()
{
	_cs=$(tb_stat_reason "$1")
	echo "$1: $_cs"
	[ "$_cs" -gt "$2" ]
}

# Address-table entries of client address $1 (its ports).
flows_from() { _tb_pins -j flow show | jq --arg a "$1" '[.[] | select(.client == $a)] | length'; }

# before FAMILY: the counters the checks compare against.
before()
{
	[ "$1" = 4 ] && cl=$TB_CL4A || cl=$TB_CL6A
	fl0=$(flows_from "$cl")
	b0=$(tb_stat_backends)
	c0=$(tb_status_all connections)
	s0=$(tb_status_all bytes_sent)
	h0=$(tb_status_all handshakes)
	rc0=$(tb_stat_reason route_cid)
	rl0=$(tb_stat_reason route_cid_learned)
	du0=$(tb_stat_reason drop_unknown_cid)
}

# same_backend NAME: one backend took the connection and its bytes, and
# the router sent packets to it alone.
same_backend()
{
	owner=$(tb_moved "$c0" "$(tb_status_all connections)")
	check "$1: one backend's server counts the connection" "$(echo "$owner" | wc -w)" 1
	check "$1: only b$owner's server sent bytes" "$(tb_moved "$s0" "$(tb_status_all bytes_sent)")" "$owner"
	check "$1: the router forwarded to b$owner only" "$(tb_moved "$b0" "$(tb_stat_backends)")" "$owner"
}

# by_reported_id NAME: after the handshake, authoritative entries only.
by_reported_id()
{
	rc1=$(tb_stat_reason route_cid)
	[ "$rc1" -gt "$rc0" ] && ok "$1: routed by reported IDs ($((rc1 - rc0)) route_cid)" ||
		not_ok "$1: routed by reported IDs" "route_cid stayed $rc0"
	check "$1: nothing by learned IDs, nothing dropped as unknown" \
		"$(($(tb_stat_reason route_cid_learned) - rl0)) $(($(tb_stat_reason drop_unknown_cid) - du0))" "0 0"
}

# migrated NAME FETCH [ENTRIES]: the client moved to a new path, and the
# connection went on there rather than falling back to the old one: the
# router recorded the new port's address (a connection's first port and
# its new one: ENTRIES, default 2, more entries of the client's address).
migrated()
{
	q=$(cat "$TB_DIR/fetch/$2.qlog")
	has "$1: the client migrated (PATH_CHALLENGE)" "$q" '"frame_type":"path_challenge"'
	has "$1: the path was validated (PATH_RESPONSE)" "$q" '"frame_type":"path_response"'
	check "$1: the router saw the connection on its new port" \
		"$(($(flows_from "$cl") - fl0))" "${3:-2}"
}

mid_transfer()
{
	t="IPv$1 active migration mid-transfer"
	before "$1"
	# 8 MiB at 40 Mbit/s: about 1.7 s, the migration comes at 0.3 s
	tb_shape 40mbit
	tb_fetch "mid-$1" "$1" --change-local-addr=300ms -- f8m
	tb_shape off
	tb_check_download "$t" "mid-$1" f8m
	migrated "$t" "mid-$1"
	same_backend "$t"
	by_reported_id "$t"
}

new_address()
{
	t="IPv$1 active migration to a new address"
	before "$1"
	tb_fetch_bg "addr-$1" "$1" --change-local-addr=1s --delay-stream=2s -- f1m
	if wait_until 30 "the handshake of addr-$1" handshake_since "$h0"; then
		tb_client_src "$1" b
	else
		not_ok "$t: handshake" "$waited"
	fi
	tb_fetch_wait "addr-$1"
	tb_client_src "$1" a
	tb_check_download "$t" "addr-$1" f1m
	migrated "$t" "addr-$1" 1
	same_backend "$t"
	by_reported_id "$t"
	[ "$1" = 4 ] && b=$TB_CL4B || b=$TB_CL6B
	check "$t: the address table follows the connection to $b" \
		"$(_tb_pins -j flow show | jq -c --arg a "$b" '[.[] | select(.client == $a) | .backend_id] | unique')" \
		"[$owner]"
}

rebinding()
{
	t="IPv$1 NAT rebinding"
	before "$1"
	tb_fetch "nat-$1" "$1" --nat-rebinding --change-local-addr=1s --delay-stream=2s -- f1m
	tb_check_download "$t" "nat-$1" f1m
	has "$t: the client answered the server's path validation" \
		"$(cat "$TB_DIR/fetch/nat-$1.qlog")" '"frame_type":"path_response"'
	same_backend "$t"
	by_reported_id "$t"
}

delayed()
{
	t="IPv$1 reports delayed"
	before "$1"
	tb_agent_pause
	# Its idle timeout outlasts the pause, which ends once the drops are
	# counted (a wait of at most 30 s).
	tb_fetch_bg "late-$1" "$1" --change-local-addr=1s --delay-stream=2s --timeout=45s -- f1m
	if wait_until 30 "drop_unknown_cid counts late-$1's migrated packets" counted_since drop_unknown_cid "$du0"; then
		ok "$t: the migrated packets are dropped and counted while intake is paused"
	else
		not_ok "$t: the migrated packets are dropped and counted" "$waited"
	fi
	check "$t: while paused, the router sent packets to one backend at most" \
		"$(tb_moved "$b0" "$(tb_stat_backends)" | wc -w)" 1
	rc0=$(tb_stat_reason route_cid)
	tb_agent_resume
	tb_fetch_wait "late-$1"
	tb_check_download "$t" "late-$1" f1m
	migrated "$t" "late-$1"
	same_backend "$t"
	rc1=$(tb_stat_reason route_cid)
	[ "$rc1" -gt "$rc0" ] && ok "$t: after the resume, routed by reported IDs ($((rc1 - rc0)) route_cid)" ||
		not_ok "$t: after the resume, routed by reported IDs" "route_cid stayed $rc0"
}

# The agent's counter $1, "absent" if it has none.
agent_metric() { tb_metrics | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }'; }

# address-entry handshake, set at run time: the same migrations, with new
# connections that write nothing in the data path (route_handshake_hash);
# the agent writes each connection's address entry from its backend's
# handshake report, unless the connection's first reported ID, which
# usually comes first, opened it (present). Either way the address table
# follows the connection as before (migrated, new_address).
entries_at_handshake()
{
	th="address-entry handshake"
	# with unknown hash, as docs/configuration.md advises: a client's first
	# 1-RTT packets may beat its server's first report to the agent, and
	# no address entry learns their ID meanwhile; hashed, they go where the
	# Initial went (the same address and port)
	tb_cli vip set web4 address-entry handshake unknown hash >/dev/null &&
		tb_cli vip set web6 address-entry handshake unknown hash >/dev/null &&
		ok "$th: set on both VIPs at run time" || not_ok "$th: vip set" "refused"
	# the first round's entries of the clients' addresses would blur
	# new_address's check of where the table follows the connection
	tb_cli flow flush >/dev/null || not_ok "$th: flow flush" "refused"
	check "$th: vip show says so" \
		"$(tb_cli -j vip show | jq -r '[.[].address_entry] | unique | join(" ")')" handshake
	nw0=$(tb_stat_reason route_new)
	st0=$(tb_stat_reason route_handshake_hash)
	hs0=$(agent_metric quicsteer_handshake_entries_written_total)
	hp0=$(agent_metric quicsteer_handshake_entries_present_total)
	for fam in 4 6; do
		mid_transfer $fam
		new_address $fam
	done
	check "$th: no Initial wrote an address entry (route_new)" \
		"$(($(tb_stat_reason route_new) - nw0))" 0
	st1=$(tb_stat_reason route_handshake_hash)
	[ "$st1" -gt "$st0" ] && ok "$th: Initials routed by Maglev alone ($((st1 - st0)) route_handshake_hash)" ||
		not_ok "$th: Initials routed by Maglev alone" "route_handshake_hash stayed $st0"
	hs1=$(agent_metric quicsteer_handshake_entries_written_total)
	hp1=$(agent_metric quicsteer_handshake_entries_present_total)
	echo "# $th: the agent wrote $((hs1 - hs0)) entries, found $((hp1 - hp0)) there"
	check "$th: the agent took every handshake report's address (written + present)" \
		"$((hs1 - hs0 + hp1 - hp0))" 4
	check "$th: none lost" "$(agent_metric quicsteer_handshake_entries_lost_total)" 0
}

tb_test_up "$BUILD" --backends 3
if ! tb_have_h3server || ! tb_server_start_all h3; then
	not_ok "set-up: qs-h3server on every backend" "not built, or see above"
	tb_test_end
fi
tb_make_file f1m 1048576
tb_make_file f8m 8388608
for fam in 4 6; do
	mid_transfer $fam
	new_address $fam
	rebinding $fam
	delayed $fam
done
entries_at_handshake
check "the servers' reports were all sent" "$(tb_status_all report_errors)" "0 0 0"
tb_test_end
