#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# quicsteer decap, on a backend: decap.bpf.o loaded the way operators load
# it (ip, then xdp-loader), its allow-lists filled, shown, pruned and
# flushed through the pins alone (no agent), and the program obeying them:
# a frame run through the attached program (bpftool prog run) is dropped as
# loaded (fail closed), decapsulated once its source and VIP are allowed,
# dropped again for a spoofed source, a relay destination or a removed
# entry. Guards against a CLI that writes keys the program does not match
# (prefix lengths, family word, port order), lists that do not survive the
# program's reload, a default pin directory that is not where ip pins, and
# every usage error's message and exit code.
#
# Usage: tests/netns/test-decap-cli.sh [BUILD_DIR]. Needs root; never skips.

BUILD=$(cd "${1:-build}" 2>/dev/null && pwd)
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
CLI=$BUILD/quicsteer
OBJ=$BUILD/bpf/decap.bpf.o
. "$(dirname "$0")/lib.sh"

GLOBALS=/sys/fs/bpf/xdp/globals

# The CLI with no --pin-dir: decap's maps are where ip pins them.
qd() { "$CLI" "$@"; }

# run_qd NAME WANT_RC WANT_STDERR -- ARGS: exit code and a substring of stderr.
run_qd()
{
	name=$1 want=$2 msg=$3
	shift 4
	qd "$@" >"$DIR/out" 2>"$DIR/err"
	check "$name: exit $want" "$?" "$want"
	[ -z "$msg" ] || has "$name: message" "$(cat "$DIR/err")" "$msg"
}

