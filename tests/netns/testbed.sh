# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# testbed.sh: a whole quicsteer deployment in network namespaces, for the
# end-to-end scenarios (tests/netns/test-e2e-*.sh), the end-to-end
# benchmark and `make demo`. Source it from a POSIX shell (dash is fine),
# then:
#
#   . tests/netns/testbed.sh
#   tb_up build --backends 3 || exit 1     # tb_down runs on EXIT/INT/TERM
#   tb_server_start_all gtls
#   tb_make_file f1m 1048576
#   tb_fetch t1 4 -- f1m && tb_verify t1 f1m && echo ok
#
# Nothing is printed unless TB_VERBOSE=1 (each step on stderr). Every
# function returns 0, or non-zero with one line on stderr saying what
# failed ("testbed: ...").
#
# Its waits are lib.sh's (wait_until, wait_exit: poll the condition, give
# up only after a generous deadline, saying what did not happen). Test
# scripts source lib.sh first; a caller that sources only this file
# (tools/bench/e2e, tools/demo/run) gets lib.sh here, found beside the
# caller or two levels up from it.
#
# Hosts (one network namespace each, named "qstb-PID-N-HOST"), all on one
# layer-2 segment: a bridge "br0" in the switch host, one veth pair per
# host (the host's end is "eth0" in the host, the bridge's end is named
# after the host). MTU 1600 everywhere, like a fabric with larger frames:
# the router adds 20 or 40 bytes of outer header to the client's
# full-size packets (ngtcp2's path MTU probes reach 1454 bytes of UDP
# payload), and a frame over the receiving veth's MTU would vanish.
#
#   host     name in tb_ns   addresses on eth0
#   switch   sw              none (bridge br0 and the ports)
#   client   client          198.18.0.2/24 198.18.0.3/24 fd00::2/64 fd00::3/64
#   router   router          198.18.0.1/24 fd00::1/64; runs quicsteerd
#   backend  1..N            198.18.0.(10+i)/24 fd00::(10+i)/64; VIPs on lo
#
#   VIPs     TB_VIP4=198.18.100.1, TB_VIP6=fd00:100::1, port TB_PORT=443
#
# The client routes each VIP via the router's segment address, with source
# TB_CL4A / TB_CL6A (tb_client_src switches to the second address, and
# gtlsclient's --change-local-addr then moves to it too). The router
# encapsulates towards the backend's segment address, XDP_TX out of its
# eth0; the backends strip the outer header with decap.bpf.o on their
# eth0 and answer the client directly from the VIP (direct server
# return over the segment). Outer sources: TB_ENCAP4 (198.18.200.0/24) and
# TB_ENCAP6 (fd00:200::, its low 16 bits from the flow hash: /112).
#
# Each backend's decap program, loaded with ip(8) as an operator would,
# pins its maps under $TB_DIR/bpf/bI/tc/globals (a directory of the
# testbed's bpffs, bound on the backend's /sys/fs/bpf while ip loads it),
# and its allow-lists are filled as docs/datapath.md says every deployment
# must: `quicsteer decap allow` of the router's two source prefixes and of
# the VIPs the backend serves. Empty, they would drop everything.
#
# Backends are configured by their IPv6 address (fd00::(10+i)) and serve
# both VIPs: IPv4 clients reach them IPv4-in-IPv6, IPv6 clients
# IPv6-in-IPv6. With --backend-family 4 they are configured by their IPv4
# address instead (IPv4-in-IPv4) and serve TB_VIP4 only (an IPv4 backend
# cannot serve an IPv6 VIP).
#
# The agent: BUILD/quicsteerd in the router host, configuration
# $TB_DIR/quicsteer.conf (VIPs "web4" and "web6" with cid-len TB_CID_LEN,
# nexthop "seg" on eth0, backend "bI" with id I, key file
# $TB_DIR/keys/bI.key), log $TB_DIR/agent.log, control socket
# $TB_DIR/control.sock, maps pinned under $TB_DIR/bpf/quicsteer on a
# private bpffs mounted on $TB_DIR/bpf (also libxdp's, through
# LIBXDP_BPFFS, so that a restarted agent would find a dispatcher it
# attached; on this kernel libxdp 1.3.1's dispatcher fails its
# compatibility check with EPERM and libxdp attaches the router alone, as
# the agent's log says), report listeners udp 198.18.0.1:4434 and [fd00::1]:4434
# (TB_REPORT4, TB_REPORT6: backends report over the segment, as in
# production), metrics on 127.0.0.1:9464 inside the router host.
#
# Variables set by tb_up (read them, do not change them):
#   TB_BUILD      absolute build directory
#   TB_DIR        the testbed's temporary directory (removed by tb_down)
#   TB_N          number of backends
#   TB_WWW        document root every server serves (tb_make_file writes it)
#   TB_TLS_KEY, TB_TLS_CERT   self-signed P-256 key and certificate
#   TB_VIP4, TB_VIP6, TB_PORT, TB_LB4, TB_LB6, TB_CL4A, TB_CL4B, TB_CL6A, TB_CL6B
#   TB_ENCAP4, TB_ENCAP6      the router's encap-source4 and encap-source6
#   TB_CID_LEN    the VIPs' cid-len (default 18: stock gtlsserver's IDs)
#   TB_REPORT4, TB_REPORT6    the agent's report endpoints, ADDR:PORT form
#   TB_AGENT_PID  quicsteerd's pid (empty while stopped)
#   TB_H3SERVER   BUILD/tools/qs-h3server (may not exist: tb_have_h3server)
# Set by the caller if wanted:
#   TB_VERBOSE=1  say each step on stderr
#   TB_REPORT_TO  where tb_server_start h3 sends reports, one endpoint or
#                 several (space separated: every agent); default TB_REPORT4
#   TB_GTLS_VIPS  the VIP addresses gtlsserver serves (default TB_VIP4 and,
#                 unless IPv4 backends, TB_VIP6)
#   TB_VIPS       the VIP addresses backends put on lo and their decap
#                 programs allow (tb_up sets TB_VIP4 TB_VIP6; a cluster
#                 adds its own)
#
# Functions (HOST is sw, client, router, or a backend number 1..N):
#   tb_up BUILD [--backends N] [--weights "W1 W2 ..."] [--cid-len N]
#         [--backend-family 4|6] [--heartbeat-timeout DURATION|off]
#         [--learned-ttl DURATION] [--unknown drop|hash] [--config-extra LINE]
#                         builds everything, starts the agent and waits
#                         until it answers and every backend's MAC is
#                         resolved; no servers yet. Installs tb_down as
#                         the EXIT trap (INT/TERM exit 130). A script that
#                         needs its own EXIT trap must call tb_down in it.
#   tb_down               idempotent; kills every process in the testbed's
#                         namespaces, deletes them, unmounts the bpffs,
#                         removes TB_DIR
#   tb_ns HOST            the namespace name of HOST
#   tb_exec HOST CMD...   runs CMD in HOST
#   tb_cli ARGS...        BUILD/quicsteer against the agent (e.g. -j stats)
#   tb_agent_start, tb_agent_stop [SIGNAL], tb_agent_restart
#                         start (and wait until it answers), stop (default
#                         TERM; waits for the exit, KILL after 30 s), restart
#   tb_agent_pause, tb_agent_resume   SIGSTOP / SIGCONT the agent
#   tb_metrics            the agent's Prometheus text
#   tb_shape RATE|off     rate-limits what the segment sends to the client
#                         (tbf on the bridge's client port), to make
#                         transfers last: tb_shape 40mbit
#   (the tb_stat_*, tb_flows_* and tb_cids_* functions read the pinned maps
#   directly, so they work while the agent is stopped or paused)
#   tb_stat_reason NAME   packets the router counted under reason NAME
#                         (route_new, route_cid, drop_unknown_cid, ...)
#   tb_stat_backend I     packets the router forwarded to backend I
#   tb_stat_backends      "P1 P2 ... PN": tb_stat_backend of every backend
#   tb_flows_backend I    address-table entries (client connections
#                         routed by hash and recorded) that point at I
#   tb_cids_backend I [KIND]  ID-table entries of backend I (KIND
#                         authoritative or learned; default both)
#   tb_server_start I KIND [ARGS...]   starts backend I's server: KIND gtls
#                         (stock gtlsserver, one process per VIP, qlog per
#                         connection in $TB_DIR/bI/qlog) or h3
#                         (qs-h3server, reporting to the agent with key
#                         and id, status file $TB_DIR/bI/status.json);
#                         ARGS (words without spaces) are added to the
#                         server's options. Waits until the server's
#                         sockets are bound.
#   tb_server_start_all KIND [ARGS...]
#   tb_server_stop I [SIGNAL]   default TERM; waits until it exited (KILL
#                         after 30 s)
#   tb_server_stop_all [SIGNAL]
#   tb_server_restart I   stop, then start with the same KIND and ARGS
#   tb_server_kind I      gtls, h3, or nothing when stopped
#   tb_status I [FIELD]   backend I's qs-h3server status JSON, or one field
#   tb_connections I      connections backend I's server accepted: h3:
#                         status "connections"; gtls: qlog files
#   tb_connections_all    "C1 C2 ... CN": tb_connections of every backend
#   tb_status_all FIELD   "V1 V2 ... VN": tb_status I FIELD of every backend
#                         (0 for one without a status file yet)
#   tb_handshakes_since BEFORE   true once tb_status_all handshakes
#                         differs from BEFORE (printed): a handshake since
#   tb_moved BEFORE AFTER the backend numbers (1..N, space separated) whose
#                         entry differs between two such lists
#   tb_decap_cli I ARGS...   BUILD/quicsteer on backend I's decap pins
#                         (e.g. -j decap show, decap flush vips)
#   tb_decap_stats I      "IPIP IP6IP6 IP4IP6 DROPPED": packets backend
#                         I's decap program decapsulated by kind, and
#                         dropped for any reason (drop_*: malformed, a
#                         source or destination not allowed, lengths)
#   tb_have_h3server      true if BUILD/tools/qs-h3server exists
#   tb_make_file NAME BYTES    random content in TB_WWW/NAME
#   tb_client_src 4|6 a|b      the client's source address for that VIP
#   tb_fetch NAME 4|6|VIP [GTLSCLIENT-OPTIONS...] -- PATH...
#                         runs gtlsclient in the client host (quiet, exits
#                         after the last stream, --timeout 15s unless
#                         given: the idle timeout, which only ends a
#                         stalled connection) downloading each PATH from
#                         the VIP into $TB_DIR/fetch/NAME/; log NAME.log,
#                         qlog NAME.qlog beside it; killed after 300 s
#   tb_fetch_bg NAME 4|6 ... -- PATH...   the same in the background
#   tb_fetch_wait NAME... wait for background fetches (call both from the
#                         script's own shell, not a subshell: it uses wait)
#   tb_verify NAME PATH...   cmp each downloaded PATH with TB_WWW/PATH;
#                         prints the first difference on stderr
#   tb_wait_until SECONDS CMD...   wait_until SECONDS with CMD as what it
#                         waits for (scenarios call wait_until and say)
#
# For test scripts that source tests/netns/lib.sh (its ok/not_ok counters):
#   tb_test_up BUILD [tb_up options]   tb_up, or "not ok", the summary, exit 1
#   tb_test_kinds FUNC "GTLS-ARGS" "H3-ARGS"   starts gtlsserver (with
#                         GTLS-ARGS) on every backend and runs FUNC gtls;
#                         then, if qs-h3server is built, replaces them with
#                         qs-h3server (H3-ARGS) and runs FUNC h3, else
#                         prints and counts a skip
#   tb_skip WHY           "# skip: WHY", counted in tb_skipped
#   tb_check_download NAME FETCH PATH...   ok "NAME: download intact" when
#                         tb_verify FETCH PATH... holds, else not ok
#   tb_test_end           the agent's log when a check failed, the skips,
#                         "N passed, M failed"; exits 0 only if none failed
#
# gtlsclient's exit status is 0 even when nothing arrives (TESTBED.md):
# success is only ever proven by tb_verify.

