#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Ready means ready. The router's device has no address and no route at
# all: a backend whose MAC the configuration gives (its own lladdr on an
# on-link nexthop, or a gateway's lladdr) needs neither, so its next hop is
# written and new connections reach it at once; a backend whose next hop
# must be resolved and cannot be is named by `status` in
# nexthops_missing, and `ready` stays false until it is down or gone.
# Guards against a configured MAC that is never written while the agent
# says it runs (every packet drop_no_nexthop), and against a `ready` that
# a script cannot trust. Also: every line the agent logs names it.
#
# Usage: tests/netns/test-nexthop-ready.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
. "$(dirname "$0")/lib.sh"

TO_A="action=3 dmac=02:00:00:00:00:0a"
TO_C="action=3 dmac=02:00:00:00:00:07"

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF
pin-dir /sys/fs/bpf/qs-ready
control-socket $DIR/control.sock
heartbeat-timeout off
interface qsnr0
vip web 198.18.0.100 443
nexthop n dev qsnr0 encap-source4 198.18.200.0/24
nexthop gw dev qsnr0 gateway 198.18.7.1 lladdr 02:00:00:00:00:07 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web nexthop n lladdr 02:00:00:00:00:0a
backend c 198.18.2.10 id 3 vip web nexthop gw
backend g 198.18.9.9 id 7 vip web nexthop n
EOF
}

ctl() { "$PROBE" control "$DIR/control.sock" "v1 $1"; }

# Where $1 new connections go: "TO_A N TO_C N other N".
initials()
{
	"$PROBE" initial qsnr0 "198.18.30.$2:10000" 198.18.0.100 443 "$1" |
		awk -v a="$TO_A" -v c="$TO_C" '$0 == a { na++; next } $0 == c { nc++; next } { no++ }
			END { printf "TO_A %d TO_C %d other %d\n", na, nc, no }'
}

inner()
{
	ip link set lo up
	write_config
	start_agent && ok "agent starts and answers" ||
		{ not_ok "agent starts" "$(tail -3 "$DIR/agent.log")"; return; }
	st=$(ctl status)
	check "g's next hop cannot be resolved: status names it" \
		"$(echo "$st" | jq -c .nexthops_missing)" '["g"]'
	check "so the agent is not ready" "$(echo "$st" | jq .ready)" false
	# g is in the Maglev rows too: its share is dropped (drop_no_nexthop)
	r=$(initials 300 2)
	n_other=$(echo "$r" | awk '{ print $6 }')
	n_a=$(echo "$r" | awk '{ print $2 }')
	n_c=$(echo "$r" | awk '{ print $4 }')
	if [ "$n_a" -gt 0 ] && [ "$n_c" -gt 0 ] && [ "$n_other" -gt 0 ]; then
		ok "without a route, a (own lladdr) and c (gateway lladdr) get connections, g none ($r)"
	else
		not_ok "without a route, a (own lladdr) and c (gateway lladdr) get connections" "$r"
	fi
	has "backend set g state down" "$(ctl "backend set g state down")" '"ok":true'
	r=$(initials 300 3)
	check "g down: every new connection reaches a or c" "$(echo "$r" | awk '{ print $6 }')" 0
	st=$(ctl status)
	check "g down: ready (a configured-down backend is not waited for)" \
		"$(echo "$st" | jq .ready)" true
	check "g down: still named as having no next hop" \
		"$(echo "$st" | jq -c .nexthops_missing)" '["g"]'
	has "backend del g" "$(ctl "backend del g")" '"ok":true'
	st=$(ctl status)
	check "g gone: nothing missing" "$(echo "$st" | jq -c .nexthops_missing)" '[]'
	check "g gone: ready" "$(echo "$st" | jq .ready)" true
	stop_agent
	check "SIGTERM: clean exit" "$?" 0
	check "every log line names quicsteerd" \
		"$(grep -cv '^quicsteerd: \(info\|warning\|debug\): ' "$DIR/agent.log")" 0
	"$AGENT" -c "$DIR/quicsteer.conf" --detach 2>>"$DIR/agent.log"
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test nr "$AGENT" "$PROBE" jq -- qsnr0:qsnr1
