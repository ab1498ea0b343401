#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# qs-h3server, the reference HTTP/3 backend, with stock gtlsclient as the
# client, in two namespaces joined by a veth pair: downloads over IPv4 and
# IPv6 compared byte for byte (generated /N of 0, 1, 100000 and 5000000
# bytes, a file from --dir, a 404); its reports against a real quicsteerd:
# every ID the client's qlog shows the server issued is in the agent's ID
# table as authoritative for this backend while the connection lives, and
# gone once it closes; QUIC-LB IDs carry the configuration and server ID;
# --retry makes the client take a Retry and still download; with
# --max-connections 1, with or without --retry, a second client is refused
# at once with CONNECTION_REFUSED and served once the first is gone, and a
# GET of / (the index page, once read before its buffer) is served; --no-report
# leaves the table empty; encrypted QUIC-LB IDs, single-pass from the
# command line and four-pass after a SIGHUP reads --quic-lb-file again,
# each decoded by the router's own decoder (quicsteer route) to this
# backend, none showing the server ID in clear, a reload with a key file
# others may read refused and changing nothing, no key in the log; bad
# command lines exit 2 naming the option, and so does a report or QUIC-LB
# key file that is not a regular file only the server's user or root can
# read or change (a FIFO does not block it).
# Guards the example server every integration follows, and the IDs the
# balancer routes by.
#
# Usage: tests/netns/test-h3server.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SERVER=$BUILD/tools/qs-h3server
AGENT=$BUILD/quicsteerd
CLI=$BUILD/quicsteer
. "$(dirname "$0")/lib.sh"

BACKEND=7
V4=198.18.20.1
V6=fd00:20::1
PORT=4433

fail_setup()
{
	echo "not ok - set-up: $1"
	echo "$passed passed, $((failed + 1)) failed"
	exit 1
}

for tool in "$SERVER" "$AGENT" "$CLI" gtlsclient openssl jq ethtool python3; do
	command -v "$tool" >/dev/null 2>&1 || fail_setup "needs $tool (run make; apt-get install ngtcp2-client)"
done
[ "$(id -u)" -eq 0 ] || fail_setup "needs root"

