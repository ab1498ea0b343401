# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# cluster.sh: several balancers behind an ECMP router, the VIPs announced
# over BGP by BIRD 2 (docs/deployment.md), on the namespace testbed
# (testbed.sh: its backends, servers, fetches and checks are reused as
# they are). Source lib.sh, testbed.sh, then this file:
#
#   tc_up build --balancers 3 || exit 1
#   tc_on 2; tb_stat_reason route_cid     # tb_* functions on balancer 2
#
# Hosts (one namespace each; the segment is testbed.sh's bridge):
#
#   host     name      addresses
#   client   client    198.18.1.2/24 198.18.1.3/24 fd00:1::2/64 fd00:1::3/64
#                      on eth0, a link of its own to the edge
#   edge     edge      198.18.1.1 fd00:1::1 on eth1 (the client's link),
#                      198.18.0.1 fd00::1 on eth0 (the segment); forwards,
#                      learns each VIP from every balancer over eBGP
#                      (BIRD, AS 65000) and installs one multipath route
#                      (merge paths), hashed on the 5-tuple
#                      (fib_multipath_hash_policy 1)
#   lbK      lb1..lbN  198.18.0.(5+K) fd00::(5+K) on eth0; quicsteerd and
#                      the router on eth0, BIRD (AS 65001) announcing the
#                      VIPs' host routes to the edge, BFD on the sessions
#   backend  1..M      as in testbed.sh; replies to 198.18.1.0/24 and
#                      fd00:1::/64 go via the edge (direct server return)
#
# VIPs, a pair for each kind of backend (6 backends by default, 2 a kind):
#   web4 web6  TB_VIP4 TB_VIP6: backends 1..TC_WEB, qs-h3server reporting
#              every ID to every balancer (key files)
#   qlb4 qlb6  TC_QVIP4 198.18.100.2, TC_QVIP6 fd00:100::2: the next
#              TC_QLB backends, qs-h3server issuing QUIC-LB plaintext IDs
#              (config TC_QLB_CONFIG, server ID tc_server_id I), reporting
#              nothing
#   raw4 raw6  TC_RVIP4 198.18.100.3, TC_RVIP6 fd00:100::3: the rest,
#              report-less servers with random IDs (stock gtlsserver,
#              TB_GTLS_VIPS), no key file: never heard, never marked down
# Apart, because a random ID's first bits can name a QUIC-LB configuration
# (a VIP routes by QUIC-LB or takes random IDs, not both), and because a
# VIP's unknown-ID policy is the report-less backends' business.
#
# Every balancer gets the same configuration but for its report listeners
# (its own segment addresses): the same VIPs, backends, keys and weights,
# so the same Maglev rows. Every reporting backend reports to every
# balancer's agent (TB_REPORT_TO lists them all). The encapsulation
# sources (TB_ENCAP4, TB_ENCAP6) are shared: the backends' decap programs
# allow them.
#
# Each balancer's files are in $TB_DIR/lbK/ (quicsteer.conf, control.sock,
# agent.log, bird.conf, bird.ctl, bird.log, watch.log), its pins under
# $TB_DIR/bpf/lbK/quicsteer. The edge's BIRD files are in $TB_DIR/edge/.
#
# A balancer attracts traffic only while `quicsteer health --watch`, in
# its namespace, finds it healthy: the watcher enables BIRD's "vips4" and
# "vips6" static protocols (the announcements) when the agent answers, is
# ready and synced, and the router is attached, and disables them when
# not. BIRD starts with them disabled. BFD withdraws a balancer that dies
# altogether (tc_cut) within 3 x 100 ms.
#
# Functions:
#   tc_up BUILD [--balancers N] [--web M] [--qlb M] [tb_up options]
#                         the hosts, every balancer's agent, BIRD on the
#                         edge and every balancer, and the watchers; waits
#                         until the edge routes every VIP over all N
#   tc_on K               later tb_* calls (tb_cli, tb_stat_*, tb_agent_*,
#                         tb_metrics, ...) act on balancer K
#   tc_birdc HOST ARGS... birdc against HOST's BIRD (edge or lbK)
#   tc_cli_all ARGS...    the same quicsteer command on every balancer, as
#                         an operator applies a change everywhere (quiet;
#                         fails at the first balancer that refuses it)
#   tc_vias               the edge's BIRD routes now, "DST GW,GW,...," a line
#   tc_absent K, tc_present K   no route of the edge goes via balancer K;
#                         every VIP's route goes via it (among others)
#   tc_balancer_of FAMILY SRC SPORT VIP   the balancer the edge sends that
#                         client flow to now (ip route get with the ports)
#   tc_watch_start K, tc_watch_stop K     the health watcher
#   tc_bird_start HOST, tc_bird_stop HOST
#   tc_cut K, tc_mend K   takes balancer K's link down / up (a balancer
#                         lost without a word: BFD notices)
#   tc_balancer_stop K    the balancer shut down cleanly: watcher
#                         (withdraws), agent, BIRD; tc_balancer_start K
#                         starts them again (pins kept)
#   tc_client_ports LOW HIGH   the client's ephemeral UDP ports (gtlsclient
#                         binds one of them): a scenario picks ports whose
#                         flows the edge sends where it wants
#   tc_server_id I        backend I's QUIC-LB server ID (4 hex digits)
#   tc_kind I             web, qlb or raw: the VIPs backend I serves
#   TC_VIPS               every VIP address (set by tc_up)
#   tc_test_end           tb_test_end with, when a check failed, the end of
#                         every balancer's agent and watcher logs

