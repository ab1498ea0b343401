#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteerd in a namespace of its own: it attaches the router and writes
# its configuration; a backend's report reaches the ID table and a packet
# run through the attached program goes where the report said; a forged
# report is refused, counted, and changes nothing; SIGKILL and a restart
# leave the entries and routing in place, and so does an upgrade from a
# router without qs_cidtab; a bad reload leaves the running
# configuration, and so does one whose key file anyone but the agent's
# user could read or change, or that is no regular file (a FIFO does not
# block it); the metrics endpoint serves the counters; SIGTERM leaves
# the router attached; the control socket is made 0600 and the report
# socket 0660 under any umask. Guards against the agent losing or corrupting
# routing state across its own failures.
#
# Usage: tests/netns/test-agent.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
AGENT=$BUILD/quicsteerd
PROBE=$BUILD/tests/qs-agent-probe
CLI=$BUILD/quicsteer
DOCS=$(cd "$(dirname "$0")/../../docs" && pwd)
. "$(dirname "$0")/lib.sh"

KEY_A=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
KEY_B=1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100
CID=c1d2e3f4a5b6c7d8

write_config()
{
	cat >"$DIR/quicsteer.conf" <<EOF
pin-dir /sys/fs/bpf/qs-agent
control-socket $DIR/control.sock
metrics-listen 127.0.0.1 9464
report-listen unix $DIR/reports.sock
heartbeat-timeout off
interface qsag0
vip web 198.18.0.100 443
nexthop n dev qsag0 encap-source4 198.18.200.0/24
backend a 198.18.1.10 id 1 vip web lladdr 02:00:00:00:00:0a key-file $DIR/a.key
backend b 198.18.1.11 id 2 vip web lladdr 02:00:00:00:00:0b key-file $DIR/b.key
$1
EOF
}

route() { "$PROBE" route qsag0 "${2:-198.18.5.1}" 198.18.0.100 443 "$1"; }
TO_B="action=3 dmac=02:00:00:00:00:0b"

# The contents of every table the data path routes by (Maglev rows aside:
# 2M slots; test_apply proves a restart writes none of them; qs_cidtab, 35
# MB of buckets, aside too: cidtab_state reads its entries; qs_cids, the
# agent's record, which the data path does not read, aside).
dump_state()
{
	for m in qs_vips qs_backends qs_nexthops qs_flows_v2 qs_flows_new qs_quiclb qs_server_ids \
		qs_tx_ports qs_reporters_v2; do
		echo "== $m"
		bpftool -j map dump pinned "/sys/fs/bpf/qs-agent/$m" | jq -cS 'sort_by(.key|tostring)' ||
			echo "cannot dump $m"
	done | sha256sum
}

# qs_cidtab's entries, "BUCKET:FINGERPRINT BACKEND KIND" sorted, as
# `quicsteer cid show` reads them from the pin (its learned rows aside)
cli() { "$CLI" --pin-dir /sys/fs/bpf/qs-agent --socket "$DIR/control.sock" --timeout 30 "$@"; }
cidtab_state()
{
	cli -j cid show | jq -r '.[] | select(.fingerprint) | "\(.bucket):\(.fingerprint) \(.backend_id) \(.kind)"' | sort
}

report() { "$PROBE" report "$DIR/reports.sock" "$1" "$2" 0x77 "$3" 198.18.0.100 443 "$4" "$CID"; }

# reload_logged TEXT: waits until the agent's log has TEXT (a SIGHUP is
# handled on the agent's loop, some time after the signal).
reload_logged()
{
	wait_until 30 "the agent logs '$1' after SIGHUP" grep -qF -- "$1" "$DIR/agent.log"
}

