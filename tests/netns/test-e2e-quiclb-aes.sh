#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Encrypted QUIC-LB connection IDs (draft-ietf-quic-load-balancers), end to
# end through the router (tests/netns/testbed.sh), IPv4 and IPv6, and a
# key rotation under live transfers. Every backend runs qs-h3server with
# --no-report --cid-scheme quic-lb --quic-lb-file, and the agent has no
# report key for it and hears nothing: packets reach their backend because
# the router decrypts the server ID from the DCID in XDP, and only so.
#
# Configurations (both VIPs, added with the CLI as an operator would):
#   config 1  aes-single     2-byte server IDs 52xx, 14-byte nonces: 17-byte IDs
#   config 2  aes-four-pass  3-byte server IDs 53a0xx, 8-byte nonces: 12-byte IDs
# each under a key file of its own (32 hex digits, 0600) that the agent and
# the servers read; the key never appears in any output.
#
# In each mode (config 1, then config 2 after the rotation), IPv4 and IPv6:
# - A download: the server's IDs (as the client's qlog shows them) are of
#   the configuration and its length, decode with the router's own decoder
#   (quicsteer route) to the backend whose server took the connection, and
#   do not show its server ID in clear. The router forwarded to that backend
#   alone, counted route_quiclb and the data path's quiclb_decrypted and
#   quiclb_cached events, and never touched the ID table or the address
#   table's learning, nor dropped anything as unknown.
# - Active migration mid-transfer to a new client address (quiclb-lib.sh):
#   the DCIDs the client sent from there (captured) decode to the owner;
#   the same routing checks.
# - NAT rebinding on an idle connection (a new client port, the same ID):
#   the same routing checks.
# - Rotation from config 1 to config 2 while two transfers (IPv4, IPv6)
#   begun under config 1 run, slowed down so that they outlast it: config 2
#   added to the router, each backend given its server ID in it, each
#   server's file given config 2 as its last line and a SIGHUP. The servers
#   then hold the running transfers under config 1 (their status files
#   count them: proof that the transfers were alive past the switch), new
#   connections get config 2 IDs that route to their backend, the old
#   transfers (their clients still running past the switch) complete byte
#   for byte with config 1 IDs only, nothing is
#   dropped as unknown; then config 1 is retired from the router once no
#   connection uses it, its IDs no longer route by QUIC-LB, and the
#   servers hold config 2 alone.
# Guards against a router that cannot decrypt what libquicsteer's
# generators make, routes encrypted IDs through its tables, loses
# connections when a configuration is added beside theirs or when server
# IDs change, and against a server that moves its running connections to
# the new configuration (their IDs would change length) or leaks a key.
#
# Waits poll with a limit; no check compares times. The transfers that a
# step must fall within are shaped (tb_shape): migrations as in
# test-e2e-quiclb.sh, the rotation's two 8 MiB transfers at 2 Mbit/s
# (over a minute unless released) until it is done, then released.
#
# Usage: tests/netns/test-e2e-quiclb-aes.sh [BUILD_DIR]. Needs root,
# qs-h3server and tcpdump; never skips.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"
. "$(dirname "$0")/quiclb-lib.sh"

sid1() { printf '52%02x' "$1"; }
sid2() { printf '53a0%02x' "$1"; }
# The configuration new connections get now, and its IDs' length.
QLB_CONFIG=1
QLB_CID_LEN=17
MODE=aes-single
sid_now() { "sid$QLB_CONFIG" "$1"; }

aux() { _tb_pins -j stats | jq -e ".aux.$1"; }
before_aux()
{
	d0=$(aux quiclb_decrypted)
	k0=$(aux quiclb_cached)
}
# decoded NAME: the data path decrypted IDs, and routed later packets from its cache.
decoded()
{
	d1=$(aux quiclb_decrypted)
	k1=$(aux quiclb_cached)
	[ "$d1" -gt "$d0" ] && [ "$k1" -gt "$k0" ] &&
		ok "$1: decrypted in XDP ($((d1 - d0)) quiclb_decrypted, $((k1 - k0)) quiclb_cached)" ||
		not_ok "$1: decrypted in XDP" "quiclb_decrypted $d0 -> $d1, quiclb_cached $k0 -> $k1"
}

