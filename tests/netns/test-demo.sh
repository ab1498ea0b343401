#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# make demo's show (tools/demo/run --quick, about 15 s): it exits 0, says
# every claim held, and its summary says what the claims rest on: three
# backends in the table, the drained one "draining", connections adding up
# to the clients started, the migrated connection's route before and after
# by reported ID (route_cid) to the same backend from two client addresses,
# and it leaves no namespace behind. Guards against a demo that rots while
# the pieces it shows change underneath it (testbed, CLI output, backend).
#
# Usage: tests/netns/test-demo.sh [BUILD_DIR]. Needs root and qs-h3server;
# never skips.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
DEMO=$(dirname "$0")/../../tools/demo/run
OUT=$(mktemp /tmp/qs-test-demo.XXXXXX)
trap 'rm -f "$OUT"' EXIT

"$DEMO" "$BUILD" --quick >"$OUT" 2>&1 &
pid=$!
wait $pid
rc=$?
check "the demo exits 0" "$rc" 0
out=$(cat "$OUT")
has "it says everything happened" "$out" "demo done: everything above happened as claimed."
check "no claim is false" "$(grep -c '^  NO ' "$OUT")" 0
check "five claims, all held" "$(grep -c '^  yes ' "$OUT")" 5
has "every download compared byte for byte" "$out" "downloads complete and identical to the served files (cmp, byte for byte)"

# The per-backend table: "  bN  WEIGHT STATE CONNECTIONS BYTES PACKETS".
rows=$(grep -E '^  b[1-3] +[0-9]+ +(active|draining) +[0-9]+ +[0-9]+ +[0-9]+$' "$OUT")
check "the summary has a row per backend" "$(echo "$rows" | grep -c .)" 3
check "one backend is draining" "$(echo "$rows" | awk '$3 == "draining"' | wc -l)" 1
# --quick: 3 clients, the moving one, 2 after the drain.
check "the servers' connections add up to the 6 clients" "$(echo "$rows" | awk '{ s += $4 } END { print s }')" 6
# 3 x 2 MiB, 6 MiB, 2 x 512 KiB of files, plus the framing.
check "the servers sent at least the 13 MiB downloaded" \
	"$(echo "$rows" | awk '{ s += $5 } END { print (s >= 13 * 1048576) }')" 1

# The migrated connection: "    before|after ADDRESS PORT CID RUNG BACKEND".
before=$(grep -E '^    before ' "$OUT")
after=$(grep -E '^    after ' "$OUT")
check "before the move: routed by reported ID" "$(echo "$before" | awk '{ print $5 }')" route_cid
check "after the move: routed by reported ID" "$(echo "$after" | awk '{ print $5 }')" route_cid
check "the same backend before and after" "$(echo "$after" | awk '{ print $6 }')" \
	"$(echo "$before" | awk '{ print $6 }')"
check "from two client addresses" "$(echo "$before" | awk '{ print $2 }') $(echo "$after" | awk '{ print $2 }')" \
	"198.18.0.2 198.18.0.3"
if [ "$(echo "$before" | awk '{ print $4 }')" != "$(echo "$after" | awk '{ print $4 }')" ]; then
	ok "with two connection IDs"
else
	not_ok "with two connection IDs" "the same: $(echo "$after" | awk '{ print $4 }')"
fi
has "the ladder counted reported-ID routes" "$out" "route_cid "
check "torn down: no namespace of the demo's left" "$(ip netns list | grep -c "^qstb-$pid-")" 0

[ "$failed" -eq 0 ] || sed 's/^/# /' "$OUT"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