TC_QVIP4=198.18.100.2
TC_QVIP6=fd00:100::2
TC_RVIP4=198.18.100.3
TC_RVIP6=fd00:100::3
TC_EDGE4=198.18.0.1
TC_EDGE6=fd00::1
TC_QLB_CONFIG=1
TC_QLB_SID_LEN=2
TC_QLB_NONCE_LEN=6
TC_QLB_CID_LEN=$((1 + TC_QLB_SID_LEN + TC_QLB_NONCE_LEN))
TC_BFD_MS=100
TC_BFD_MULT=3

tc_lb4() { echo "198.18.0.$((5 + $1))"; }
tc_lb6() { echo "fd00::$((5 + $1))"; }
tc_server_id() { printf '51%02x' "$1"; }

tc_on()
{
	[ -z "$_tb_at" ] || [ ! -d "$_tb_at" ] || echo "$TB_AGENT_PID" >"$_tb_at/agent.pid"
	TC_LB=$1
	_tb_at=$TB_DIR/lb$1
	_tb_pindir=$TB_DIR/bpf/lb$1/quicsteer
	_tb_xdpfs=$TB_DIR/bpf/lb$1
	_tb_rt=lb$1
	TB_AGENT_PID=$(cat "$_tb_at/agent.pid" 2>/dev/null)
}

# The client's own link to the edge: a veth pair outside the bridge.
_tc_client()
{
	_tb_run ip netns add "$(tb_ns client)" &&
		_tb_run ip -n "$(tb_ns edge)" link add eth1 mtu 1600 type veth peer name eth0 \
			netns "$(tb_ns client)" &&
		_tb_run ip -n "$(tb_ns client)" link set lo up &&
		_tb_run ip -n "$(tb_ns client)" link set eth0 mtu 1600 up &&
		_tb_run ip -n "$(tb_ns edge)" link set eth1 up &&
		_tb_run tb_exec client ethtool -K eth0 tx off &&
		_tb_run ip -n "$(tb_ns edge)" addr add 198.18.1.1/24 dev eth1 &&
		_tb_run ip -n "$(tb_ns edge)" addr add fd00:1::1/64 dev eth1 nodad &&
		_tb_addrs client "$TB_CL4A/24" "$TB_CL4B/24" "$TB_CL6A/64" "$TB_CL6B/64" &&
		tb_client_src 4 a && tb_client_src 6 a
}