TB_VIP4=198.18.100.1
TB_VIP6=fd00:100::1
TB_PORT=443
TB_LB4=198.18.0.1
TB_LB6=fd00::1
TB_CL4A=198.18.0.2
TB_CL4B=198.18.0.3
TB_CL6A=fd00::2
TB_CL6B=fd00::3
TB_REPORT4=198.18.0.1:4434
TB_REPORT6="[fd00::1]:4434"
TB_ENCAP4=198.18.200.0/24
TB_ENCAP6=fd00:200::
TB_DIR=
TB_AGENT_PID=
_tb_ups=0

if ! command -v wait_until >/dev/null 2>&1; then
	for _tb_lib in "$(dirname "$0")/lib.sh" "$(dirname "$0")/../../tests/netns/lib.sh"; do
		if [ -r "$_tb_lib" ]; then
			# shellcheck source=tests/netns/lib.sh
			. "$_tb_lib"
			break
		fi
	done
fi

_tb_log() { [ "${TB_VERBOSE:-0}" != 1 ] || echo "testbed: $*" >&2; }
_tb_err()
{
	echo "testbed: $*" >&2
	return 1
}

# Runs a command, quietly unless verbose; on failure says which one.
_tb_run()
{
	_tb_log "$*"
	"$@" >"$TB_DIR/last.out" 2>&1 && return 0
	_tb_err "failed: $* ($(tail -n 2 "$TB_DIR/last.out" | tr '\n' ' '))"
}