S=qs-h3s-$$-srv
C=qs-h3s-$$-cli
DIR=$(mktemp -d /tmp/qs-h3server.XXXXXX)
SERVER_PID=
AGENT_PID=
CLIENT_PID=
cleanup()
{
	for p in $CLIENT_PID $SERVER_PID $AGENT_PID; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null && wait_exit 30 "$p" "pid $p (cleaning up)" 2>/dev/null
	done
	ip netns del "$S" 2>/dev/null
	ip netns del "$C" 2>/dev/null
	umount "$DIR/bpf" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- hosts: server (agent too) and client on one veth pair ----
{
	ip netns add "$S" && ip netns add "$C" &&
		ip -n "$S" link add eth0 type veth peer name eth0 netns "$C" &&
		ip -n "$S" addr add $V4/24 dev eth0 && ip -n "$S" addr add $V6/64 dev eth0 nodad &&
		ip -n "$C" addr add 198.18.20.2/24 dev eth0 &&
		ip -n "$C" addr add fd00:20::2/64 dev eth0 nodad &&
		ip -n "$S" link set eth0 up && ip -n "$C" link set eth0 up &&
		ip -n "$S" link set lo up && ip -n "$C" link set lo up &&
		ip netns exec "$S" ethtool -K eth0 tx off >/dev/null &&
		ip netns exec "$C" ethtool -K eth0 tx off >/dev/null &&
		# The agent's router sits on a pair of its own: this test is about reports.
		ip -n "$S" link add qsh0 type veth peer name qsh1 &&
		ip -n "$S" link set qsh0 up && ip -n "$S" link set qsh1 up &&
		mkdir "$DIR/bpf" && mount -t bpf bpf "$DIR/bpf"
} || fail_setup "namespaces $S, $C"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=qs-h3server \
	-keyout "$DIR/key.pem" -out "$DIR/cert.pem" 2>/dev/null || fail_setup "openssl"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/h.key"
chmod 600 "$DIR/h.key" # neither the agent nor the server takes a key others may read
mkdir "$DIR/www" "$DIR/expect"
head -c 1234567 /dev/urandom >"$DIR/www/file.bin"
echo "the index page" >"$DIR/www/index.html"
for n in 0 1 100000 5000000; do head -c $n /dev/zero >"$DIR/expect/$n"; done

cat >"$DIR/quicsteer.conf" <<EOF
pin-dir $DIR/bpf/quicsteer
control-socket $DIR/control.sock
metrics-listen 127.0.0.1 9464
report-listen unix $DIR/reports.sock
heartbeat-timeout off
interface qsh0
vip web4 $V4 $PORT id 0 cid-len 8
vip web6 $V6 $PORT id 1 cid-len 8
nexthop n dev qsh0 encap-source4 198.18.201.0/24 encap-source6 fd00:201::
backend h fd00:21::10 id $BACKEND vip web4 vip web6 lladdr 02:00:00:00:00:07 key-file $DIR/h.key
EOF

cli() { "$CLI" --socket "$DIR/control.sock" --pin-dir "$DIR/bpf/quicsteer" --timeout 30 "$@"; }
# This backend's IDs in the agent's table, "PLACE KIND" per line, sorted:
# a reported ID by its place in qs_cidtab, BUCKET:FINGERPRINT (the table
# keeps no ID bytes), a learned one by its hex.
table()
{
	cli -j cid show backend $BACKEND |
		jq -r '.[] | "\(if .fingerprint then "\(.bucket):\(.fingerprint)" else .cid end) \(.kind)"' | sort
}
status() { jq -r ".$1" "$DIR/status.json" 2>/dev/null; }

# server_start ARGS...: a server in S on both VIPs; waits for its status file.
server_start()
{
	rm -f "$DIR/status.json"
	ip netns exec "$S" "$SERVER" -l $V4:$PORT -l "[$V6]:$PORT" --tls-key "$DIR/key.pem" \
		--tls-cert "$DIR/cert.pem" -d "$DIR/www" --status-file "$DIR/status.json" "$@" \
		2>>"$DIR/server.log" &
	SERVER_PID=$!
	wait_until 30 "qs-h3server $* writes its status file" test -s "$DIR/status.json"
}

server_stop()
{
	kill -TERM "$SERVER_PID"
	wait_exit 30 "$SERVER_PID" "qs-h3server (after SIGTERM)"
	_rc=$?
	SERVER_PID=
	return $_rc
}

# status_is FIELD VALUE: the status file's FIELD is VALUE (printed).
status_is() { output_is "$2" status "$1"; }

# fetch NAME HOST [CLIENT-OPTIONS...] -- PATH...: one connection, waits for its end.
fetch()
{
	_name=$1 _host=$2
	shift 2
	_opts=
	while [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	shift
	_urls=
	for p in "$@"; do _urls="$_urls https://$(echo "$_host" | sed 's/.*:.*/[&]/'):$PORT/$p"; done
	rm -rf "$DIR/dl-$_name"
	mkdir "$DIR/dl-$_name"
	# The bounds (the client's idle timeout, and a kill after 120 s) only
	# stop a stalled client from hanging the test.
	# shellcheck disable=SC2086
	ip netns exec "$C" timeout 120 gtlsclient --exit-on-all-streams-close --timeout=30s \
		--download="$DIR/dl-$_name" --qlog-file="$DIR/$_name.qlog" $_opts "$_host" $PORT \
		$_urls >"$DIR/$_name.out" 2>&1
}

# qlog_cids NAME: the IDs the server issued, as the client's qlog shows them.
qlog_cids()
{
	tr -d '\036' <"$DIR/$1.qlog" | jq -r '
		select(.name == "transport:parameters_set" and .data.owner == "remote")
			.data.initial_source_connection_id // empty,
		(select(.name == "transport:packet_received") | .data.frames[]? |
			select(.frame_type == "new_connection_id") | .connection_id)' | sort -u
}

same() { cmp -s "$1" "$2"; }

# downloads NAME: the files of one fetch of everything, compared.
check_downloads()
{
	for n in 0 1 100000 5000000; do
		if same "$DIR/dl-$1/$n" "$DIR/expect/$n"; then ok "$1: /$n"; else not_ok "$1: /$n" "differs or missing: $(ls -l "$DIR/dl-$1/$n" 2>&1)"; fi
	done
	if same "$DIR/dl-$1/file.bin" "$DIR/www/file.bin"; then ok "$1: file from --dir"; else not_ok "$1: file from --dir" "differs or missing"; fi
	check "$1: missing file is 404" "$(grep -c "^http: stream .*\[:status: 404\]" "$DIR/$1.out")" 1
}

ALL="0 1 100000 5000000 file.bin nothing-here"

# ---- the agent ----
LIBXDP_BPFFS=$DIR/bpf ip netns exec "$S" "$AGENT" -c "$DIR/quicsteer.conf" 2>>"$DIR/agent.log" &
AGENT_PID=$!
# Both of its sockets, not `quicsteer status`: that answers from the pins
# (exit 0) before the agent listens for reports.
wait_until 30 "quicsteerd's control and report sockets" test -S "$DIR/control.sock" -a -S "$DIR/reports.sock" ||
	fail_setup "quicsteerd: $waited; its log: $(tail -n 3 "$DIR/agent.log")"

# ---- reporting server: IPv4 and IPv6 downloads ----
server_start --backend-id $BACKEND --report-key "$DIR/h.key" --agent "unix:$DIR/reports.sock" ||
	fail_setup "qs-h3server: $(tail -n 3 "$DIR/server.log")"
fetch v4 $V4 -- $ALL
check_downloads v4
fetch v6 $V6 -- $ALL
check_downloads v6
check "status: both connections' handshakes" "$(status handshakes)" 2
# The server frees a connection three PTOs after the client's close.
wait_until 30 "the server frees both connections" status_is closed 2
check "status: both closed" "$(status closed)" 2
check "status: requests" "$(status requests)" 12
bytes=$(status bytes_sent)
if [ "${bytes:-0}" -gt $((2 * (5100001 + 1234567))) ]; then ok "status: bytes sent"; else not_ok "status: bytes sent" "$bytes"; fi

# ---- reports: a connection kept open, the server frozen while the table is read ----
rm -rf "$DIR/dl-live" && mkdir "$DIR/dl-live"
ip netns exec "$C" gtlsclient --timeout=60s --download="$DIR/dl-live" --qlog-file="$DIR/live.qlog" \
	$V4 $PORT https://$V4:$PORT/100000 >"$DIR/live.out" 2>&1 &
CLIENT_PID=$!
if wait_until 60 "the live connection's download" same "$DIR/dl-live/100000" "$DIR/expect/100000"; then ok "live: download"; else not_ok "live: download" "$waited; $(tail -n 3 "$DIR/live.out")"; fi
# Frozen, the server cannot report the close: the client's ends its
# connection and writes out its qlog, and the table still holds its IDs.
kill -STOP "$SERVER_PID"
kill -INT "$CLIENT_PID"
wait_exit 30 "$CLIENT_PID" "gtlsclient (after SIGINT)"
CLIENT_PID=
cids=$(qlog_cids live)
n=$(echo "$cids" | grep -c .)
if [ "$n" -ge 2 ]; then ok "live: the qlog shows $n server IDs"; else not_ok "live: the qlog shows the server's IDs" "'$cids'"; fi
# each ID, looked up on web4 (the live connection's VIP), is this
# backend's, authoritative, and its place is among the table's entries
all_in_table()
{
	_t=$(table)
	for id in $cids; do
		_e=$(cli -j cid lookup 0 "$id" 2>/dev/null |
			jq -r '"\(.backend_id) \(.bucket):\(.fingerprint) \(.kind)"')
		[ "${_e%% *}" = "$BACKEND" ] && echo "$_t" | grep -qx "${_e#* }" || return 1
	done
}
if wait_until 30 "every server ID in the agent's table" all_in_table; then
	ok "live: every server ID is in the table, authoritative for backend $BACKEND"
else
	not_ok "live: every server ID in the table" "qlog: $(echo $cids) table: $(table | tr '\n' ' ')"
fi
first=$(echo "$cids" | head -n 1)
check "live: IDs are --cid-len 8 bytes long" "${#first}" 16
kill -CONT "$SERVER_PID"
table_empty()
{
	_t=$(table)
	echo "$_t"
	[ -z "$_t" ]
}
if wait_until 30 "the closed connection's IDs leave the table" table_empty; then ok "closed: its IDs left the table"; else not_ok "closed: its IDs left the table" "$(table | tr '\n' ' ')"; fi
wait_until 30 "the server frees the live connection" status_is closed 3
check "status: closed after the live connection" "$(status closed)" 3
check "status: every issued ID retired" "$(status cids_issued)" "$(status cids_retired)"
check "status: no report errors" "$(status report_errors)" 0
sent=$(status reports_sent)
if [ "${sent:-0}" -gt 0 ]; then ok "status: reports sent"; else not_ok "status: reports sent" "$sent"; fi
server_stop
check "SIGTERM: exits 0" "$?" 0

# ---- --retry, reporting ----
server_start --retry --backend-id $BACKEND --report-key "$DIR/h.key" --agent "unix:$DIR/reports.sock"
fetch retry $V4 -- 100000
if same "$DIR/dl-retry/100000" "$DIR/expect/100000"; then ok "retry: download"; else not_ok "retry: download" "$(tail -n 3 "$DIR/retry.out")"; fi
retries=$(tr -d '\036' <"$DIR/retry.qlog" | jq -r 'select(.name == "transport:packet_received" and .data.header.packet_type == "retry") | .name' | grep -c .)
check "retry: the client received a Retry" "$retries" 1
check "retry: the status counts it" "$(status retries_sent)" 1
if wait_until 30 "the Retry connection's IDs leave the table" table_empty; then ok "retry: no ID left in the table after the close"; else not_ok "retry: IDs left in the table" "$(table | tr '\n' ' ')"; fi
server_stop

# ---- --max-connections 1, without and with --retry: the second client is refused ----
# qlog_closes NAME: the error codes of the CONNECTION_CLOSE frames the client received.
qlog_closes()
{
	tr -d '\036' <"$DIR/$1.qlog" | jq -r 'select(.name == "transport:packet_received") |
		.data.frames[]? | select(.frame_type == "connection_close") | .error_code'
}
qlog_retries()
{
	tr -d '\036' <"$DIR/$1.qlog" | jq -r 'select(.name == "transport:packet_received" and
		.data.header.packet_type == "retry") | .name' | grep -c .
}
# connection_cap NAME [SERVER-OPTIONS...]: one client holds the only
# connection; a second is refused at once (CONNECTION_CLOSE with
# CONNECTION_REFUSED, 0x2, and no Retry), counted; once the first is gone
# a third is served.
connection_cap()
{
	_cap=$1
	shift
	server_start --no-report --max-connections 1 "$@"
	rm -rf "$DIR/dl-hold" && mkdir "$DIR/dl-hold"
	ip netns exec "$C" gtlsclient --timeout=60s --download="$DIR/dl-hold" $V4 $PORT \
		https://$V4:$PORT/1 >"$DIR/hold.out" 2>&1 &
	CLIENT_PID=$!
	wait_until 60 "the first client's download" same "$DIR/dl-hold/1" "$DIR/expect/1" ||
		not_ok "$_cap: the first client downloads" "$waited; $(tail -n 3 "$DIR/hold.out")"
	fetch "$_cap-refused" $V4 -- 1
	check "$_cap: the second client gets CONNECTION_CLOSE with CONNECTION_REFUSED" \
		"$(qlog_closes "$_cap-refused")" 2
	check "$_cap: the second client gets no Retry and no file" \
		"$(qlog_retries "$_cap-refused") $(ls "$DIR/dl-$_cap-refused")" "0 "
	kill -INT "$CLIENT_PID"
	wait_exit 30 "$CLIENT_PID" "gtlsclient (after SIGINT)"
	CLIENT_PID=
	wait_until 30 "the server frees the first connection" status_is active 0
	check "$_cap: the status file counts the refusal" "$(status refused)" 1
	fetch "$_cap-after" $V4 -- 1 "" # and / (index.html: a path once read before its buffer)
	if same "$DIR/dl-$_cap-after/1" "$DIR/expect/1"; then ok "$_cap: once it closed, a client is served"; else not_ok "$_cap: once it closed, a client is served" "$(tail -n 3 "$DIR/$_cap-after.out")"; fi
	if same "$DIR/dl-$_cap-after/index.html" "$DIR/www/index.html"; then ok "$_cap: / is index.html"; else not_ok "$_cap: / is index.html" "differs or missing"; fi
	server_stop
}
connection_cap cap
connection_cap cap-retry --retry
check "cap-retry: the clients served got their Retry" "$(status retries_sent)" 2

# ---- --no-report; garbage first ----
server_start --no-report
# An empty datagram (libngtcp2 0.12 asserts on one), then random ones
# shaped like short and long headers with every kind of ID length.
ip netns exec "$C" python3 -c '
import os, random, socket
random.seed(5)
for fam, addr in ((socket.AF_INET, ("'$V4'", '$PORT')), (socket.AF_INET6, ("'$V6'", '$PORT'))):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.sendto(b"", addr)
    for i in range(500):
        b = bytearray(os.urandom(random.choice([1, 5, 7, 30, 1200, 1400])))
        if random.random() < 0.6: b[0] |= 0xc0
        if len(b) > 6 and random.random() < 0.6:
            b[1:5] = b"\0\0\0\1"
            b[5] = random.choice([0, 8, 20, 21, 255])
        s.sendto(bytes(b), addr)
'
fetch noreport $V4 -- 100000
if same "$DIR/dl-noreport/100000" "$DIR/expect/100000"; then ok "no-report: download"; else not_ok "no-report: download" "$(tail -n 3 "$DIR/noreport.out")"; fi
check "garbage: the server still runs" "$(kill -0 "$SERVER_PID" && echo yes)" yes
check "no-report: the table stays empty" "$(table)" ""
check "no-report: nothing sent" "$(status reports_sent)" 0
server_stop

# ---- QUIC-LB plaintext IDs: config 2, server ID 0a0b0c, nonce 6 ----
server_start --no-report --cid-scheme quic-lb --quic-lb-config 2 --server-id 0a0b0c --nonce-len 6 --cid-len 10
fetch quiclb $V6 -- 1
if same "$DIR/dl-quiclb/1" "$DIR/expect/1"; then ok "quic-lb: download"; else not_ok "quic-lb: download" "$(tail -n 3 "$DIR/quiclb.out")"; fi
cids=$(qlog_cids quiclb)
bad=
for id in $cids; do
	cfg=$(($(printf '%d' "0x$(echo "$id" | cut -c1-2)") >> 5))
	[ "${#id}" -eq 20 ] && [ "$cfg" -eq 2 ] && [ "$(echo "$id" | cut -c3-8)" = 0a0b0c ] || bad="$bad $id"
done
if [ -n "$cids" ] && [ -z "$bad" ]; then ok "quic-lb: $(echo "$cids" | grep -c .) IDs carry config 2 and server ID 0a0b0c"; else not_ok "quic-lb: IDs" "bad:$bad all: $(echo $cids)"; fi
server_stop

# ---- QUIC-LB encrypted IDs: the router's own decoder names this backend ----
# A configuration at the agent for each mode, on the IPv6 VIP, and this
# backend's server ID in both; the agent reads the same key files.
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/lb1.key"
head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/lb2.key"
chmod 600 "$DIR/lb1.key" "$DIR/lb2.key"
cli quic-lb add web6 config 1 mode aes-single server-id-len 4 nonce-len 12 key-file "$DIR/lb1.key" >/dev/null &&
	cli quic-lb add web6 config 2 mode aes-four-pass server-id-len 3 nonce-len 8 key-file "$DIR/lb2.key" >/dev/null &&
	cli backend set h server-id web6 1 0a0b0c0d server-id web6 2 0a0b0c >/dev/null ||
	fail_setup "quic-lb configurations at the agent"
# explained FETCH LEN: "CONFIG:REASON:BACKEND" for every ID the server gave
# the client, sorted, unique; and "clear" if one shows the server ID in clear.
explained()
{
	for id in $(qlog_cids "$1"); do
		[ "${#id}" -eq $((2 * $2)) ] || echo "length-${#id}"
		case $id in ??0a0b0c*) echo clear ;; esac
		echo "$(($(printf '%d' "0x$(echo "$id" | cut -c1-2)") >> 5)):$(cli -j route $V6 $PORT fd00:20::2 40000 short "$id" |
			jq -r '"\(.reason):\(.backend_id)"')"
	done | sort -u | tr '\n' ' '
}
lb_fetch()
{
	fetch "$1" $V6 -- 100000
	if same "$DIR/dl-$1/100000" "$DIR/expect/100000"; then ok "$1: download"; else not_ok "$1: download" "$(tail -n 3 "$DIR/$1.out")"; fi
}
server_start --no-report --cid-scheme quic-lb --quic-lb-config 1 --server-id 0a0b0c0d --nonce-len 12 \
	--cid-len 17 --quic-lb-key-file "$DIR/lb1.key" --quic-lb-worker 1/2