# The edge: a router between the client's link and the segment, ECMP on
# the 5-tuple, no reverse-path filter (replies come from the backends).
_tc_edge()
{
	_tb_host edge edge && _tb_addrs edge "$TC_EDGE4/24" "$TC_EDGE6/64" &&
		_tb_run tb_exec edge sysctl -qw net.ipv4.conf.default.rp_filter=0 \
			net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.fib_multipath_hash_policy=1 net.ipv6.fib_multipath_hash_policy=1
}

# The client's packets reach the edge without the hash their socket gave
# them (tests/netns/bpf/nohash.bpf.c says why), as from another machine.
_tc_edge_nohash()
{
	_tb_run tc -n "$(tb_ns edge)" qdisc add dev eth1 clsact &&
		_tb_run tc -n "$(tb_ns edge)" filter add dev eth1 ingress bpf direct-action \
			obj "$TB_BUILD/tests/netns/nohash.bpf.o" sec tc
}

_tc_balancer()
{
	mkdir -p "$TB_DIR/lb$1" "$TB_DIR/bpf/lb$1" || return 1
	_tb_host "lb$1" "lb$1" && _tb_addrs "lb$1" "$(tc_lb4 "$1")/24" "$(tc_lb6 "$1")/64" &&
		_tb_xdp_tx_port "lb$1"
}

_tc_topology()
{
	_tb_bridge && _tc_edge && _tc_client && _tc_edge_nohash || return 1
	_tc_k=1
	while [ "$_tc_k" -le "$TC_N" ]; do
		_tc_balancer "$_tc_k" || return 1
		_tc_k=$((_tc_k + 1))
	done
	_tb_backends || return 1
	_tc_i=1
	while [ "$_tc_i" -le "$TB_N" ]; do
		_tb_run ip -n "$(tb_ns "$_tc_i")" route add 198.18.1.0/24 via "$TC_EDGE4" &&
			_tb_run ip -n "$(tb_ns "$_tc_i")" -6 route add fd00:1::/64 via "$TC_EDGE6" || return 1
		_tc_i=$((_tc_i + 1))
	done
}

# tc_kind I: web, qlb or raw, what backend I serves.
tc_kind()
{
	if [ "$1" -le "$TC_WEB" ]; then
		echo web
	elif [ "$1" -le $((TC_WEB + TC_QLB)) ]; then
		echo qlb
	else
		echo raw
	fi
}

# Backend $1's line in every balancer's configuration.
_tc_backend_line()
{
	_tc_b="backend b$1 fd00::$((10 + $1)) id $1"
	case $(tc_kind "$1") in
	web) echo "$_tc_b vip web4 vip web6 key-file $TB_DIR/keys/b$1.key" ;;
	qlb)
		echo "$_tc_b vip qlb4 vip qlb6 server-id qlb4 $TC_QLB_CONFIG $(tc_server_id "$1")" \
			"server-id qlb6 $TC_QLB_CONFIG $(tc_server_id "$1") key-file $TB_DIR/keys/b$1.key"
		;;
	raw) echo "$_tc_b vip raw4 vip raw6" ;;
	esac
}