tb_ns()
{
	case $1 in
	sw | client | router | edge | lb*) echo "$_tb_prefix-$1" ;;
	*) echo "$_tb_prefix-b$1" ;;
	esac
}

tb_exec()
{
	_tb_h=$1
	shift
	ip netns exec "$(tb_ns "$_tb_h")" "$@"
}

tb_wait_until()
{
	_tb_s=$1
	shift
	wait_until "$_tb_s" "$*" "$@"
}

# _tb_host HOST: a namespace joined to the bridge, eth0 up, MTU 1600, its
# transmit checksum offload off (TESTBED.md: UDP from a local socket leaves
# a veth with its checksum unfinished, and a frame the router forwards
# with XDP never gets it finished, so the receiver drops it as
# InCsumErrors).
_tb_host()
{
	_tb_run ip netns add "$(tb_ns "$1")" &&
		_tb_run ip -n "$(tb_ns sw)" link add "$2" mtu 1600 type veth peer name eth0 \
			netns "$(tb_ns "$1")" &&
		_tb_run ip -n "$(tb_ns sw)" link set "$2" master br0 up &&
		_tb_run ip -n "$(tb_ns "$1")" link set lo up &&
		_tb_run ip -n "$(tb_ns "$1")" link set eth0 mtu 1600 up &&
		_tb_run tb_exec "$1" ethtool -K eth0 tx off &&
		_tb_run tb_exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.eth0.rp_filter=0 net.ipv4.conf.lo.rp_filter=0
}

_tb_addrs()
{
	_tb_n=$1
	shift
	for _tb_a; do
		case $_tb_a in
		*:*) _tb_run ip -n "$(tb_ns "$_tb_n")" addr add "$_tb_a" dev eth0 nodad || return 1 ;;
		*) _tb_run ip -n "$(tb_ns "$_tb_n")" addr add "$_tb_a" dev eth0 || return 1 ;;
		esac
	done
}

_tb_bridge()
{
	_tb_run ip netns add "$(tb_ns sw)" &&
		_tb_run ip -n "$(tb_ns sw)" link add br0 type bridge mcast_snooping 0 &&
		_tb_run ip -n "$(tb_ns sw)" link set br0 up &&
		_tb_run tb_exec sw sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}

# _tb_xdp_tx_port PORT: the router (or a balancer) sends encapsulated
# frames with XDP_TX into its veth, and veth silently drops an XDP frame
# unless the receiving end (the bridge's port PORT) runs an XDP program too
# (TESTBED.md): a do-nothing XDP_PASS program makes it accept them.
_tb_xdp_tx_port()
{
	_tb_run ip -n "$(tb_ns sw)" link set dev "$1" xdp obj "$TB_BUILD/bench-bpf/datapath/floor.bpf.o" sec xdp
}

