#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Writes the seed corpus of tests/fuzz/fuzz_report.c into tests/fuzz/seeds/report/:
# datagrams of docs/report-protocol.md, versions 2 and 1, authenticated with the fuzz
# target's key, so that libFuzzer starts from inputs that pass the MAC and reach every
# record type, rather than spending its first minutes assembling a header. Each file is
# built here from the specification's fields, byte by byte (xxd, openssl), not by the
# codec under test. Run it again when the format changes; tests/run-all passes the
# directory to the fuzzer, which writes what it finds elsewhere.
#   tests/fuzz/seeds/make-seeds.sh
set -eu
OUT=$(dirname "$0")/report
# "fuzz-key-fuzz-key-fuzz-key-fuzz" and its NUL: fuzz_report.c's key
KEY=$(printf 'fuzz-key-fuzz-key-fuzz-key-fuzz' | xxd -p | tr -d '\n')00
mkdir -p "$OUT"
rm -f "$OUT"/*.dgram "$OUT"/*.body

# hdr VERSION FAMILY PORT BACKEND COUNT INCARNATION SEQUENCE VIPADDR32HEX [TIMESTAMP]
hdr()
{
	printf '51535250%02x%02x%04x%08x%04x0000%016x%016x%s' "$1" "$2" "$3" "$4" "$5" "$6" "$7" "$8"
	[ $# -lt 9 ] || printf '%016x' "$9"
}
# seal NAME HEX: the datagram with its MAC (NAME.dgram) and without (NAME.body, which the
# target signs itself)
seal()
{
	printf '%s' "$2" | xxd -r -p >"$OUT/$1.body"
	{ cat "$OUT/$1.body"; openssl mac -digest SHA256 -macopt "hexkey:$KEY" -binary HMAC \
		<"$OUT/$1.body"; } >"$OUT/$1.dgram"
}

V6=20010db8000000000000000000000001
V4=c6120064000000000000000000000000
NONE=00000000000000000000000000000000
INC=17a6101701650000 # 2024-01-01T00:00:00Z in ns
TS=17a6102508930a80  # a minute and a quarter later
inc=$((0x$INC))
ts=$((0x$TS))

# CID_ISSUED (handle 1, a1a2a3a4), HEARTBEAT: the specification's example
seal v2-example "$(hdr 2 6 443 7 2 $inc 42 $V6 $ts)01000c0000000000000001a1a2a3a4050000"
# SNAPSHOT_PART (id 9, part 0, final), two SNAPSHOT_CIDs, a CID_RETIRED, IPv4 VIP
seal v2-snapshot "$(hdr 2 4 443 3 4 $inc 2 $V4 $ts)0700080000000900000100\
08000c0000000000000002b1b2b3b4080010000000000000000301020304050607080200040a0b0c0d"
# no VIP: CONN_CLOSED, HEARTBEAT, DRAIN
seal v2-no-vip "$(hdr 2 0 0 3 3 $inc 3 $NONE $ts)0400080000000000000002050000060000"
# HANDSHAKE_DONE from [2001:db8:ffff::abcd]:50002, a 20-byte CID issued beside it
seal v2-handshake "$(hdr 2 6 8443 9 2 $inc 5 $V6 $ts)03001c0000000000000004\
20010db8ffff0000000000000000abcdc3520600\
01001c00000000000000050102030405060708090a0b0c0d0e0f1011121314"
# version 1: the header without a timestamp, a random incarnation
seal v1-example "$(hdr 1 6 443 7 2 $((0x1122334455667788)) 42 $V6)01000c0000000000000001a1a2a3a4050000"

# For the target's templated path: record count, VIP family selector (top bit: version 1),
# records: a CID_ISSUED, a CID_RETIRED, a HEARTBEAT.
recs=01000c0000000000000001aabbccdd0200021122050000
printf '0301%s' "$recs" | xxd -r -p >"$OUT/templated-v2.body"
printf '0381%s' "$recs" | xxd -r -p >"$OUT/templated-v1.body"
ls "$OUT"