_tc_write_config()
{
	{
		_tb_config_head "$(tc_lb4 "$1")" "$(tc_lb6 "$1")"
		echo "vip web4 $TB_VIP4 $TB_PORT id 0 cid-len $TB_CID_LEN unknown $_tb_unknown"
		echo "vip web6 $TB_VIP6 $TB_PORT id 1 cid-len $TB_CID_LEN unknown $_tb_unknown"
		echo "vip qlb4 $TC_QVIP4 $TB_PORT id 2 cid-len $TC_QLB_CID_LEN unknown $_tb_unknown"
		echo "vip qlb6 $TC_QVIP6 $TB_PORT id 3 cid-len $TC_QLB_CID_LEN unknown $_tb_unknown"
		echo "vip raw4 $TC_RVIP4 $TB_PORT id 4 cid-len $TB_CID_LEN unknown $_tb_unknown"
		echo "vip raw6 $TC_RVIP6 $TB_PORT id 5 cid-len $TB_CID_LEN unknown $_tb_unknown"
		for _tc_v in qlb4 qlb6; do
			echo "quic-lb $_tc_v config $TC_QLB_CONFIG mode plaintext" \
				"server-id-len $TC_QLB_SID_LEN nonce-len $TC_QLB_NONCE_LEN"
		done
		_tc_i=1
		while [ "$_tc_i" -le "$TB_N" ]; do
			_tc_backend_line "$_tc_i"
			_tc_i=$((_tc_i + 1))
		done
		[ -z "$_tb_extra" ] || printf '%s\n' "$_tb_extra"
	} >"$_tb_at/quicsteer.conf"
}

tc_birdc() { _tc_h=$1 && shift && tb_exec "$_tc_h" birdc -s "$TB_DIR/$_tc_h/bird.ctl" "$@"; }

tc_cli_all()
{
	for _tc_k in $(_tc_all_lbs); do
		tc_on "$_tc_k" && tb_cli "$@" >/dev/null || return 1
	done
}

_tc_bird_common()
{
	echo "# written by tests/netns/cluster.sh"
	echo "log \"$TB_DIR/$1/bird.log\" all;"
	echo "router id $2;"
	echo "protocol device { scan time 10; }"
	echo "protocol bfd { interface \"eth0\" { interval $TC_BFD_MS ms; multiplier $TC_BFD_MULT; }; }"
	# Quick to (re)connect, as a test wants; BFD, not the hold time,
	# notices a balancer that vanishes.
	echo "template bgp peer { bfd on; connect retry time 1; error wait time 1, 4; hold time 9;" \
		"keepalive time 3; }"
}

# The edge takes every balancer's VIP routes and installs, per VIP, one
# route with a next hop per balancer.
_tc_edge_bird()
{
	mkdir -p "$TB_DIR/edge" || return 1
	{
		_tc_bird_common edge "$TC_EDGE4"
		for _tc_f in 4 6; do
			echo "protocol kernel kernel$_tc_f { ipv$_tc_f { import none; export where source = RTS_BGP; };" \
				"merge paths on; }"
		done
		_tc_k=1
		while [ "$_tc_k" -le "$TC_N" ]; do
			echo "protocol bgp lb${_tc_k}v4 from peer { local as 65000; neighbor $(tc_lb4 "$_tc_k") as 65001;" \
				"ipv4 { import all; export none; }; }"
			echo "protocol bgp lb${_tc_k}v6 from peer { local as 65000; neighbor $(tc_lb6 "$_tc_k") as 65001;" \
				"ipv6 { import all; export none; }; }"
			_tc_k=$((_tc_k + 1))
		done
	} >"$TB_DIR/edge/bird.conf"
}

# A balancer announces a host route per VIP (a blackhole here: its XDP
# program takes the packets before any route is looked up) from two static
# protocols that start disabled: the health watcher enables them.
_tc_balancer_bird()
{
	{
		_tc_bird_common "lb$1" "$(tc_lb4 "$1")"
		echo "protocol static vips4 { disabled; ipv4; route $TB_VIP4/32 blackhole;" \
			"route $TC_QVIP4/32 blackhole; route $TC_RVIP4/32 blackhole; }"
		echo "protocol static vips6 { disabled; ipv6; route $TB_VIP6/128 blackhole;" \
			"route $TC_QVIP6/128 blackhole; route $TC_RVIP6/128 blackhole; }"
		echo "protocol bgp edge4 from peer { local as 65001; neighbor $TC_EDGE4 as 65000;" \
			"ipv4 { import none; export where proto = \"vips4\"; }; }"
		echo "protocol bgp edge6 from peer { local as 65001; neighbor $TC_EDGE6 as 65000;" \
			"ipv6 { import none; export where proto = \"vips6\"; }; }"
	} >"$TB_DIR/lb$1/bird.conf"
}