# Key files the agent must not take (issue 11): a mode that lets group or
# others in, a symbolic link to /dev/zero, a directory, a FIFO nobody
# writes into (it used to block the agent for good), another user's file.
# Each is refused, naming the file and what is wrong, by --check, by a
# reload from the file (which changes nothing: the VIP beside the backend
# that names it is not added either) and by backend add over the control
# socket; the agent answers all along.
key_files()
{
	k=$DIR/keys
	mkdir "$k" && echo "$KEY_A" >"$k/0644" && chmod 644 "$k/0644" &&
		ln -s /dev/zero "$k/zero" && mkdir "$k/dir" && mkfifo "$k/fifo" &&
		echo "$KEY_A" >"$k/other" && chmod 600 "$k/other" && chown 12345 "$k/other" ||
		{ not_ok "key files: set-up" "failed"; return; }
	for kind in "0644:mode 0644: group or others may read or change it (chmod 600)" \
		"zero:a character device, not a regular file" "dir:a directory, not a regular file" \
		"fifo:a FIFO, not a regular file" "other:owned by uid 12345, not by root"; do
		f=${kind%%:*} why=${kind#*:}
		want="backend \"c\": key-file $k/$f: $why"
		write_config "vip other 198.18.0.101 443
backend c 198.18.1.12 id 3 vip other lladdr 02:00:00:00:00:0c key-file $k/$f"
		out=$(timeout 30 "$AGENT" -c "$DIR/quicsteer.conf" --check 2>&1)
		check "key file $f: --check refuses it (exit 1; 124: it blocked)" "$?" 1
		has "key file $f: --check names the line, the file and what is wrong" "$out" \
			"quicsteer.conf:12: $want"
		kill -HUP "$AGENT_PID"
		reload_logged "$want; the running configuration stays" &&
			ok "key file $f: the reload is refused, naming it" ||
			not_ok "key file $f: the reload is refused, naming it" "$waited"
		has "key file $f: the agent answers, the reload's VIP is not there" \
			"$("$PROBE" control "$DIR/control.sock" "v1 status")" '"vips":1,"backends":2'
		has "key file $f: backend add refuses it, naming it" \
			"$("$PROBE" control "$DIR/control.sock" \
				"v1 backend add c 198.18.1.12 id 3 vip web lladdr 02:00:00:00:00:0c key-file $k/$f")" \
			"\"ok\":false,\"error\":\"backend \\\"c\\\": key-file $k/$f: $why\""
	done
	# a QUIC-LB configuration's key file, under the same rule
	for kind in "0644:mode 0644: group or others may read or change it (chmod 600)" \
		"fifo:a FIFO, not a regular file"; do
		f=${kind%%:*} why=${kind#*:}
		write_config "quic-lb web config 2 mode aes-single server-id-len 8 nonce-len 8 key-file $k/$f"
		out=$(timeout 30 "$AGENT" -c "$DIR/quicsteer.conf" --check 2>&1)
		check "quic-lb key file $f: --check refuses it (exit 1; 124: it blocked)" "$?" 1
		has "quic-lb key file $f: --check names the line, the file and what is wrong" "$out" \
			"quicsteer.conf:11: quic-lb \"web\" config 2: key-file $k/$f: $why"
	done
	write_config ""
	check "key files: routing unchanged" "$(route $CID)" "$TO_B"
}

# An encrypted QUIC-LB configuration whose key is read from its file: the
# draft's single-pass vector routes to the backend of its server ID, and
# neither the configuration the agent shows nor its log has the key.
quiclb_key()
{
	lbkey=8f95f09245765f80256934e50c66207f
	echo "$lbkey" >"$DIR/lb.key" && chmod 600 "$DIR/lb.key"
	write_config "quic-lb web config 2 mode aes-single server-id-len 8 nonce-len 8 key-file $DIR/lb.key
backend s 198.18.1.12 id 3 vip web lladdr 02:00:00:00:00:0b server-id web 2 ed793a51d49b8f5f"
	kill -HUP "$AGENT_PID"
	wait_until 30 "the reload with the QUIC-LB configuration" \
		output_is true quiclb_configured
	check "quic-lb: the draft's single-pass vector routes to its server ID's backend" \
		"$(route 504dd2d05a7b0de9b2b9907afb5ecf8cc3 198.18.5.9)" "$TO_B"
	# the backend's server ID changed at run time, and back
	has "quic-lb: backend set changes the server ID" \
		"$("$PROBE" control "$DIR/control.sock" "v1 backend set s server-id web 2 0102030405060708")" \
		'"ok":true'
	check "quic-lb: the vector no longer routes by its server ID" \
		"$(route 504dd2d05a7b0de9b2b9907afb5ecf8cc3 198.18.5.9)" "action=1 dmac=00:00:00:00:00:00"
	"$PROBE" control "$DIR/control.sock" "v1 backend set s server-id web 2 ed793a51d49b8f5f" >/dev/null
	check "quic-lb: set back, it routes again" \
		"$(route 504dd2d05a7b0de9b2b9907afb5ecf8cc3 198.18.5.9)" "$TO_B"
	out=$("$PROBE" control "$DIR/control.sock" "v1 show" | jq -r .config)
	has "quic-lb: show names the key file" "$out" "key-file $DIR/lb.key"
	case "$out$(cat "$DIR/agent.log")" in
	*"$lbkey"*) not_ok "quic-lb: the key is in show or the log" "it is" ;;
	*) ok "quic-lb: the key is neither in show nor in the log" ;;
	esac
	write_config ""
	kill -HUP "$AGENT_PID"
	wait_until 30 "the reload without it" output_is false quiclb_configured
}
quiclb_configured()
{
	"$PROBE" control "$DIR/control.sock" "v1 status" | jq -r '.backends == 3'
}