# Hex IDs on stdin (one a line, repeats fine: a capture's): of each
# distinct one, "CONFIG:LENGTH:REASON:BACKEND" as the router's maps
# explain a short header from family $1's client; sorted, unique, on one
# line.
explained()
{
	[ "$1" = 4 ] && set -- "$TB_VIP4" "$TB_CL4A" || set -- "$TB_VIP6" "$TB_CL6A"
	sort -u | while read -r _id; do
		[ -n "$_id" ] || continue
		printf '%s:%s:%s\n' $(($(printf '%d' "0x$(echo "$_id" | cut -c1-2)") >> 5)) $((${#_id} / 2)) \
			"$(tb_cli -j route "$1" "$TB_PORT" "$2" 40000 short "$_id" |
				jq -r '"\(.reason):\(.backend_id)"')"
	done | sort -u | tr '\n' ' '
}

# encoded NAME FETCH: every ID the server gave the client in FETCH is of
# the configuration now in use and routes to b$owner; and they are
# encrypted: not all of them carry the server ID where plaintext would
# (any one might by chance).
encoded()
{
	_ids=$(server_ids "$2")
	check "$1: every server ID is config $QLB_CONFIG, $QLB_CID_LEN bytes, decrypted to b$owner" \
		"$(echo "$_ids" | explained "$fam")" "$QLB_CONFIG:$QLB_CID_LEN:route_quiclb:$owner "
	_n=$(echo "$_ids" | grep -c .)
	_c=$(echo "$_ids" | grep -c "^..$(sid_now "$owner")")
	[ "$_n" -gt 0 ] && [ "$_c" -lt "$_n" ] &&
		ok "$1: the IDs are encrypted ($_c of $_n show the server ID where plaintext would)" ||
		not_ok "$1: the IDs are encrypted" "$_c of $_n show server ID $(sid_now "$owner") in clear"
}

dcids_owned()
{
	check "$1, every DCID decrypts to b$owner" "$(echo "$2" | explained "$fam")" \
		"$QLB_CONFIG:$QLB_CID_LEN:route_quiclb:$owner "
}

# quiclb-lib.sh's download and active migration, and the data path's decrypts.
download()
{
	before_aux
	plain "$1" "$MODE download"
	decoded "IPv$1 $MODE download"
}

moved()
{
	before_aux
	migration "$1" "$MODE"
	decoded "IPv$1 $MODE migration"
}

rebinding()
{
	t="IPv$1 $MODE NAT rebinding"
	before
	before_aux
	tb_fetch "nat-$1" "$1" --nat-rebinding --change-local-addr=1s --delay-stream=2s -- f1m
	tb_check_download "$t" "nat-$1" f1m
	has "$t: the client answered the server's path validation (PATH_RESPONSE)" \
		"$(cat "$TB_DIR/fetch/nat-$1.qlog")" '"frame_type":"path_response"'
	one_owner "$t" || return
	encoded "$t" "nat-$1"
	same_backend "$t" 1048576
	by_quiclb "$t"
	decoded "$t"
}

# The configurations' key files, in the testbed's directory (set once it is up).
K1=
K2=
newkey()
{
	head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$1" && chmod 600 "$1"
}
quiclb_add()
{
	case $1 in
	1) set -- 1 aes-single 2 14 "$K1" ;;
	2) set -- 2 aes-four-pass 3 8 "$K2" ;;
	esac
	for _v in web4 web6; do
		tb_cli quic-lb add "$_v" config "$1" mode "$2" server-id-len "$3" nonce-len "$4" \
			key-file "$5" >/dev/null || return 1
	done
}
# server_ids_of I CONFIGS: backend I's server-id options at the router.
server_ids_of()
{
	for _k in $2; do
		for _v in web4 web6; do echo "server-id $_v $_k $("sid$_k" "$1")"; done
	done
}
# lbfile I CONFIGS: backend I's --quic-lb-file, these configurations, oldest first.
lbfile()
{
	for _k in $2; do
		case $_k in
		1) echo "config 1 mode aes-single server-id $(sid1 "$1") nonce-len 14 key-file $K1" ;;
		2) echo "config 2 mode aes-four-pass server-id $(sid2 "$1") nonce-len 8 key-file $K2" ;;
		esac
	done >"$TB_DIR/b$1/quiclb.conf"
}
lb_status() { tb_status "$1" | jq -c "$2"; }
new_conns_take() { output_is "$2" lb_status "$1" '[.quiclb[] | select(.new_connections) | .config]'; }
held() { output_is "$2" lb_status "$1" '[.quiclb[].config]'; }
# Connections of config $1 the servers hold, summed.
config_conns()
{
	_s=0
	for _i in 1 2 3; do
		_s=$((_s + $(lb_status "$_i" "[.quiclb[] | select(.config == $1) | .connections] | add // 0")))
	done
	echo "$_s"
}
config_conns_are() { output_is "$2" config_conns "$1"; }
# reread I CONFIGS: backend I's file with CONFIGS, a SIGHUP, and its status showing it.
reread()
{
	lbfile "$1" "$2"
	kill -HUP "$(cat "$TB_DIR/b$1/pids")" &&
		wait_until 30 "b$1's server takes config ${2##* } for new connections" \
			new_conns_take "$1" "[${2##* }]"
}
handshakes_total() { tb_status_all handshakes | tr ' ' '\n' | awk '{ s += $1 } END { print s + 0 }'; }
handshakes_reach() { [ "$(handshakes_total)" -ge "$1" ]; }