_tc_bird_answers() { tc_birdc "$1" show status; }

tc_bird_start()
{
	_tc_d=$TB_DIR/$1
	_tb_run tb_exec "$1" bird -c "$_tc_d/bird.conf" -s "$_tc_d/bird.ctl" -P "$_tc_d/bird.pid" ||
		return 1
	wait_until 30 "BIRD in $1 answers" _tc_bird_answers "$1" || _tb_err "$waited"
}

tc_bird_stop()
{
	_tc_p=$(cat "$TB_DIR/$1/bird.pid" 2>/dev/null)
	[ -n "$_tc_p" ] || return 0
	kill -TERM "$_tc_p" 2>/dev/null
	wait_until 30 "BIRD in $1 (pid $_tc_p) gone" _tc_gone "$_tc_p" || return 1
	rm -f "$TB_DIR/$1/bird.pid"
}

_tc_gone() { ! kill -0 "$1" 2>/dev/null; }

# What the watcher runs on a transition: both static protocols at once.
_tc_announce_cmd() { echo "birdc -s $TB_DIR/lb$1/bird.ctl $2 vips4 && birdc -s $TB_DIR/lb$1/bird.ctl $2 vips6"; }

tc_watch_start()
{
	_tc_d=$TB_DIR/lb$1
	ip netns exec "$(tb_ns "lb$1")" "$TB_BUILD/quicsteer" --socket "$_tc_d/control.sock" \
		--pin-dir "$TB_DIR/bpf/lb$1/quicsteer" health --watch --interval "$TC_WATCH_INTERVAL" \
		--up "$(_tc_announce_cmd "$1" enable)" --down "$(_tc_announce_cmd "$1" disable)" \
		>>"$_tc_d/watch.log" 2>&1 &
	echo $! >"$_tc_d/watch.pid"
}

tc_watch_stop()
{
	_tc_p=$(cat "$TB_DIR/lb$1/watch.pid" 2>/dev/null)
	[ -n "$_tc_p" ] || return 0
	kill -TERM "$_tc_p" 2>/dev/null
	wait_exit 30 "$_tc_p" "balancer $1's health watcher"
	rm -f "$TB_DIR/lb$1/watch.pid"
}

# From two ip calls, cheap enough to poll every 10 ms (withdrawal times).
tc_vias()
{
	{
		ip -n "$(tb_ns edge)" -4 -j route show proto bird
		ip -n "$(tb_ns edge)" -6 -j route show proto bird
	} 2>/dev/null | jq -r -s 'add | .[] | "\(.dst) " + ([(.gateway // empty), (.nexthops[]?.gateway)] | join(",")) + ","'
}

# _tc_via K: the lines of tc_vias that name balancer K.
_tc_via() { tc_vias | grep -E " (.*,)?($(tc_lb4 "$1")|$(tc_lb6 "$1")),"; }

tc_absent() { ! _tc_via "$1" >/dev/null; }

tc_present()
{
	_tc_n=$(_tc_via "$1" | wc -l)
	echo "balancer $1 carries $_tc_n of the $(echo "$TC_VIPS" | wc -w) VIPs"
	[ "$_tc_n" = "$(echo "$TC_VIPS" | wc -w)" ]
}

tc_balancer_of()
{
	_tc_gw=$(ip -n "$(tb_ns edge)" -"$1" -j route get "$4" from "$2" iif eth1 ipproto udp sport "$3" \
		dport "$TB_PORT" 2>/dev/null | jq -r '.[0].gateway // empty')
	_tc_k=1
	while [ "$_tc_k" -le "$TC_N" ]; do
		if [ "$_tc_gw" = "$(tc_lb4 "$_tc_k")" ] || [ "$_tc_gw" = "$(tc_lb6 "$_tc_k")" ]; then
			echo "$_tc_k"
			return 0
		fi
		_tc_k=$((_tc_k + 1))
	done
	_tb_err "the edge has no balancer for $2 port $3 to $4 (gateway '$_tc_gw')"
}