# bytes HEX: the bytes, on stdout (no xxd needed); spaces are for the reader.
bytes()
{
	_h=$(echo "$1" | tr -d ' ')
	while [ -n "$_h" ]; do
		_b=${_h%"${_h#??}"}
		_h=${_h#??}
		# shellcheck disable=SC2059 # the format is the byte
		printf "\\$(printf %03o $((0x$_b)))"
	done
}

# The router's IPIP frame: outer 198.18.200.7 (its encap-source4 prefix)
# to the backend 198.18.0.11, inner UDP 198.18.5.1:40000 to the VIP
# 198.18.100.1:443, four bytes of payload. Checksums are not decap's.
# IPv4: version and IHL, TOS, length, id, DF, TTL, protocol, checksum,
# source, destination; UDP: ports, length, checksum; the payload.
ETH="020000000001 020000000002 0800"
INNER="45 00 0020 0000 4000 40 11 0000 c6120501 c6126401  9c40 01bb 000c 0000  01020304"
OUTER_OK="45 00 0034 0000 4000 40 04 0000 c612c807 c612000b"
OUTER_SPOOF="45 00 0034 0000 4000 40 04 0000 c612c907 c612000b" # from 198.18.201.7
RELAY="45 00 0020 0000 4000 40 11 0000 c6120501 c6120707  9c40 01bb 000c 0000  01020304" # to 198.18.7.7

# run_frame NAME OUTER INNER: runs the frame through the attached program.
run_frame()
{
	bytes "$ETH $2 $3" >"$DIR/in"
	prog=$(ip -j link show dev qsdc0 | jq -r '.[0].xdp.prog.id')
	bpftool prog run id "$prog" data_in "$DIR/in" data_out "$DIR/frame-out" >"$DIR/run" 2>&1 ||
		not_ok "$1: bpftool prog run" "$(cat "$DIR/run")"
}

# reason NAME: packets decap counted under NAME, from decap show -j.
reason() { qd -j decap show | jq -r ".reasons.$1.packets"; }

test_as_loaded()
{
	if ip link set dev qsdc0 xdp obj "$OBJ" sec xdp 2>"$DIR/err"; then
		ok "ip attaches decap.bpf.o"
	else
		not_ok "ip attaches decap.bpf.o" "$(cat "$DIR/err")"
		return 1
	fi
	run_qd "decap show, as loaded" 0 "" -- -j decap show
	check "as loaded: no source, no VIP, pins where ip put them" \
		"$(jq -c '[.sources, .vips, .pin_dir]' "$DIR/out")" "[[],[],\"$GLOBALS\"]"
	check "every reason named" "$(jq -c '.reasons | keys' "$DIR/out")" \
		'["decap_ip4ip6","decap_ip6ip6","decap_ipip","drop_length","drop_malformed","drop_not_vip","drop_source","pass_other"]'
	has "decap show text: the empty lists say what they do" "$(qd decap show)" \
		"source none: every encapsulated packet is dropped"
	run_frame "as loaded" "$OUTER_OK" "$INNER"
	check "as loaded, the router's frame is dropped (fail closed)" \
		"$(reason drop_source) $(reason decap_ipip)" "1 0"
}

test_allow()
{
	qd decap allow source 198.18.200.0/24 && qd decap allow source fd00:200::/112 &&
		qd decap allow vip fd00:100::1 443 && qd dec a vip 198.18.100.1 443 &&
		qd decap allow vip 198.18.100.1 0
	check "decap allow (and dec a): exit 0" "$?" 0
	qd decap allow source 198.18.200.0/24
	check "allowing again: exit 0" "$?" 0
	out=$(qd -j decap show)
	check "decap show -j: the sources, in order, once" "$(echo "$out" | jq -c .sources)" \
		'["198.18.200.0/24","fd00:200::/112"]'
	check "decap show -j: the VIPs, in order" \
		"$(echo "$out" | jq -c '[.vips[] | "\(.address) \(.port)"]')" \
		'["198.18.100.1 0","198.18.100.1 443","fd00:100::1 443"]'
	check "decap show: a line each, in the words of allow" \
		"$(qd decap show | grep -v '^reason' | tr '\n' ';')" \
		"source 198.18.200.0/24;source fd00:200::/112;vip 198.18.100.1 0;vip 198.18.100.1 443;vip fd00:100::1 443;"
	check "bpftool: the IPv4 /24 is prefixlen 56 (the family word and 24 bits)" \
		"$(bpftool -j map dump pinned "$GLOBALS/qs_decap_srcs" |
			jq -c '[.[].formatted.key | select(.family == 4) | .prefixlen]')" "[56]"

	run_frame "allowed" "$OUTER_OK" "$INNER"
	check "the router's frame is decapsulated" "$(reason decap_ipip)" 1
	bytes "$ETH $INNER" >"$DIR/want"
	if cmp -s "$DIR/frame-out" "$DIR/want"; then
		ok "the output is the inner packet under the frame's MAC addresses"
	else
		not_ok "the output is the inner packet" "$(od -An -tx1 "$DIR/frame-out" | tr -d '\n')"
	fi
	run_frame "spoofed" "$OUTER_SPOOF" "$INNER"
	check "a spoofed outer source is dropped" "$(reason drop_source) $(reason decap_ipip)" "2 1"
	run_frame "relay" "$OUTER_OK" "$RELAY"
	check "an inner destination that is no VIP is dropped" \
		"$(reason drop_not_vip) $(reason decap_ipip)" "1 1"
}

# The pins outlive the program: ip's next load reuses them, lists and counters.
test_reload()
{
	ip link set dev qsdc0 xdp off && ip link set dev qsdc0 xdp obj "$OBJ" sec xdp
	check "decap detached and attached again" "$?" 0
	check "the lists survive the reload" "$(qd -j decap show | jq -c '[(.sources | length), (.vips | length)]')" \
		"[2,3]"
	run_frame "after reload" "$OUTER_OK" "$INNER"
	check "the reloaded program obeys them" "$(reason decap_ipip)" 2
}