_tb_segment()
{
	_tb_bridge || return 1
	_tb_host client client && _tb_addrs client "$TB_CL4A/24" "$TB_CL4B/24" "$TB_CL6A/64" \
		"$TB_CL6B/64" || return 1
	tb_client_src 4 a && tb_client_src 6 a || return 1
	_tb_host router router && _tb_addrs router "$TB_LB4/24" "$TB_LB6/64" && _tb_xdp_tx_port router &&
		_tb_backends
}

# The backends on the segment, each with the VIPs on lo and decap.bpf.o
# on eth0 (its allow-lists filled).
_tb_backends()
{
	_tb_i=1
	while [ "$_tb_i" -le "$TB_N" ]; do
		_tb_host "$_tb_i" "b$_tb_i" &&
			_tb_addrs "$_tb_i" "198.18.0.$((10 + _tb_i))/24" "fd00::$((10 + _tb_i))/64" &&
			_tb_lo_vips "$_tb_i" &&
			_tb_run tb_exec "$_tb_i" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
				net.ipv4.conf.all.arp_announce=2 || return 1
		# `ip` pins decap's maps under /sys/fs/bpf, which in an `ip
		# netns exec` is a fresh sysfs without bpffs: bind the
		# backend's directory of the testbed's bpffs there first (the
		# binding lives and dies with that command's mount namespace;
		# the pins stay in the directory for the CLI).
		mkdir -p "$TB_DIR/bpf/b$_tb_i" &&
			_tb_run tb_exec "$_tb_i" sh -c 'mount --bind "$2" /sys/fs/bpf &&
				ip link set dev eth0 xdp obj "$1" sec xdp' sh \
				"$TB_BUILD/bpf/decap.bpf.o" "$TB_DIR/bpf/b$_tb_i" &&
			_tb_decap_allow "$_tb_i" || return 1
		mkdir -p "$TB_DIR/b$_tb_i/qlog"
		_tb_i=$((_tb_i + 1))
	done
}

# Every VIP address on backend $1's lo (TB_VIPS: the testbed's VIPs).
_tb_lo_vips()
{
	for _tb_v in $TB_VIPS; do
		case $_tb_v in
		*:*) _tb_run ip -n "$(tb_ns "$1")" addr add "$_tb_v/128" dev lo nodad || return 1 ;;
		*) _tb_run ip -n "$(tb_ns "$1")" addr add "$_tb_v/32" dev lo || return 1 ;;
		esac
	done
}

# ip's xdp/globals is a link to /sys/fs/bpf/tc/, which means the
# machine's own bpffs outside the load: tc/globals is the directory itself.
tb_decap_cli()
{
	_tb_dc=$1
	shift
	"$TB_BUILD/quicsteer" --pin-dir "$TB_DIR/bpf/b$_tb_dc/tc/globals" "$@"
}

# The router's sources and the VIPs backend $1 serves: what decap takes.
_tb_decap_allow()
{
	_tb_run tb_decap_cli "$1" decap allow source "$TB_ENCAP4" &&
		_tb_run tb_decap_cli "$1" decap allow source "$TB_ENCAP6/112" || return 1
	for _tb_v in $TB_VIPS; do
		case $_tb_v in
		*:*) [ "$_tb_family" = 4 ] && continue ;;
		esac
		_tb_run tb_decap_cli "$1" decap allow vip "$_tb_v" "$TB_PORT" || return 1
	done
}

# Every backend's report key, $TB_DIR/keys/bI.key: one per backend,
# whichever agents it reports to.
_tb_keys()
{
	_tb_i=1
	while [ "$_tb_i" -le "$TB_N" ]; do
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TB_DIR/keys/b$_tb_i.key" || return 1
		# the agent and qs-h3server take no key others may read
		chmod 600 "$TB_DIR/keys/b$_tb_i.key"
		_tb_i=$((_tb_i + 1))
	done
}

# _tb_config_head ADDR4 ADDR6: what every agent's configuration starts
# with: its files in _tb_at, its pins in _tb_pindir, its report listeners
# on the two addresses, the interface and the next hop.
_tb_config_head()
{
	echo "# written by tests/netns/testbed.sh"
	echo "pin-dir $_tb_pindir"
	echo "control-socket $_tb_at/control.sock"
	echo "metrics-listen 127.0.0.1 9464"
	echo "report-listen udp $1 4434"
	echo "report-listen udp $2 4434"
	echo "heartbeat-timeout $_tb_hb"
	[ -z "$_tb_ttl" ] || echo "learned-ttl $_tb_ttl"
	echo "interface eth0"
	echo "nexthop seg dev eth0 encap-source4 $TB_ENCAP4 encap-source6 $TB_ENCAP6"
}

_tb_write_config()
{
	_tb_c=$TB_DIR/quicsteer.conf
	{
		_tb_config_head "$TB_LB4" "$TB_LB6"
		echo "vip web4 $TB_VIP4 $TB_PORT id 0 cid-len $TB_CID_LEN unknown $_tb_unknown"
		echo "vip web6 $TB_VIP6 $TB_PORT id 1 cid-len $TB_CID_LEN unknown $_tb_unknown"
		_tb_i=1
		for _tb_w in $_tb_weights; do
			if [ "$_tb_family" = 4 ]; then
				echo "backend b$_tb_i 198.18.0.$((10 + _tb_i)) id $_tb_i vip web4" \
					"weight $_tb_w key-file $TB_DIR/keys/b$_tb_i.key"
			else
				echo "backend b$_tb_i fd00::$((10 + _tb_i)) id $_tb_i vip web4 vip web6" \
					"weight $_tb_w key-file $TB_DIR/keys/b$_tb_i.key"
			fi
			_tb_i=$((_tb_i + 1))
		done
		[ -z "$_tb_extra" ] || printf '%s\n' "$_tb_extra"
	} >"$_tb_c"
}

