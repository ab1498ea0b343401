#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# The installed .bpf.o files must keep working with the stock loaders, not
# only through our skeletons: `ip link set ... xdp obj` and `xdp-loader` must
# attach them, pin every map named in include/abi/abi.h by that name,
# and the pinned maps must carry BTF so that bpftool prints field names. This
# guards against a map missing its pinning attribute or renamed away from the
# ABI, a section or program name the loaders cannot find, and objects built
# without BTF.
#
# Usage: tests/netns/test-loaders.sh [BUILD_DIR]
# Runs in a network namespace of its own (with its own bpffs mount), which it
# removes on exit. Needs root; without it the run fails, it never skips.

BUILD=${1:-build}
SELF=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
ABI=$ROOT/include/abi/abi.h

. "$(dirname "$0")/lib.sh"

# Last line of a command's error output, for the reason of a failure.
last_err()
{
	tail -n 1 "$ERR" 2>/dev/null | tr -d '\n'
}

# Map names the router pins: every QS_MAP_* except the decap program's own
# (QS_MAP_DECAP_*).
router_maps()
{
	sed -n '/^#define QS_MAP_DECAP_/d; s/^#define QS_MAP_[A-Z0-9_]*[[:space:]]*"\([^"]*\)".*/\1/p' "$ABI"
}

decap_maps()
{
	sed -n 's/^#define QS_MAP_DECAP_[A-Z0-9_]*[[:space:]]*"\([^"]*\)".*/\1/p' "$ABI"
}

# Name and id of the XDP program attached to $IF per `ip -j link`, or "".
xdp_prog_name()
{
	ip -j link show dev "$IF" | jq -r '.[0].xdp.prog.name // ""'
}

xdp_prog_id()
{
	ip -j link show dev "$IF" | jq -r '.[0].xdp.prog.id // ""'
}

# Maps abi.h marks "userspace only": pinned with the others (the agent keeps
# state in them) but never referenced by the program, so not in its map ids.
userspace_only()
{
	grep -q "^#define QS_MAP_[A-Z0-9_]*[[:space:]]*\"$1\".*userspace only" "$ABI"
}

# Name, id and error of the map pinned at $1 (bpftool -j reports errors as
# JSON on stdout).
pinned_map()
{
	info=$(bpftool -j map show pinned "$1" 2>&1)
	name=$(echo "$info" | jq -r '.name // ""' 2>/dev/null)
	id=$(echo "$info" | jq -r '.id // ""' 2>/dev/null)
	why=$(echo "$info" | jq -r '.error // ""' 2>/dev/null)
	[ -n "$name" ] || [ -n "$why" ] || why=$info
}

# check_pinned DIR LOADER PROG_ID MAP...: each MAP pinned under DIR by its
# ABI name; with PROG_ID set (the attached program's), also the very map
# that program uses.
check_pinned()
{
	dir=$1
	loader=$2
	prog_id=$3
	shift 3
	map_ids=""
	[ -z "$prog_id" ] || map_ids=$(bpftool -j prog show id "$prog_id" | jq -r '.map_ids[]?')
	for m; do
		pinned_map "$dir/$m"
		if [ "$name" != "$m" ]; then
			not_ok "$loader pins $m under $dir" "got name '$name' want '$m' ($why)"
		elif [ -n "$prog_id" ] && ! userspace_only "$m" && ! echo "$map_ids" | grep -qx "$id"; then
			not_ok "$loader pins $m under $dir" \
				"got map id $id want one of program $prog_id's: $(echo "$map_ids" | tr "\n" " ")"
		else
			ok "$loader pins $m under $dir"
		fi
	done
}

# dump_has MAP STRING...: bpftool's dump of the map pinned at MAP shows
# every STRING (field names come from BTF).
dump_has()
{
	dump=$(bpftool map dump pinned "$1" 2>&1)
	what="bpftool dumps $(basename "$1") with BTF field names"
	shift
	missing=""
	for want; do
		echo "$dump" | grep -qF -- "$want" || missing="$missing '$want'"
	done
	if [ -z "$missing" ]; then
		ok "$what"
	else
		not_ok "$what" "got no$missing in: $(echo "$dump" | tr -d ' \n' | cut -c1-200)"
	fi
}

check_detached()
{
	what=$1
	name=$(xdp_prog_name)
	if [ -z "$name" ]; then
		ok "$what detaches"
	else
		not_ok "$what detaches" "got program '$name' still attached want none"
	fi
}

