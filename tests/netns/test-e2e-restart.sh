#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# A backend restarts (a new incarnation), end to end through the router
# (tests/netns/testbed.sh) with the reference backend qs-h3server, which
# reports its connection IDs. Two backends; twice: IPv4 clients with
# reports sent to the agent over IPv4, then IPv6 clients with reports over
# IPv6 (the servers know only the agent's IPv6 endpoint then, so every ID
# in the table came over IPv6).
#
# Twelve long downloads run, on both backends (each takes one with
# probability 1/2: the test fails at once, with a correct router, if one
# backend takes none, which happens with probability 2^-11; the segment is
# rate-limited so that they last, and held to a crawl until the kill:
# lifecycle.sh's hold). The busier backend's server is killed with SIGKILL: it
# retires nothing and reports no close, so its IDs stay in the table, and
# only the agent's incarnation rule can remove them. It starts again (a new
# process, a new incarnation). Then:
# - every ID the old process registered is gone from the ID table, and the
#   agent counted exactly those in quicsteer_ids_purged_total (none of the
#   other backend's, which goes on serving). Guards against an agent that keeps
#   a dead process's IDs (they would route new packets that carry them to
#   a server that no longer knows them), and a purge that takes other
#   backends' IDs with it.
# - the other backend's transfers complete byte for byte (no more are lost
#   than the killed one had; the rate limit is not fair between the
#   transfers, and one of its may have ended before the kill).
# - 16 new downloads, all intact; the restarted backend takes at least one
#   (1/2 each, so a correct router fails this with probability 2^-16) and
#   its new process's IDs are in the table, none of the old ones.
#
# Usage: tests/netns/test-e2e-restart.sh [BUILD_DIR]. Needs root; without
# qs-h3server built it fails (a scenario of the reference backend).

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/lifecycle.sh"
LONG=12
SIZE=1572864
NEW=16
# The killed server's clients end at their idle timeout, and the test waits
# for them: part of the scenario, kept short (lifecycle.sh's long_start).
# shellcheck disable=SC2034
LC_TIMEOUT=5s

# The IDs backend $1 reported that the ID table holds, one a line, sorted,
# each by its place in qs_cidtab, BUCKET:FINGERPRINT (the table keeps no
# ID bytes; an ID's place stays while the pinned table lives, so the same
# ID gives the same line at every read). Not the learned entries: the clients of the killed server's
# connections keep sending (they retransmit until their idle timeout), and
# once the purge removed their IDs, the router routes those packets by the
# address table to the same backend and learns their IDs again, as it must
# for an ID it has not been told of (docs/datapath.md, rung c); unconfirmed,
# those expire after learned-ttl.
ids_of()
{
	tb_cli -j cid show backend "$1" | jq -r '.[] | select(.kind == "authoritative") |
		"\(.bucket):\(.fingerprint)"' | sort
}

# How many of the IDs in file $1 the table still holds.
still_there() { ids_of "$2" | comm -12 - "$1" | wc -l; }
none_left()
{
	_nl=$(still_there "$1" "$2")
	echo "$_nl old IDs left"
	[ "$_nl" -eq 0 ]
}
has_ids()
{
	_hi=$(tb_cids_backend "$1" authoritative)
	echo "$_hi IDs"
	[ "$_hi" -ge "${2:-1}" ]
}
has_new_ids() { [ "$(ids_of "$2" | comm -23 - "$1" | wc -l)" -ge 1 ]; }

purged() { tb_metrics | awk '$1 == "quicsteer_ids_purged_total" { print $2 }'; }

# restart FAMILY
restart()
{
	t="IPv$1"
	n=$1
	hold
	long_start "long-$n" $LONG flong
	long=$long_got
	b=$(busiest "$long")
	w=$((3 - b))
	check "$t: the servers accepted the $LONG long transfers" "$(total "$long")" $LONG
	wait_until 30 "b$b's reported IDs in the table" has_ids "$b" &&
		wait_until 30 "b$w's reported IDs in the table" has_ids "$w" &&
		ok "$t: both backends' IDs, reported over IPv$1, are in the table" ||
		not_ok "$t: both backends' IDs, reported over IPv$1, are in the table" \
			"b$b: $(tb_cids_backend "$b"), b$w: $(tb_cids_backend "$w")"
	in_flight "$t: the kill" "long-$n" $LONG $((LONG / 2))
	tb_server_stop "$b" KILL
	release
	old=$TB_DIR/old-$n
	ids_of "$b" >"$old"
	if [ -s "$old" ]; then
		ok "$t: b$b's $(wc -l <"$old") IDs outlive its killed server"
	else
		not_ok "$t: b$b's IDs outlive its killed server" "the table holds none"
	fi
	p0=$(purged)

	if tb_server_start "$b" h3; then
		ok "$t: b$b's server started again"
	else
		not_ok "$t: b$b's server started again" "see above"
	fi
	wait_until 30 "the agent purges b$b's old IDs" none_left "$old" "$b"
	check "$t: none of the old process's IDs is left" "$(still_there "$old" "$b")" 0
	p1=$(purged)
	check "$t: the agent counted the old process's IDs purged, no more" \
		"$((p1 - p0))" "$(wc -l <"$old")"

	c0=$(tb_connections_all)
	long_start "new-$n" $NEW f1m
	got=$long_got
	if [ "$(total "$got")" = $NEW ] && [ "$(nth "$got" "$b")" -ge 1 ]; then
		ok "$t: the restarted b$b takes new connections ($got)"
	else
		not_ok "$t: the restarted b$b takes new connections" "got $got want $NEW in all, b$b at least 1"
		# what the router did, for whoever reads the failure
		_tb_pins -j stats | jq -c '.reasons | to_entries | map(select(.value.packets > 0)) |
			map({(.key): .value.packets}) | add' | sed 's/^/# reasons: /'
		_tb_pins flow show | sed 's/^/# /' 
	fi
	wait_until 30 "b$b's new process's IDs in the table" has_new_ids "$old" "$b" &&
		ok "$t: b$b's new process's IDs are in the table" ||
		not_ok "$t: b$b's new process's IDs are in the table" "$(tb_cids_backend "$b") IDs, none new"
	check "$t: still none of the old ones" "$(still_there "$old" "$b")" 0
	long_wait "new-$n" $NEW f1m
	check "$t: $NEW new downloads intact" "$long_bad" ""

	# The long transfers: b$b's died with its server (they end at the
	# client's idle timeout), b$w's must all be intact.
	long_wait "long-$n" $LONG flong
	lost=$(echo "$long_bad" | wc -w)
	if [ "$lost" -le "$(nth "$long" "$b")" ]; then
		ok "$t: at most b$b's long transfers were lost ($lost)"
	else
		not_ok "$t: at most b$b's long transfers were lost" "$lost lost, b$b had $(nth "$long" "$b")"
	fi
}

tb_test_up "$BUILD" --backends 2
tb_make_file flong $SIZE
tb_make_file f1m 1048576
release
if ! tb_have_h3server; then
	not_ok "qs-h3server is built" "no $TB_H3SERVER"
	tb_test_end
fi
for fam in 4 6; do
	tb_server_stop_all
	LC_FAMILY=$fam
	TB_REPORT_TO=$TB_REPORT4
	[ $fam = 4 ] || TB_REPORT_TO=$TB_REPORT6
	if tb_server_start_all h3; then
		restart $fam
	else
		not_ok "set-up: qs-h3server reporting to $TB_REPORT_TO" "see above"
	fi
done
tb_test_end