# --timeout 30: a generous bound for a slow or busy machine (the CLI's
# default, 10 s, is for operators); a caller's own --timeout comes later.
tb_cli() { "$TB_BUILD/quicsteer" --socket "$_tb_at/control.sock" --pin-dir "$_tb_pindir" --timeout 30 "$@"; }

# The agent itself answers: `status` alone also succeeds from the pins.
_tb_agent_answers()
{
	_tb_st=$(tb_cli -j status 2>&1)
	echo "$_tb_st" | head -c 300
	[ "$(echo "$_tb_st" | jq .agent 2>/dev/null)" = true ]
}

# The agent is ready: every backend has a usable next hop (it asks the
# kernel, which resolves on the segment); what it says otherwise names the
# backends still without one.
_tb_ready()
{
	_tb_st=$(tb_cli -j status 2>&1)
	echo "$_tb_st" | jq -c '{ready, nexthops_missing}' 2>/dev/null || echo "$_tb_st" | head -c 300
	[ "$(echo "$_tb_st" | jq .ready 2>/dev/null)" = true ]
}

tb_agent_start()
{
	[ -z "$TB_AGENT_PID" ] || return 0
	_tb_log "starting quicsteerd in $_tb_rt"
	LIBXDP_BPFFS=$_tb_xdpfs ip netns exec "$(tb_ns "$_tb_rt")" \
		"$TB_BUILD/quicsteerd" -c "$_tb_at/quicsteer.conf" 2>>"$_tb_at/agent.log" &
	TB_AGENT_PID=$!
	wait_until 30 "quicsteerd in $_tb_rt answers status" _tb_agent_answers ||
		_tb_err "$waited; its log: $(tail -n 3 "$_tb_at/agent.log" | tr '\n' ' ')"
}

tb_agent_stop()
{
	[ -n "$TB_AGENT_PID" ] || return 0
	kill -"${1:-TERM}" "$TB_AGENT_PID" 2>/dev/null
	[ "${1:-TERM}" = STOP ] && return 0
	wait_exit 30 "$TB_AGENT_PID" "quicsteerd (after SIG${1:-TERM})"
	TB_AGENT_PID=
}

tb_agent_restart() { tb_agent_stop && tb_agent_start; }
tb_agent_pause() { kill -STOP "$TB_AGENT_PID"; }
tb_agent_resume() { kill -CONT "$TB_AGENT_PID"; }
tb_metrics() { tb_exec "$_tb_rt" curl -s --max-time 30 http://127.0.0.1:9464/metrics; }

# The counters and tables straight from the pins, never through the agent:
# they stay readable at once while it is stopped (SIGSTOP), when the CLI
# would wait out its --timeout (the control socket still accepts connections).
_tb_pins() { "$TB_BUILD/quicsteer" --socket "$TB_DIR/no-agent.sock" --pin-dir "$_tb_pindir" "$@" 2>/dev/null; }

tb_stat_reason() { _tb_pins -j stats | jq -e ".reasons.$1.packets"; }
tb_stat_backend() { _tb_pins -j stats | jq -e "[.backends[] | select(.id == $1) | .packets] | add // 0"; }

tb_stat_backends()
{
	_tb_pins -j stats | jq -r --argjson n "$TB_N" \
		'[range(1; $n + 1) as $i | ([.backends[] | select(.id == $i) | .packets] | add // 0)] | map(tostring) | join(" ")'
}

tb_flows_backend() { _tb_pins -j flow show backend "$1" | jq -e 'length'; }

tb_cids_backend()
{
	_tb_pins -j cid show backend "$1" | jq -e --arg k "${2:-}" '[.[] | select($k == "" or .kind == $k)] | length'
}

tb_have_h3server() { [ -x "$TB_H3SERVER" ]; }

# _tb_prepare BUILD [tb_up options]: the options read, the tools checked,
# TB_DIR with its certificate and bpffs; no host yet. The agent's files
# are the single router's (tb_up); a cluster (cluster.sh) moves them per
# balancer.
_tb_prepare()
{
	[ -z "$TB_DIR" ] || _tb_err "tb_up: already up (tb_down first)" || return 1
	TB_BUILD=$(cd "$1" 2>/dev/null && pwd) || _tb_err "tb_up: no build directory '$1'" || return 1
	shift
	TB_N=3
	TB_VIPS="$TB_VIP4 $TB_VIP6"
	TB_CID_LEN=18
	_tb_weights=
	_tb_family=6
	_tb_hb=10s
	_tb_ttl=
	_tb_unknown=drop
	_tb_extra=
	while [ $# -gt 0 ]; do
		case $1 in
		--backends) TB_N=$2 ;;
		--weights) _tb_weights=$2 ;;
		--cid-len) TB_CID_LEN=$2 ;;
		--backend-family) _tb_family=$2 ;;
		--heartbeat-timeout) _tb_hb=$2 ;;
		--learned-ttl) _tb_ttl=$2 ;;
		--unknown) _tb_unknown=$2 ;;
		--config-extra) _tb_extra=$2 ;;
		*) _tb_err "tb_up: unknown option '$1'" || return 1 ;;
		esac
		[ $# -ge 2 ] || _tb_err "tb_up: $1 needs a value" || return 1
		shift 2
	done
	if [ -z "$_tb_weights" ]; then
		_tb_i=1
		while [ "$_tb_i" -le "$TB_N" ]; do
			_tb_weights="$_tb_weights 1"
			_tb_i=$((_tb_i + 1))
		done
	fi
	TB_N=$(echo $_tb_weights | wc -w)
	[ "$TB_N" -ge 1 ] && [ "$TB_N" -le 200 ] || _tb_err "tb_up: $TB_N backends" || return 1
	[ "$(id -u)" -eq 0 ] || _tb_err "tb_up: needs root" || return 1
	for _tb_f in quicsteerd quicsteer bpf/decap.bpf.o bench-bpf/datapath/floor.bpf.o; do
		[ -e "$TB_BUILD/$_tb_f" ] || _tb_err "tb_up: no $TB_BUILD/$_tb_f (run make)" || return 1
	done
	for _tb_f in gtlsserver gtlsclient openssl jq bpftool ethtool curl; do
		command -v "$_tb_f" >/dev/null || _tb_err "tb_up: $_tb_f not installed" || return 1
	done
	command -v wait_until >/dev/null 2>&1 ||
		_tb_err "tb_up: no wait_until (source tests/netns/lib.sh first)" || return 1
	TB_H3SERVER=$TB_BUILD/tools/qs-h3server
	_tb_ups=$((_tb_ups + 1))
	_tb_prefix=qstb-$$-$_tb_ups
	TB_DIR=$(mktemp -d /tmp/qs-testbed.XXXXXX) || return 1
	trap tb_down EXIT
	trap 'exit 130' INT TERM
	TB_WWW=$TB_DIR/www
	TB_TLS_KEY=$TB_DIR/tls.key
	TB_TLS_CERT=$TB_DIR/tls.crt
	mkdir -p "$TB_WWW" "$TB_DIR/keys" "$TB_DIR/fetch" "$TB_DIR/bpf" || return 1
	_tb_at=$TB_DIR
	_tb_pindir=$TB_DIR/bpf/quicsteer
	_tb_xdpfs=$TB_DIR/bpf
	_tb_rt=router
	_tb_shape_host=sw
	_tb_shape_dev=client
	_tb_vipnet4=$TB_VIP4/32
	_tb_vipnet6=$TB_VIP6/128
	_tb_log "up: $_tb_prefix, $TB_N backends (weights$_tb_weights), $TB_DIR"
	_tb_run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$TB_TLS_KEY" -out "$TB_TLS_CERT" -days 2 -subj /CN=quicsteer-testbed &&
		_tb_run mount -t bpf bpf "$TB_DIR/bpf" && _tb_keys
}