inner()
{
	ip link set lo up
	# a route to the backends; their MACs are fixed (lladdr), nothing is resolved
	ip addr add 198.18.1.1/24 dev qsag0
	echo "$KEY_A" >"$DIR/a.key"
	echo "$KEY_B" >"$DIR/b.key"
	chmod 600 "$DIR/a.key" "$DIR/b.key" # the agent takes no key others may read
	write_config ""
	"$AGENT" -c "$DIR/quicsteer.conf" --check
	check "configuration checks" "$?" 0
	umask 000 # the sockets' modes are the agent's, not the umask's (issue 11)
	start_agent && ok "agent starts and answers" || { not_ok "agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"; return; }
	umask 022
	check "umask 000: the control socket is 0600, the agent's" \
		"$(stat -c '%a %u %g' "$DIR/control.sock")" "600 0 0"
	check "umask 000: the report socket is 0660, the agent's user and group" \
		"$(stat -c '%a %u %g' "$DIR/reports.sock")" "660 0 0"
	has "router attached" "$(ip -j link show dev qsag0)" '"name":"quicsteer_route'
	has "status over the control socket" "$("$PROBE" control "$DIR/control.sock" "v1 status")" '"backends":2'

	check "unknown ID dropped before any report" "$(route $CID)" "action=1 dmac=00:00:00:00:00:00"
	counted report "$KEY_B" 2 1 issue
	check "reported ID routes to its backend" "$(route $CID)" "$TO_B"
	counted report "$KEY_A" 2 2 retire
	check "forged report changes nothing" "$(route $CID)" "$TO_B"
	metrics=$(metrics)
	has "metrics count the forged report" "$metrics" 'quicsteer_reports_total{result="bad_mac"} 1'
	has "metrics count the accepted report" "$metrics" 'quicsteer_reports_total{result="ok"} 1'
	has "metrics count the routed packet" "$metrics" 'quicsteer_packets_total{reason="route_cid"}'
	has "metrics show the ID table's occupancy" "$metrics" 'quicsteer_table_entries{table="cids"} 1'
	undocumented=
	for family in $(echo "$metrics" | awk '$1 == "#" && $2 == "TYPE" { print $3 }'); do
		grep -qF "\`$family\`" "$DOCS/metrics.md" || undocumented="$undocumented $family"
	done
	check "metrics: every family is in docs/metrics.md" "$undocumented" ""
	turns=$(echo "$metrics" | awk '$1 == "quicsteer_intake_turn_seconds_count" { print $2 }')
	inf=$(echo "$metrics" | awk '$1 == "quicsteer_intake_turn_seconds_bucket{le=\"+Inf\"}" { print $2 }')
	if [ "${turns:-0}" -ge 2 ] && [ "$turns" = "$inf" ]; then
		ok "metrics: the intake thread's turns, a histogram ($turns turns)"
	else
		not_ok "metrics: the intake thread's turns" "count '$turns', +Inf bucket '$inf'"
	fi

	check "SIGKILL: routing before" "$(route $CID)" "$TO_B"
	before=$(dump_state)
	ids=$(cidtab_state)
	check "SIGKILL: qs_cidtab holds the reported ID, and only it" \
		"$(echo "$ids" | grep -c .) $(cli -j cid lookup 0 $CID | jq -r '"\(.bucket):\(.fingerprint) \(.backend_id) \(.kind)"')" \
		"1 $ids"
	check "SIGKILL: its place, backend b, authoritative" "${ids#* }" "2 authoritative"
	stop_agent KILL
	check "SIGKILL: every entry in place without the agent" "$(dump_state)" "$before"
	check "SIGKILL: qs_cidtab's entries in place without the agent" "$(cidtab_state)" "$ids"
	start_agent && ok "agent restarts over its pins" || not_ok "agent restarts" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	check "restart: every entry in place after the restart" "$(dump_state)" "$before"
	check "restart: qs_cidtab's entries in place after the restart" "$(cidtab_state)" "$ids"
	check "restart: routing unchanged" "$(route $CID)" "$TO_B"
	# an upgrade from a router without qs_cidtab (the data path read qs_cids):
	# its pin gone while no agent runs, the agent fills a new one from
	# qs_cids before its program replaces the one attached. qs_cids holds
	# the reported ID as such a router's agent wrote it (key: the ID
	# zero-padded to 20 bytes, VIP 0, length 8; value: backend 2,
	# authoritative), put there unless this agent wrote it itself.
	stop_agent KILL
	bpftool map update pinned /sys/fs/bpf/qs-agent/qs_cids \
		key hex $(echo $CID | sed 's/../& /g') 00 00 00 00 00 00 00 00 00 00 00 00 \
		00 00 00 00 08 00 00 00 00 00 00 00 \
		value hex 00 00 00 00 00 00 00 00 02 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 \
		noexist 2>/dev/null
	check "upgrade: qs_cids holds the ID, as an older router's agent left it" \
		"$(bpftool -j map dump pinned /sys/fs/bpf/qs-agent/qs_cids | jq length)" 1
	rm /sys/fs/bpf/qs-agent/qs_cidtab
	start_agent && ok "upgrade: the agent starts over pins without qs_cidtab" ||
		not_ok "upgrade: agent starts" "$waited; its log: $(tail -3 "$DIR/agent.log")"
	check "upgrade: qs_cidtab pinned again" "$(test -e /sys/fs/bpf/qs-agent/qs_cidtab && echo yes)" yes
	check "upgrade: every other entry in place" "$(dump_state)" "$before"
	check "upgrade: the reported ID routes through the new table" "$(route $CID)" "$TO_B"
	check "upgrade: the new table holds it alone, backend b, authoritative" \
		"$(cidtab_state | awk '{ print $2, $3 }')" "2 authoritative"
	# a datagram accepted before the restart, replayed after it
	counted report "$KEY_B" 2 1 issue
	has "restart: an old datagram replayed is refused" \
		"$(metrics)" 'quicsteer_reports_total{result="replay"} 1'

	write_config "vip broken 198.18.0.101 443 cid-len 21"
	kill -HUP "$AGENT_PID"
	reload_logged "quicsteer.conf:11: "
	has "bad reload is refused with file and line" "$(cat "$DIR/agent.log")" "quicsteer.conf:11: "
	check "bad reload: routing unchanged" "$(route $CID)" "$TO_B"
	has "bad reload: agent still answers" "$("$PROBE" control "$DIR/control.sock" "v1 status")" '"ok":true'

	write_config "report-listen unix $DIR/other.sock"
	kill -HUP "$AGENT_PID"
	reload_logged "report-listen changed"
	has "a reload that moves a listener is refused, naming it" "$(cat "$DIR/agent.log")" \
		"report-listen changed: it takes effect only when quicsteerd restarts"
	write_config ""
	key_files
	quiclb_key

	counted report "$KEY_B" 2 2 retire
	# the first client's address now follows the connection: ask from another
	check "retired ID is gone" "$(route $CID 198.18.5.9)" "action=1 dmac=00:00:00:00:00:00"

	write_config ""
	stop_agent
	check "SIGTERM: clean exit" "$?" 0
	has "SIGTERM: router stays attached" "$(ip -j link show dev qsag0)" '"name":"quicsteer_route'
	"$AGENT" -c "$DIR/quicsteer.conf" --detach 2>>"$DIR/agent.log"
	check "--detach detaches" "$(ip -j link show dev qsag0 | grep -c quicsteer)" 0
	[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/agent.log"
	echo "$passed passed, $failed failed"
}

netns_test ag "$AGENT" "$PROBE" "$CLI" -- qsag0:qsag1