lb_fetch aes-single
check "aes-single: every ID is config 1, encrypted, and decodes to backend $BACKEND" \
	"$(explained aes-single 17)" "1:route_quiclb:$BACKEND "
check "aes-single: the status file names the configuration" \
	"$(jq -c '[.quiclb[] | [.config, .mode, .server_id, .cid_len, .new_connections]]' "$DIR/status.json")" \
	'[[1,"aes-single","0a0b0c0d",17,true]]'
server_stop

# --quic-lb-file, read again on SIGHUP: single-pass first, then four-pass.
echo "config 1 server-id 0a0b0c0d nonce-len 12 key-file $DIR/lb1.key" >"$DIR/lb.conf"
server_start --no-report --cid-scheme quic-lb --quic-lb-file "$DIR/lb.conf"
lb_fetch file-1
check "file, config 1: every ID decodes to backend $BACKEND" "$(explained file-1 17)" "1:route_quiclb:$BACKEND "
{
	echo "# rotating: config 2 takes new connections"
	echo "config 1 server-id 0a0b0c0d nonce-len 12 key-file $DIR/lb1.key"
	echo "config 2 mode aes-four-pass server-id 0a0b0c nonce-len 8 key-file $DIR/lb2.key"
} >"$DIR/lb.conf"
new_conns_config() { output_is "$1" jq -c '[.quiclb[] | select(.new_connections) | .config]' "$DIR/status.json"; }
kill -HUP "$SERVER_PID"
wait_until 30 "the server reads --quic-lb-file again" new_conns_config "[2]" ||
	not_ok "file: SIGHUP takes the new last line" "$waited"
