#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The three encapsulations end to end (tests/netns/testbed.sh): IPv4
# clients to IPv6-addressed backends (IPv4-in-IPv6), IPv6 clients to them
# (IPv6-in-IPv6), and IPv4 clients to IPv4-addressed backends
# (IPv4-in-IPv4), each a 1 MiB download compared byte for byte, with the
# stock gtlsserver. Every packet the router forwarded must arrive: the
# backend's decap program counts exactly as many packets of that kind as
# the router counted for the backend, and drops none (its allow-lists,
# filled by the testbed as a deployment must, admit all of it). Guards against
# frames that vanish between the router and a backend (an outer header
# the receiver refuses, a frame over the segment's MTU, XDP_TX into a veth
# whose peer cannot take it, a checksum left unfinished) and against a
# backend family mixed up with the client's.
#
# Usage: tests/netns/test-e2e-encap.sh [BUILD_DIR]. Needs root; never skips.

BUILD=${1:-build}
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/testbed.sh"

# decap_kind I KIND: backend I's count of one kind (1 IPIP, 2 IP6IP6,
# 3 IP4IP6, 4 dropped for any reason).
decap_kind() { tb_decap_stats "$1" | cut -d' ' -f"$2"; }

# one NAME FAMILY KIND-FIELD
one()
{
	b0=$(tb_stat_backends)
	tb_fetch "$1" "$2" -- f1m && tb_verify "$1" f1m && ok "$1: download intact" ||
		not_ok "$1: download intact" "see above"
	b1=$(tb_stat_backends)
	owner=$(tb_moved "$b0" "$b1")
	check "$1: the router forwarded to one backend" "$(echo "$owner" | wc -w)" 1
	[ -n "$owner" ] || return
	sent=$(($(echo "$b1" | cut -d' ' -f"$owner") - $(echo "$b0" | cut -d' ' -f"$owner")))
	# each kind is counted once per testbed: the count is this transfer's
	check "$1: b$owner decapsulated every packet the router sent it ($sent)" \
		"$(decap_kind "$owner" "$3")" "$sent"
}

tb_test_up "$BUILD" --backends 3
tb_make_file f1m 1048576
tb_server_start_all gtls || not_ok "set-up: gtlsserver" "see above"
one ip4ip6 4 3
one ip6ip6 6 2
check "IPv6 backends: nothing dropped" \
	"$(decap_kind 1 4) $(decap_kind 2 4) $(decap_kind 3 4)" "0 0 0"
tb_down

tb_test_up "$BUILD" --backends 3 --backend-family 4
tb_make_file f1m 1048576
tb_server_start_all gtls || not_ok "set-up: gtlsserver" "see above"
one ipip 4 1
check "IPv4 backends: nothing dropped" \
	"$(decap_kind 1 4) $(decap_kind 2 4) $(decap_kind 3 4)" "0 0 0"
tb_test_end