tc_client_ports() { _tb_run tb_exec client sysctl -qw net.ipv4.ip_local_port_range="$1 $2"; }

tc_cut() { _tb_run ip -n "$(tb_ns sw)" link set "lb$1" down; }
tc_mend() { _tb_run ip -n "$(tb_ns sw)" link set "lb$1" up; }

_tc_all_lbs()
{
	_tc_k=1
	_tc_all=
	while [ "$_tc_k" -le "$TC_N" ]; do
		_tc_all="$_tc_all${_tc_all:+ }$_tc_k"
		_tc_k=$((_tc_k + 1))
	done
	echo "$_tc_all"
}

tc_balancer_start()
{
	tc_on "$1" && _tb_agent_up && tc_bird_start "lb$1" && tc_watch_start "$1"
}

tc_balancer_stop()
{
	tc_on "$1"
	tc_watch_stop "$1" && tb_agent_stop && tc_bird_stop "lb$1"
}

tc_up()
{
	_tc_build=$1
	shift
	TC_N=3
	TC_WEB=2
	TC_QLB=2
	TC_WATCH_INTERVAL=100ms
	while [ $# -gt 0 ]; do
		case $1 in
		--balancers) TC_N=$2 ;;
		--web) TC_WEB=$2 ;;
		--qlb) TC_QLB=$2 ;;
		*) break ;;
		esac
		shift 2
	done
	[ "$TC_N" -ge 1 ] && [ "$TC_N" -le 4 ] || _tb_err "tc_up: $TC_N balancers (1..4)" || return 1
	command -v bird >/dev/null && command -v birdc >/dev/null ||
		_tb_err "tc_up: BIRD 2 not installed (Debian's bird2)" || return 1
	_tb_prepare "$_tc_build" --backends $((TC_WEB + TC_QLB + 2)) "$@" || return 1
	TC_VIPS="$TB_VIP4 $TB_VIP6 $TC_QVIP4 $TC_QVIP6 $TC_RVIP4 $TC_RVIP6"
	TB_VIPS=$TC_VIPS
	TB_GTLS_VIPS="$TC_RVIP4 $TC_RVIP6"
	TB_LB4=198.18.1.1
	TB_LB6=fd00:1::1
	TB_CL4A=198.18.1.2
	TB_CL4B=198.18.1.3
	TB_CL6A=fd00:1::2
	TB_CL6B=fd00:1::3
	_tb_vipnet4=198.18.100.0/24
	_tb_vipnet6=fd00:100::/64
	_tb_shape_host=edge
	_tb_shape_dev=eth1
	TB_REPORT_TO=
	for _tc_k in $(_tc_all_lbs); do
		TB_REPORT_TO="$TB_REPORT_TO${TB_REPORT_TO:+ }$(tc_lb4 "$_tc_k"):4434"
	done
	_tc_topology && _tc_edge_bird && tc_bird_start edge || return 1
	for _tc_k in $(_tc_all_lbs); do
		_tc_d=$TB_DIR/lb$_tc_k
		tc_on "$_tc_k"
		_tc_write_config "$_tc_k" && _tc_balancer_bird "$_tc_k" && tc_balancer_start "$_tc_k" || return 1
	done
}

tc_test_end()
{
	if [ "$failed" -ne 0 ]; then
		for _tc_k in $(_tc_all_lbs); do
			tail -n 8 "$TB_DIR/lb$_tc_k/agent.log" | sed "s/^/# lb$_tc_k agent: /"
			tail -n 8 "$TB_DIR/lb$_tc_k/watch.log" | sed "s/^/# lb$_tc_k watch: /"
		done
		tail -n 20 "$TB_DIR/edge/bird.log" | sed "s/^/# edge bird: /"
	fi
	[ "$tb_skipped" -eq 0 ] || echo "# $tb_skipped skipped"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}