lb_fetch file-2
check "file, config 2: every ID is four-pass config 2 and decodes to backend $BACKEND" \
	"$(explained file-2 12)" "2:route_quiclb:$BACKEND "
# A key others may read: the reload is refused, naming the file; nothing changes.
chmod 644 "$DIR/lb2.key"
kill -HUP "$SERVER_PID"
wait_until 30 "the server refuses the reload" grep -q "lb2.key: mode 0644" "$DIR/server.log" ||
	not_ok "file: a key others may read is refused" "$waited"
chmod 600 "$DIR/lb2.key"
lb_fetch file-3
check "file, after a refused reload: config 2 still" "$(explained file-3 12)" "2:route_quiclb:$BACKEND "
server_stop
for k in lb1 lb2; do
	check "no key in the server's log ($k)" "$(grep -c "$(cat "$DIR/$k.key")" "$DIR/server.log")" 0
done

# ---- bad command lines: exit 2, the option named ----
usage()
{
	_name=$1 _want=$2
	shift 2
	# bounded: a server that waits (for a FIFO's writer, say) fails with 124,
	# or 137 when it does not end on SIGTERM (which it blocks for its signalfd)
	_err=$(timeout -k 5 30 "$SERVER" "$@" 2>&1 >/dev/null)
	_rc=$?
	if [ $_rc -eq 2 ] && echo "$_err" | grep -q -- "$_want"; then ok "usage: $_name"; else not_ok "usage: $_name" "exit $_rc: $_err"; fi
}
TLS="--tls-key $DIR/key.pem --tls-cert $DIR/cert.pem"
usage "missing --listen" --listen --no-report $TLS
usage "bad address" --listen -l 198.18.20.1 --no-report $TLS
usage "bad address family" --listen -l "[nonsense]:443" --no-report $TLS
usage "IPv6 port without brackets" --listen -l "fd00::1:443" --no-report $TLS
usage "port out of range" --listen -l "$V4:70000" --no-report $TLS
usage "number with a suffix" --backend-id -l $V4:$PORT --no-report --backend-id 7x $TLS
usage "zero idle timeout" --idle-timeout -l $V4:$PORT --no-report --idle-timeout 0s $TLS
usage "snapshot interval under 500ms" --snapshot-interval -l $V4:$PORT --no-report --snapshot-interval 400ms $TLS
usage "snapshot interval over 60s" --snapshot-interval -l $V4:$PORT --no-report --snapshot-interval 2m $TLS
usage "no connections" --max-connections -l $V4:$PORT --no-report --max-connections 0 $TLS
usage "bad --cid-len" --cid-len -l $V4:$PORT --no-report --cid-len 21 $TLS
usage "quic-lb without --server-id" --server-id -l $V4:$PORT --no-report --cid-scheme quic-lb --nonce-len 6 $TLS
usage "quic-lb lengths disagree" --cid-len -l $V4:$PORT --no-report --cid-scheme quic-lb --server-id 0a0b --nonce-len 6 $TLS
LB="-l $V4:$PORT --no-report $TLS --cid-scheme quic-lb --quic-lb-config 1 --server-id 0a0b0c0d --nonce-len 12 --cid-len 17"
usage "aes mode without a key file" --quic-lb-mode $LB --quic-lb-mode aes-single
usage "aes-single of 15 bytes" "--quic-lb-mode: mode aes-single needs server-id bytes + nonce-len = 16" \
	$LB --quic-lb-mode aes-single --quic-lb-key-file "$DIR/lb1.key" --nonce-len 11 --cid-len 16