# _tb_agent_up: the agent of _tb_at checks its configuration, starts, and
# is ready.
_tb_agent_up()
{
	_tb_run "$TB_BUILD/quicsteerd" --check -c "$_tb_at/quicsteer.conf" && tb_agent_start || return 1
	wait_until 30 "the agent in $_tb_rt is ready (every backend's next hop resolved)" _tb_ready ||
		_tb_err "$waited; its log: $(tail -n 3 "$_tb_at/agent.log" | tr '\n' ' ')"
}

tb_up()
{
	_tb_prepare "$@" && _tb_segment && _tb_write_config && _tb_agent_up
}

_tb_ns_empty()
{
	_tb_left=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
	echo "still there: $_tb_left"
	[ -z "$_tb_left" ]
}

tb_down()
{
	[ -n "$TB_DIR" ] || return 0
	_tb_log "down: $_tb_prefix"
	# Everything the testbed started runs in one of its namespaces (ip
	# netns exec execs the command), the agent included.
	for _tb_h in $(ip netns list | awk -v p="$_tb_prefix-" 'index($1, p) == 1 { print $1 }'); do
		for _tb_p in $(ip netns pids "$_tb_h" 2>/dev/null); do kill -KILL "$_tb_p" 2>/dev/null; done
	done
	for _tb_h in $(ip netns list | awk -v p="$_tb_prefix-" 'index($1, p) == 1 { print $1 }'); do
		wait_until 30 "every process in $_tb_h gone (after SIGKILL)" _tb_ns_empty "$_tb_h"
		ip netns del "$_tb_h" 2>/dev/null
	done
	wait 2>/dev/null
	TB_AGENT_PID=
	umount "$TB_DIR/bpf" 2>/dev/null
	rm -rf "$TB_DIR"
	TB_DIR=
}


# Servers. Each backend's pids, kind and options are kept in
# $TB_DIR/bI/ so that stop and restart find them.

# How many UDP sockets bound to the VIPs' port backend $1 has.
_tb_bound()
{
	_tb_socks=$(tb_exec "$1" ss -Hlun "sport = :$TB_PORT" 2>/dev/null | wc -l)
	echo "$_tb_socks sockets on port $TB_PORT"
	[ "$_tb_socks" -ge "$2" ]
}