# a. ip(8) with the router object; maps pinned under the tc/xdp globals.
part_ip_router()
{
	globals=/sys/fs/bpf/xdp/globals
	if ip link set dev "$IF" xdp obj "$OBJ_ROUTER" sec xdp 2>"$ERR"; then
		ok "ip attaches quicsteer.bpf.o"
	else
		not_ok "ip attaches quicsteer.bpf.o" "$(last_err)"
		return
	fi
	name=$(xdp_prog_name)
	case $name in
	quicsteer*) ok "ip link shows xdp program $name" ;;
	*) not_ok "ip link shows xdp program quicsteer*" "got '$name' want quicsteer*" ;;
	esac
	# shellcheck disable=SC2046 # one word a map name
	check_pinned "$globals" ip "$(xdp_prog_id)" $(router_maps)

	# Nothing pinned that the ABI header does not name.
	extra=""
	for f in "$globals"/*; do
		b=$(basename "$f")
		router_maps | grep -qx "$b" || extra="$extra $b"
	done
	if [ -z "$extra" ]; then
		ok "ip pins only maps named in abi.h"
	else
		not_ok "ip pins only maps named in abi.h" "got extra pins$extra want none"
	fi

	missing=""
	dump=$(bpftool -j map dump pinned "$globals/qs_nexthops" 2>&1)
	for field in dmac smac tx_ifindex src4 src6 src4_flow_bits ttl flags; do
		echo "$dump" | jq -e --arg f "$field" '.[0].formatted.value | has($f)' \
			>/dev/null 2>&1 || missing="$missing $field"
	done
	if [ -z "$missing" ]; then
		ok "bpftool dumps qs_nexthops with BTF field names"
	else
		not_ok "bpftool dumps qs_nexthops with BTF field names" \
			"got no field$missing in: $(echo "$dump" | cut -c1-200)"
	fi

	# 198.18.0.100:443 (IPv4) -> vip_id 7, cid_len 8, flags 1
	if bpftool map update pinned "$globals/qs_vips" \
		key hex c6 12 00 64 00 00 00 00 00 00 00 00 00 00 00 00 01 bb 04 00 \
		value hex 07 00 00 00 08 00 00 00 01 00 00 00 2>"$ERR"; then
		ok "bpftool updates qs_vips"
	else
		not_ok "bpftool updates qs_vips" "$(last_err)"
	fi
	dump_has "$globals/qs_vips" '"vip_id": 7' '"cid_len": 8' '"family": 4' '"flags": 1'

	if ip link set dev "$IF" xdp off 2>"$ERR"; then
		check_detached "ip xdp off"
	else
		not_ok "ip xdp off detaches" "$(last_err)"
	fi
}

# b. xdp-loader with its own pin directory.
part_xdp_loader()
{
	pins=/sys/fs/bpf/qs-ld-pins
	if xdp-loader load -m native -p "$pins" "$IF" "$OBJ_ROUTER" >"$ERR" 2>&1; then
		ok "xdp-loader loads quicsteer.bpf.o in native mode"
	else
		not_ok "xdp-loader loads quicsteer.bpf.o in native mode" "$(last_err)"
		return
	fi
	status=$(xdp-loader status "$IF" 2>&1)
	line=$(echo "$status" | grep -w quicsteer_router)
	case $line in
	*native*) ok "xdp-loader status lists quicsteer_router (native)" ;;
	*) not_ok "xdp-loader status lists quicsteer_router (native)" \
		"got '$(echo "$status" | grep -w "$IF" | tr -s ' ')' want quicsteer_router native" ;;
	esac
	# libxdp may attach a dispatcher in front of the program: compare map
	# ids only when the program itself is what ip(8) sees attached.
	prog_id=""
	case $(xdp_prog_name) in
	quicsteer*) prog_id=$(xdp_prog_id) ;;
	esac
	# shellcheck disable=SC2046 # one word a map name
	check_pinned "$pins" xdp-loader "$prog_id" $(router_maps)
	if xdp-loader unload "$IF" --all >"$ERR" 2>&1; then
		check_detached "xdp-loader unload --all"
	else
		not_ok "xdp-loader unload --all detaches" "$(last_err)"
	fi
	if xdp-loader status "$IF" 2>&1 | grep -qw quicsteer_router; then
		not_ok "xdp-loader status empty after unload" "got quicsteer_router want none"
	else
		ok "xdp-loader status empty after unload"
	fi
}

# c. ip(8) with the decap object: each of its maps pinned by its abi.h name.
part_ip_decap()
{
	globals=/sys/fs/bpf/xdp/globals
	if ip link set dev "$IF" xdp obj "$OBJ_DECAP" sec xdp 2>"$ERR"; then
		ok "ip attaches decap.bpf.o"
	else
		not_ok "ip attaches decap.bpf.o" "$(last_err)"
		return
	fi
	name=$(xdp_prog_name)
	case $name in
	quicsteer*) ok "ip link shows xdp program $name" ;;
	*) not_ok "ip link shows xdp program quicsteer*" "got '$name' want quicsteer*" ;;
	esac
	# shellcheck disable=SC2046 # one word a map name
	check_pinned "$globals" ip "$(xdp_prog_id)" $(decap_maps)
	dump_has "$globals/$DECAP_STATS" '"packets": ' '"bytes": '
	# 198.18.200.0/24: prefixlen 32 + 24 (abi.h), family 4
	if bpftool map update pinned "$globals/$DECAP_SRCS" \
		key hex 38 00 00 00 04 00 00 00 c6 12 c8 00 00 00 00 00 00 00 00 00 00 00 00 00 \
		value hex 00 00 00 00 2>"$ERR"; then
		ok "bpftool updates $DECAP_SRCS"
	else
		not_ok "bpftool updates $DECAP_SRCS" "$(last_err)"
	fi
	dump_has "$globals/$DECAP_SRCS" '"prefixlen": 56' '"family": 4'
	if ip link set dev "$IF" xdp off 2>"$ERR"; then
		check_detached "ip xdp off (decap)"
	else
		not_ok "ip xdp off (decap) detaches" "$(last_err)"
	fi
}

# Runs inside the namespace (fresh /sys from `ip netns exec`); prints the
# ok / not ok lines and exits non-zero if any check failed.
inside()
{
	ERR=$(mktemp) || exit 1
	if mount -t bpf bpf /sys/fs/bpf 2>"$ERR"; then
		ok "bpffs mounted in the namespace"
	else
		not_ok "bpffs mounted in the namespace" "$(last_err)"
		rm -f "$ERR"
		exit 1
	fi
	# xdp-loader takes a machine-wide lock file, /run/xdp-loader.lck: two
	# runs at once (or any other xdp-loader) would fail it. Our device is
	# private to this namespace, so a private /run is the right scope.
	if mount -t tmpfs -o size=1m,mode=0755 qs-ld-run /run 2>"$ERR"; then
		ok "private /run mounted in the namespace"
	else
		not_ok "private /run mounted in the namespace" "$(last_err)"
	fi
	part_ip_router
	part_xdp_loader
	part_ip_decap
	rm -f "$ERR"
	[ "$failed" -eq 0 ]
}

summary()
{
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] || exit 1
	exit 0
}

DECAP_STATS=$(sed -n 's/^#define QS_MAP_DECAP_STATS[[:space:]]*"\([^"]*\)".*/\1/p' "$ABI")
DECAP_SRCS=$(sed -n 's/^#define QS_MAP_DECAP_SRCS[[:space:]]*"\([^"]*\)".*/\1/p' "$ABI")
IF=qs-ld-a