# new_conn NAME FAMILY: a connection made during the rotation: config 2.
new_conn()
{
	fam=$2
	_c=$(tb_status_all connections)
	tb_fetch "$1" "$2" -- f64k
	tb_check_download "rotation: $1, begun after the switch" "$1" f64k
	owner=$(tb_moved "$_c" "$(tb_status_all connections)")
	case $owner in
	[0-9]) encoded "rotation: $1" "$1" ;;
	*) not_ok "rotation: $1: one backend accepted it" "backends '$owner' did" ;;
	esac
}

rotation()
{
	t="rotation"
	before
	h=$(handshakes_total)
	old_ids=
	# Slow enough to outlast the rotation by far; released once it is done.
	tb_shape 2mbit
	tb_fetch_bg old-4 4 -- f8m
	tb_fetch_bg old-6 6 -- f8m
	wait_until 30 "the handshakes of old-4 and old-6" handshakes_reach $((h + 2)) ||
		not_ok "$t: the old transfers' handshakes" "$waited"
	check "$t: the servers hold the two transfers under config 1" "$(config_conns 1)" 2
	# 1. The router: config 2 beside config 1, every backend's server ID in both.
	newkey "$K2" && quiclb_add 2 && ok "$t: config 2 added to the router beside config 1" ||
		not_ok "$t: config 2 added to the router" "the CLI failed"
	for i in 1 2 3; do
		# shellcheck disable=SC2046 # words without spaces
		tb_cli backend set "b$i" $(server_ids_of "$i" "1 2") >/dev/null ||
			not_ok "$t: b$i's server IDs in config 1 and 2" "the CLI failed"
	done
	# 2. The servers: config 2 last in their files, read again.
	for i in 1 2 3; do
		reread "$i" "1 2" || not_ok "$t: b$i's server reads config 2" "$waited"
	done
	check "$t: after the switch, the servers still hold the two transfers under config 1" \
		"$(config_conns 1)" 2
	check "$t: after the switch, both old transfers' clients are still downloading" \
		"$(for n in old-4 old-6; do kill -0 "$(cat "$TB_DIR/fetch/$n.pid")" && echo "$n"; done | tr '\n' ' ')" \
		"old-4 old-6 "
	# 3. New connections, while the old transfers run: config 2.
	QLB_CONFIG=2 QLB_CID_LEN=12 MODE=aes-four-pass
	new_conn new-4 4
	new_conn new-6 6
	tb_shape off
	tb_fetch_wait old-4 old-6
	QLB_CONFIG=1 QLB_CID_LEN=17
	for fam in 4 6; do
		tb_check_download "$t: old-$fam, begun under config 1" "old-$fam" f8m
		_e=$(server_ids "old-$fam" | explained "$fam")
		case $_e in
		"1:17:route_quiclb:"[123]" ") ok "$t: old-$fam's IDs are all config 1, of one backend ($_e)" ;;
		*) not_ok "$t: old-$fam's IDs are all config 1, of one backend" "$_e" ;;
		esac
		old_ids="$old_ids $(server_ids "old-$fam" | head -n 1)"
	done
	q1=$(reason route_quiclb)
	[ "$q1" -gt "$q0" ] && ok "$t: routed by the QUIC-LB server IDs ($((q1 - q0)) route_quiclb)" ||
		not_ok "$t: routed by the QUIC-LB server IDs" "route_quiclb stayed $q0"
	check "$t: nothing by the ID table or address learning, nothing unknown" "$(table_rungs)" "$t0"
	# 4. Config 1 leaves the router once no connection uses it.
	wait_until 30 "no connection uses config 1" config_conns_are 1 0 ||
		not_ok "$t: the old transfers' connections closed" "$waited"
	for i in 1 2 3; do
		# shellcheck disable=SC2046
		tb_cli backend set "b$i" $(server_ids_of "$i" 2) >/dev/null ||
			not_ok "$t: b$i's server ID in config 2 alone" "the CLI failed"
	done
	tb_cli quic-lb del web4 1 >/dev/null && tb_cli quic-lb del web6 1 >/dev/null &&
		ok "$t: config 1 retired from the router" || not_ok "$t: config 1 retired" "the CLI failed"
	fam=4
	for id in $old_ids; do
		r=$(echo "$id" | explained 4)
		case $r in
		*route_quiclb*) not_ok "$t: a config 1 ID no longer routes by QUIC-LB" "$r" ;;
		*) ok "$t: a config 1 ID no longer routes by QUIC-LB ($r)" ;;
		esac
	done
	for i in 1 2 3; do
		reread "$i" 2 && held "$i" "[2]" >/dev/null && ok "$t: b$i's server holds config 2 alone" ||
			not_ok "$t: b$i's server holds config 2 alone" "$(lb_status "$i" .quiclb)"
	done
	QLB_CONFIG=2 QLB_CID_LEN=12 MODE=aes-four-pass
}