usage "four-pass of 16 bytes" "--quic-lb-mode: mode aes-four-pass" $LB --quic-lb-mode aes-four-pass --quic-lb-key-file "$DIR/lb1.key"
usage "plaintext with a key" "--quic-lb-mode: mode plaintext takes no key-file" $LB --quic-lb-mode plaintext --quic-lb-key-file "$DIR/lb1.key"
usage "unknown mode" --quic-lb-mode $LB --quic-lb-mode rot13
echo "0a0b0c" >"$DIR/lb-bad.key" && cp "$DIR/lb1.key" "$DIR/lb-wide.key" &&
	chmod 600 "$DIR/lb-bad.key" && chmod 644 "$DIR/lb-wide.key" || fail_setup "QUIC-LB key files"
usage "QUIC-LB key not hex" "config 1: key-file $DIR/lb-bad.key: not 32 hex digits" \
	$LB --quic-lb-key-file "$DIR/lb-bad.key"
usage "QUIC-LB key others may read" "config 1: key-file $DIR/lb-wide.key: mode 0644: group or others" \
	$LB --quic-lb-key-file "$DIR/lb-wide.key"
usage "QUIC-LB file and options" --quic-lb-file $LB --quic-lb-file "$DIR/lb.conf"
usage "QUIC-LB options without the scheme" --cid-scheme -l $V4:$PORT --no-report $TLS --quic-lb-file "$DIR/lb.conf"
usage "worker id past its bits" --quic-lb-worker $LB --quic-lb-worker 4/2
echo "config 1 server-id 0a0b0c0d nonce-len 12 key-file $DIR/lb1.key colour blue" >"$DIR/lb-bad.conf"
usage "QUIC-LB file line" "--quic-lb-file $DIR/lb-bad.conf: line 1: unknown word \"colour\"" \
	-l $V4:$PORT --no-report $TLS --cid-scheme quic-lb --quic-lb-file "$DIR/lb-bad.conf"