if [ "$1" = "--inside" ]; then
	OBJ_ROUTER=$2/bpf/quicsteer.bpf.o
	OBJ_DECAP=$2/bpf/decap.bpf.o
	inside
	exit
fi

BUILD=$(cd "$BUILD" 2>/dev/null && pwd) || {
	not_ok "build directory" "got no directory '${1:-build}'"
	summary
}

if [ "$(id -u)" -ne 0 ]; then
	not_ok "root" "got uid $(id -u) want 0 (namespaces, XDP and bpffs need root)"
	summary
fi
for tool in ip bpftool xdp-loader jq; do
	command -v "$tool" >/dev/null 2>&1 || not_ok "tool $tool" "not installed (make deps)"
done
for obj in quicsteer decap; do
	[ -f "$BUILD/bpf/$obj.bpf.o" ] || not_ok "object $obj.bpf.o" "got none in $BUILD/bpf (make)"
done
if [ -z "$DECAP_STATS" ] || [ -z "$DECAP_SRCS" ]; then
	not_ok "abi.h" "got no QS_MAP_DECAP_STATS or QS_MAP_DECAP_SRCS in $ABI"
fi
[ "$failed" -eq 0 ] || summary

NS=qs-ld-$$
OUT=""
cleanup()
{
	ip netns del "$NS" 2>/dev/null
	[ -z "$OUT" ] || rm -f "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! ip netns add "$NS" 2>/dev/null; then
	not_ok "namespace $NS" "ip netns add failed"
	summary
fi
if ip -n "$NS" link add "$IF" type veth peer name qs-ld-b &&
	ip -n "$NS" link set "$IF" up && ip -n "$NS" link set qs-ld-b up; then
	ok "veth pair in namespace $NS"
else
	not_ok "veth pair in namespace $NS" "ip link add failed"
	summary
fi

# The inner run prints its own ok / not ok lines; count them here.
OUT=$(mktemp) || exit 1
ip netns exec "$NS" "$SELF" --inside "$BUILD" >"$OUT" 2>&1
rc=$?
cat "$OUT"
passed=$((passed + $(grep -c '^ok - ' "$OUT")))
inner_failed=$(grep -c '^not ok - ' "$OUT")
failed=$((failed + inner_failed))
if [ "$rc" -ne 0 ] && [ "$inner_failed" -eq 0 ]; then
	not_ok "checks inside $NS" "got exit status $rc want 0"
fi

cleanup
if ip netns list | grep -qw "$NS"; then
	not_ok "namespace $NS removed" "still listed"
else
	ok "namespace $NS removed"
fi
summary