tb_server_start()
{
	_tb_b=$1
	_tb_kind=$2
	shift 2
	_tb_d=$TB_DIR/b$_tb_b
	[ -d "$_tb_d" ] || _tb_err "tb_server_start: no backend '$_tb_b'" || return 1
	[ ! -s "$_tb_d/pids" ] || _tb_err "tb_server_start: backend $_tb_b already runs a server" || return 1
	echo "$_tb_kind" >"$_tb_d/kind"
	echo "$*" >"$_tb_d/args"
	_tb_vips=$TB_VIP4
	[ "$_tb_family" = 4 ] || _tb_vips="$TB_VIP4 $TB_VIP6"
	[ "$_tb_kind" != gtls ] || _tb_vips=${TB_GTLS_VIPS:-$_tb_vips}
	case $_tb_kind in
	gtls)
		# One process per VIP: bound to the VIP, it answers from it.
		for _tb_v in $_tb_vips; do
			_tb_log "backend $_tb_b: gtlsserver $* $_tb_v $TB_PORT"
			ip netns exec "$(tb_ns "$_tb_b")" gtlsserver -q -d "$TB_WWW" --max-dyn-length=64M \
				--qlog-dir="$_tb_d/qlog" "$@" "$_tb_v" "$TB_PORT" "$TB_TLS_KEY" "$TB_TLS_CERT" \
				>>"$_tb_d/server.log" 2>&1 &
			echo $! >>"$_tb_d/pids"
		done
		;;
	h3)
		tb_have_h3server || _tb_err "tb_server_start: no $TB_H3SERVER" || return 1
		set -- --listen "$TB_VIP4:$TB_PORT" "$@"
		[ "$_tb_family" = 4 ] || set -- --listen "[$TB_VIP6]:$TB_PORT" "$@"
		set -f # [fd00::1]:4434 is not a pattern
		for _tb_e in ${TB_REPORT_TO:-$TB_REPORT4}; do set -- --agent "$_tb_e" "$@"; done
		set +f
		_tb_log "backend $_tb_b: qs-h3server $*"
		ip netns exec "$(tb_ns "$_tb_b")" "$TB_H3SERVER" -q -d "$TB_WWW" --max-dyn-length 67108864 \
			--tls-key "$TB_TLS_KEY" --tls-cert "$TB_TLS_CERT" --backend-id "$_tb_b" \
			--report-key "$TB_DIR/keys/b$_tb_b.key" \
			--cid-len "$TB_CID_LEN" --status-file "$_tb_d/status.json" "$@" \
			>>"$_tb_d/server.log" 2>&1 &
		echo $! >>"$_tb_d/pids"
		_tb_vips=$(echo $_tb_vips) # one socket per listen address
		;;
	*) _tb_err "tb_server_start: unknown kind '$_tb_kind' (gtls or h3)" || return 1 ;;
	esac
	wait_until 30 "backend $_tb_b's $_tb_kind server listens" _tb_bound "$_tb_b" "$(echo $_tb_vips | wc -w)" ||
		_tb_err "$waited; its log: $(tail -n 3 "$_tb_d/server.log" | tr '\n' ' ')"
}

tb_server_start_all()
{
	_tb_j=1
	while [ "$_tb_j" -le "$TB_N" ]; do
		tb_server_start "$_tb_j" "$@" || return 1
		_tb_j=$((_tb_j + 1))
	done
}

tb_server_stop()
{
	_tb_d=$TB_DIR/b$1
	[ -s "$_tb_d/pids" ] || return 0
	for _tb_p in $(cat "$_tb_d/pids"); do kill -"${2:-TERM}" "$_tb_p" 2>/dev/null; done
	for _tb_p in $(cat "$_tb_d/pids"); do
		wait_exit 30 "$_tb_p" "backend $1's server (pid $_tb_p, after SIG${2:-TERM})"
	done
	: >"$_tb_d/pids"
	rm -f "$_tb_d/kind"
}

tb_server_kind() { cat "$TB_DIR/b$1/kind" 2>/dev/null; }

tb_server_restart()
{
	_tb_k=$(tb_server_kind "$1")
	[ -n "$_tb_k" ] || _tb_err "tb_server_restart: backend $1 runs no server" || return 1
	_tb_a=$(cat "$TB_DIR/b$1/args")
	tb_server_stop "$1" && tb_server_start "$1" "$_tb_k" $_tb_a
}

tb_status()
{
	[ -s "$TB_DIR/b$1/status.json" ] || _tb_err "backend $1: no status file" || return 1
	if [ -n "${2:-}" ]; then
		jq -e ".$2" "$TB_DIR/b$1/status.json"
	else
		cat "$TB_DIR/b$1/status.json"
	fi
}

tb_connections()
{
	if [ -e "$TB_DIR/b$1/status.json" ]; then
		tb_status "$1" connections
	else
		find "$TB_DIR/b$1/qlog" -type f | wc -l
	fi
}

tb_status_all()
{
	_tb_j=1
	_tb_out=
	while [ "$_tb_j" -le "$TB_N" ]; do
		_tb_out="$_tb_out${_tb_out:+ }$(tb_status "$_tb_j" "$1" 2>/dev/null || echo 0)"
		_tb_j=$((_tb_j + 1))
	done
	echo "$_tb_out"
}

tb_connections_all()
{
	_tb_j=1
	_tb_out=
	while [ "$_tb_j" -le "$TB_N" ]; do
		_tb_out="$_tb_out $(tb_connections "$_tb_j")" || return 1
		_tb_j=$((_tb_j + 1))
	done
	echo $_tb_out
}

tb_handshakes_since()
{
	_tb_hs=$(tb_status_all handshakes)
	echo "handshakes: $_tb_hs"
	[ "$_tb_hs" != "$1" ]
}

tb_moved()
{
	echo "$1" "$2" | awk '{ n = NF / 2; s = ""
		for (i = 1; i <= n; i++) if ($i != $(i + n)) s = s (s == "" ? "" : " ") i
		print s }'
}

tb_decap_stats()
{
	tb_decap_cli "$1" -j decap show 2>/dev/null | jq -re '.reasons |
		"\(.decap_ipip.packets) \(.decap_ip6ip6.packets) \(.decap_ip4ip6.packets) " +
		"\([to_entries[] | select(.key | startswith("drop_")) | .value.packets] | add)"' ||
		_tb_err "backend $1: cannot read the decap program's counters"
}

