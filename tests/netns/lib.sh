# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sourced by the namespace test scripts: result lines ("ok - NAME",
# "not ok - NAME: why") and their counters; each script ends with
# "$passed passed, $failed failed".

passed=0
failed=0

ok()
{
	echo "ok - $1"
	passed=$((passed + 1))
}

not_ok()
{
	echo "not ok - $1: $2"
	failed=$((failed + 1))
}

# check NAME GOT WANT
check()
{
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1" "got '$2' want '$3'"
	fi
}

# has NAME TEXT SUBSTRING
has()
{
	if echo "$2" | grep -qF -- "$3"; then
		ok "$1"
	else
		not_ok "$1" "no '$3' in: $(echo "$2" | head -c 300)"
	fi
}

# Starts $AGENT with $DIR/quicsteer.conf (log in $DIR/agent.log) and waits,
# at most 5 s, until its control socket answers; AGENT_PID is its pid.
start_agent()
{
	"$AGENT" -c "$DIR/quicsteer.conf" 2>>"$DIR/agent.log" &
	AGENT_PID=$!
	for _ in $(seq 50); do
		[ -S "$DIR/control.sock" ] &&
			"$PROBE" control "$DIR/control.sock" "v1 status" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# The frame every single-namespace script shares; the script's last line:
#
#	netns_test TAG [NEED]... -- [VETH-PAIR]...
#
# First run (outside): needs root and every NEED (an absolute path: an
# executable; otherwise a command on PATH), else prints "not ok - set-up"
# naming what is missing and exits 1. Makes namespace qs-TAG-PID with each
# VETH-PAIR ("a:b", both ends up, both in it), a temporary directory DIR,
# and runs the script again inside the namespace and a mount namespace of
# its own; whatever the end, kills what still runs in the namespace and
# removes it and DIR. Exits with the inner run's status.
# Second run (inside, QS_NETNS_INNER=1): mounts a bpffs of its own on
# /sys/fs/bpf and a tmpfs on /run (libxdp's lock, the agent's sockets),
# runs the script's function inner, and exits 0 if no check failed.
netns_test()
{
	_tag=$1
	shift
	if [ "${QS_NETNS_INNER:-}" = 1 ]; then
		if mount -t bpf bpf /sys/fs/bpf && mount -t tmpfs tmpfs /run; then
			inner
		else
			not_ok "set-up: mounts in the namespace" "failed"
			echo "$passed passed, $failed failed"
		fi
		[ "$failed" -eq 0 ]
		exit
	fi
	_missing=
	[ "$(id -u)" -eq 0 ] || _missing=" root"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		case $1 in
		/*) [ -x "$1" ] || _missing="$_missing $1" ;;
		*) command -v "$1" >/dev/null || _missing="$_missing $1" ;;
		esac
		shift
	done
	[ $# -gt 0 ] && shift
	if [ -n "$_missing" ]; then
		echo "not ok - set-up: needs$_missing (run make, as root)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	NS=qs-$_tag-$$
	DIR=$(mktemp -d "/tmp/qs-$_tag.XXXXXX")
	trap 'ip netns pids "$NS" 2>/dev/null | xargs -r kill -9; ip netns del "$NS" 2>/dev/null; rm -rf "$DIR"' EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NS" || _missing=" namespace $NS"
	for _pair; do
		[ -z "$_missing" ] || break
		ip -n "$NS" link add "${_pair%%:*}" type veth peer name "${_pair#*:}" &&
			ip -n "$NS" link set "${_pair%%:*}" up &&
			ip -n "$NS" link set "${_pair#*:}" up || _missing=" veth pair $_pair in $NS"
	done
	if [ -n "$_missing" ]; then
		echo "not ok - set-up:$_missing"
		echo "0 passed, 1 failed"
		exit 1
	fi
	QS_NETNS_INNER=1 DIR=$DIR ip netns exec "$NS" unshare -m sh "$SELF" "$BUILD"
	exit $?
}