test_del_flush()
{
	run_qd "decap del source" 0 "" -- decap del source 198.18.200.0/24
	run_frame "source removed" "$OUTER_OK" "$INNER"
	check "a removed source is dropped again" "$(reason drop_source) $(reason decap_ipip)" "3 2"
	run_qd "decap del of an absent source" 1 "source 198.18.200.0/24: not allowed, nothing to remove" -- \
		decap del source 198.18.200.0/24
	run_qd "decap del vip" 0 "" -- decap del vip 198.18.100.1 0
	printf 'decap allow source 198.18.200.0/24\n# the router\ndecap allow vip 198.18.100.2 443\n' >"$DIR/batch"
	run_qd "-batch of decap lines" 0 "" -- -batch "$DIR/batch"
	check "-batch: both applied" "$(qd -j decap show | jq -c '[(.sources | length), (.vips | length)]')" "[2,3]"
	run_qd "decap flush vips" 0 "" -- -j decap flush vips
	check "decap flush vips -j: how many" "$(cat "$DIR/out")" '{"vips":3}'
	run_frame "VIPs flushed" "$OUTER_OK" "$INNER"
	check "no VIP left: dropped (fail closed)" "$(reason drop_not_vip)" 2
	run_qd "decap flush" 0 "" -- decap flush
	check "decap flush: both lists, text" "$(tr '\n' ';' <"$DIR/out")" \
		"decap flush: 2 sources removed;decap flush: 0 vips removed;"
	check "flushed: nothing listed" "$(qd -j decap show | jq -c '[.sources, .vips]')" "[[],[]]"
}

test_errors()
{
	run_qd "host bits past the prefix" 2 'source "198.18.200.1/24": not ADDRESS[/BITS] with no bit set past BITS' -- \
		decap allow source 198.18.200.1/24
	run_qd "prefix length past the family's" 2 "prefix length past 32 (IPv4) or 128 (IPv6)" -- \
		decap allow source fd00::/129
	run_qd "not an address" 2 'vip "web": not an IPv4 or IPv6 address' -- decap allow vip web 443
	run_qd "port out of range" 2 'port "65536": not a port (0..65535; 0: fragments)' -- \
		decap allow vip 198.18.100.1 65536
	run_qd "neither source nor vip" 2 '"host": expected source PREFIX or vip ADDRESS PORT' -- \
		decap allow host 198.18.0.1
	run_qd "missing argument" 2 "decap allow: missing argument" -- decap allow source
	run_qd "a word too many" 2 "source wants one PREFIX, nothing after" -- \
		decap allow source 198.18.200.0/24 please
	run_qd "flush of no list" 2 '"sources,vips": expected sources, vips or nothing' -- \
		decap flush sources,vips
	run_qd "show takes no argument" 2 'unexpected "sources"' -- decap show sources
	mkdir -p "$DIR/empty"
	run_qd "nothing pinned there" 1 "is decap.bpf.o loaded?" -- --pin-dir "$DIR/empty" decap show
	check "nothing pinned: no output" "$(cat "$DIR/out")" ""
}

# xdp-loader pins under its -p DIR: --pin-dir names it.
test_xdp_loader()
{
	pins=/sys/fs/bpf/qs-decap
	if xdp-loader load -m native -p "$pins" qsdc1 "$OBJ" >"$DIR/err" 2>&1; then
		ok "xdp-loader loads decap.bpf.o"
	else
		not_ok "xdp-loader loads decap.bpf.o" "$(tail -n 1 "$DIR/err")"
		return
	fi
	run_qd "--pin-dir: decap allow under xdp-loader's pins" 0 "" -- --pin-dir "$pins" \
		decap allow source 198.18.200.0/24
	check "--pin-dir: decap show lists it there" \
		"$(qd --pin-dir "$pins" -j decap show | jq -c '[.sources, .pin_dir]')" \
		"[[\"198.18.200.0/24\"],\"$pins\"]"
	check "ip's pins are other maps" "$(qd -j decap show | jq -c .sources)" "[]"
	xdp-loader unload qsdc1 --all >/dev/null 2>&1
}

inner()
{
	ip link set lo up
	test_as_loaded || {
		echo "$passed passed, $failed failed"
		return
	}
	test_allow
	test_reload
	test_del_flush
	test_errors
	test_xdp_loader
	echo "$passed passed, $failed failed"
}

netns_test dc "$CLI" bpftool jq xdp-loader -- qsdc0:qsdc2 qsdc1:qsdc3