tb_shape()
{
	if [ "$1" = off ]; then
		tc -n "$(tb_ns "$_tb_shape_host")" qdisc del dev "$_tb_shape_dev" root 2>/dev/null
		return 0
	fi
	_tb_run tc -n "$(tb_ns "$_tb_shape_host")" qdisc replace dev "$_tb_shape_dev" root tbf rate "$1" \
		burst 64kb latency 500ms
}

tb_make_file() { head -c "$2" /dev/urandom >"$TB_WWW/$1"; }

tb_client_src()
{
	case $1$2 in
	4a) ip -n "$(tb_ns client)" route replace "$_tb_vipnet4" via "$TB_LB4" src "$TB_CL4A" ;;
	4b) ip -n "$(tb_ns client)" route replace "$_tb_vipnet4" via "$TB_LB4" src "$TB_CL4B" ;;
	6a) ip -n "$(tb_ns client)" -6 route replace "$_tb_vipnet6" via "$TB_LB6" src "$TB_CL6A" ;;
	6b) ip -n "$(tb_ns client)" -6 route replace "$_tb_vipnet6" via "$TB_LB6" src "$TB_CL6B" ;;
	*) _tb_err "tb_client_src: '$1 $2' is not 4|6 a|b" ;;
	esac
}

# _tb_fetch NAME 4|6 OPTIONS... -- PATH...: the client, in the foreground.
_tb_fetch()
{
	_tb_f=$TB_DIR/fetch/$1
	case $2 in
	4) _tb_host=$TB_VIP4 _tb_url=$TB_VIP4 ;;
	6) _tb_host=$TB_VIP6 _tb_url="[$TB_VIP6]" ;;
	*:*) _tb_host=$2 _tb_url="[$2]" ;;
	*.*) _tb_host=$2 _tb_url=$2 ;;
	*) _tb_err "tb_fetch $1: '$2' is not 4, 6 or a VIP's address" || return 1 ;;
	esac
	shift 2
	_tb_opts=
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		_tb_opts="$_tb_opts $1"
		shift
	done
	[ "${1:-}" = -- ] && [ $# -ge 2 ] || _tb_err "tb_fetch: no -- PATH..." || return 1
	shift
	_tb_uris=
	for _tb_p; do _tb_uris="$_tb_uris https://$_tb_url:$TB_PORT/$_tb_p"; done
	rm -rf "$_tb_f" && mkdir -p "$_tb_f" || return 1
	_tb_log "fetch ${_tb_f##*/}:$_tb_opts$_tb_uris"
	# shellcheck disable=SC2086 # options and URIs hold no spaces
	ip netns exec "$(tb_ns client)" timeout -s KILL 300 gtlsclient -q --exit-on-all-streams-close \
		--timeout=15s --download="$_tb_f" --qlog-file="$_tb_f.qlog" $_tb_opts \
		"$_tb_host" "$TB_PORT" $_tb_uris >"$_tb_f.log" 2>&1
}

tb_fetch() { _tb_fetch "$@"; }

tb_fetch_bg()
{
	mkdir -p "$TB_DIR/fetch" && _tb_fetch "$@" &
	echo $! >"$TB_DIR/fetch/$1.pid"
}

tb_fetch_wait()
{
	for _tb_n; do
		[ -s "$TB_DIR/fetch/$_tb_n.pid" ] || _tb_err "tb_fetch_wait: no fetch '$_tb_n'" || return 1
		wait "$(cat "$TB_DIR/fetch/$_tb_n.pid")"
	done
	return 0
}

tb_verify()
{
	_tb_n=$1
	shift
	for _tb_p; do
		_tb_got=$TB_DIR/fetch/$_tb_n/${_tb_p##*/}
		[ -e "$_tb_got" ] ||
			_tb_err "fetch $_tb_n: $_tb_p not downloaded ($(tail -n 2 "$TB_DIR/fetch/$_tb_n.log" | tr '\n' ' '))" ||
			return 1
		cmp "$TB_WWW/$_tb_p" "$_tb_got" >&2 || return 1
	done
}

tb_skipped=0

tb_skip()
{
	echo "# skip: $*"
	tb_skipped=$((tb_skipped + 1))
}

tb_test_up()
{
	tb_up "$@" && return 0
	not_ok "set-up: the testbed" "see above"
	echo "$passed passed, $failed failed"
	exit 1
}

tb_server_stop_all()
{
	_tb_j=1
	while [ "$_tb_j" -le "$TB_N" ]; do
		tb_server_stop "$_tb_j" "$@"
		_tb_j=$((_tb_j + 1))
	done
}

tb_test_kinds()
{
	# shellcheck disable=SC2086 # the arguments are word lists
	if tb_server_start_all gtls $2; then
		"$1" gtls
	else
		not_ok "set-up: gtlsserver $2 on every backend" "see above"
	fi
	tb_server_stop_all
	if ! tb_have_h3server; then
		tb_skip "the reference-backend half: $TB_H3SERVER not built"
	elif tb_server_start_all h3 $3; then
		"$1" h3
	else
		not_ok "set-up: qs-h3server $3 on every backend" "see above"
	fi
}

tb_check_download()
{
	_tb_name=$1
	shift
	if tb_verify "$@"; then
		ok "$_tb_name: download intact"
	else
		not_ok "$_tb_name: download intact" "see above"
	fi
}

tb_test_end()
{
	[ "$failed" -eq 0 ] || sed 's/^/# agent: /' "$TB_DIR/agent.log" | tail -n 20
	[ "$tb_skipped" -eq 0 ] || echo "# $tb_skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