usage "unreadable key" --tls-key -l $V4:$PORT --no-report --tls-key "$DIR/nope.pem" --tls-cert "$DIR/cert.pem"
usage "reporting without --backend-id" --backend-id -l $V4:$PORT $TLS --report-key "$DIR/h.key" --agent "unix:$DIR/reports.sock"
echo "garbage" >"$DIR/bad.key"
chmod 600 "$DIR/bad.key"
usage "report key not hex" --report-key -l $V4:$PORT $TLS --backend-id 7 --report-key "$DIR/bad.key" --agent "unix:$DIR/reports.sock"
# The agent's rule for key files (issue 11): only the server's user or root may read or change it.
cp "$DIR/h.key" "$DIR/wide.key" && chmod 644 "$DIR/wide.key" && mkfifo "$DIR/fifo.key" &&
	cp "$DIR/h.key" "$DIR/other.key" && chown 12345 "$DIR/other.key" && ln -s /dev/zero "$DIR/zero.key" ||
	fail_setup "key files"
for k in "wide:mode 0644: group or others may read or change it" "fifo:a FIFO, not a regular file" \
	"other:owned by uid 12345, not by root" "zero:a character device, not a regular file"; do
	usage "report key refused: ${k#*:}" "--report-key $DIR/${k%%:*}.key: ${k#*:}" \
		-l $V4:$PORT $TLS --backend-id 7 --report-key "$DIR/${k%%:*}.key" --agent "unix:$DIR/reports.sock"
done

kill -TERM "$AGENT_PID"
wait_exit 30 "$AGENT_PID" "quicsteerd (after SIGTERM)"
AGENT_PID=
[ "$failed" -eq 0 ] || sed 's/^/# /' "$DIR/server.log" "$DIR/agent.log" | tail -n 60
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
