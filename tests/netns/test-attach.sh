#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Attaching through libxdp (userspace/router/attach.c), as the agent will: the
# router attaches in native and generic mode with its maps pinned under the
# given directory, stays attached when the attaching process exits (an agent
# that stops or crashes must not stop traffic), a second attachment reuses
# the pinned maps (entries survive a restart), and a detach from a fresh
# process removes it. Guards against losing routing on agent exit and
# against a restart that recreates the maps empty.
#
# Usage: tests/netns/test-attach.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
PROBE=$BUILD/tests/qs-attach-probe
PINS=/sys/fs/bpf/qs-attach
IF=qsat0
. "$(dirname "$0")/lib.sh"

xdp_name()
{
	ip -j link show dev "$IF" | jq -r '.[0].xdp.prog.name // ""'
}

xdp_mode()
{
	ip -j link show dev "$IF" | jq -r '.[0].xdp.mode // ""'
}

# Inside the namespace: the checks themselves.
inner()
{
	for mode in native generic; do
		"$PROBE" "$PINS" attach "$IF" "$mode" 2>"$DIR/attach.err"
		check "$mode: attach exits 0" "$?" 0
		check "$mode: attached after the process exits" "$(xdp_name)" quicsteer_route
		want=$([ $mode = native ] && echo 1 || echo 2)
		check "$mode: attach mode" "$(xdp_mode)" "$want"
		[ -e "$PINS/qs_cids" ] && ok "$mode: maps pinned" || not_ok "$mode: maps pinned" "$PINS/qs_cids missing"
		"$PROBE" "$PINS" detach "$IF" "$mode" 2>>"$DIR/attach.err"
		check "$mode: detach exits 0" "$?" 0
		check "$mode: detached" "$(xdp_name)" ""
	done

	# An entry written into the pinned map survives a second attachment.
	"$PROBE" "$PINS" attach "$IF" native 2>>"$DIR/attach.err"
	bpftool map update pinned "$PINS/qs_nexthops" key 5 0 0 0 value \
		0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 \
		2 0 0 0 0 9 2 0 0 0 0 1 0 0 1 0
	"$PROBE" "$PINS" detach "$IF" native 2>>"$DIR/attach.err"
	"$PROBE" "$PINS" attach "$IF" native 2>>"$DIR/attach.err"
	check "re-attach: attached" "$(xdp_name)" quicsteer_route
	got=$(bpftool -j map lookup pinned "$PINS/qs_nexthops" key 5 0 0 0 | jq -c '.formatted.value.dmac // .value')
	check "re-attach: pinned entry kept" "$got" "[2,0,0,0,0,9]"
	"$PROBE" "$PINS" detach "$IF" native 2>>"$DIR/attach.err"

	"$PROBE" "$PINS" detach "$IF" native 2>/dev/null
	check "detach with nothing attached fails" "$?" 1
	"$PROBE" "$PINS" attach nosuchif0 native 2>/dev/null
	check "attach to a missing interface fails" "$?" 1
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/attach.err"
	echo "$passed passed, $failed failed"
}

netns_test at "$PROBE" -- "$IF:qsat1"