tb_test_up "$BUILD" --backends 3 --cid-len 17
K1=$TB_DIR/keys/lb1.key
K2=$TB_DIR/keys/lb2.key
if ! tb_have_h3server || ! command -v tcpdump >/dev/null; then
	not_ok "set-up: qs-h3server built, tcpdump installed" "not both"
	tb_test_end
fi
# Config 1 at the router, and each backend again with its server ID in it
# and no report key: a QUIC-LB-only backend, never heard from.
if ! newkey "$K1" || ! quiclb_add 1; then
	not_ok "set-up: config 1 (aes-single) on both VIPs" "see above"
	tb_test_end
fi
for i in 1 2 3; do
	lbfile "$i" 1
	# shellcheck disable=SC2046
	if ! tb_cli backend del "b$i" >/dev/null ||
		! tb_cli backend add "b$i" "fd00::$((10 + i))" id "$i" vip web4 vip web6 \
			$(server_ids_of "$i" 1) >/dev/null ||
		! tb_server_start "$i" h3 --no-report --cid-scheme quic-lb \
			--quic-lb-file "$TB_DIR/b$i/quiclb.conf"; then
		not_ok "set-up: b$i with server ID $(sid1 "$i"), qs-h3server --quic-lb-file" "see above"
		tb_test_end
	fi
done
tb_make_file f64k 65536
tb_make_file f1m 1048576
tb_make_file f8m 8388608
for fam in 4 6; do
	download $fam
	moved $fam
	rebinding $fam
done
rotation
for fam in 4 6; do
	download $fam
	moved $fam
	rebinding $fam
done
check "no backend sent a report" "$(tb_status_all reports_sent)" "0 0 0"
check "the agent holds no reported ID" "$(tb_cli -j status | jq .ids_reported)" 0
leaks=0
for k in "$K1" "$K2"; do
	leaks=$((leaks + $(cat "$TB_DIR/agent.log" "$TB_DIR"/b*/server.log "$TB_DIR"/fetch/*.log |
		grep -c "$(cat "$k")")))
done
check "no key in the agent's, the servers' or the clients' output" "$leaks" 0
tb_test_end
