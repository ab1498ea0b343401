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

# Waits. Every wait in the tests and the demo polls the condition it waits
# for, up to a deadline generous enough for a machine several times slower
# than the build machines (TESTBED.md: system calls cost up to 3x more on
# some, and the machine may be busy with other runs): a passing run never
# sits out a deadline, and a wait that gives up says what it waited for and
# what it saw. A fixed sleep is only ever part of a scenario (a client idle
# for so long, a rate), and a comment beside it says so.

# Centiseconds since boot, in $_wt_now: read by the shell, no process.
_wait_now()
{
	read -r _wt_up _wt_idle </proc/uptime
	_wt_now=${_wt_up%.*}${_wt_up#*.}
}

# wait_until SECONDS WHAT COMMAND...: runs COMMAND (in this shell, its output
# discarded) until it succeeds, at most SECONDS of wall time, polling every
# 10 ms at first and every 100 ms from the fourth try; returns 0 as soon as
# it succeeds. Else COMMAND runs once more for what it prints now, and
# "WHAT: not within SECONDS s; it says: ..." goes to stderr as a "# " line
# and into $waited (for a not_ok), and it returns 1. A wait that
# succeeds after more than a third of its deadline says so on stderr: that
# deadline is not generous for this machine.
wait_until()
{
	_wu_s=$1 _wu_what=$2
	shift 2
	_wait_now
	_wu_t0=$_wt_now
	_wu_pause=0.01
	while ! "$@" >/dev/null 2>&1; do
		_wait_now
		if [ $((_wt_now - _wu_t0)) -ge $((_wu_s * 100)) ]; then
			_wu_saw=$("$@" 2>&1) && return 0
			waited="$_wu_what: not within $_wu_s s"
			[ -z "$_wu_saw" ] ||
				waited="$waited; it says: $(printf '%s' "$_wu_saw" | tr '\n' ' ' | cut -c1-400)"
			echo "# $waited" >&2
			return 1
		fi
		sleep $_wu_pause
		case $_wu_pause in
		0.01) _wu_pause=0.02 ;;
		0.02) _wu_pause=0.05 ;;
		*) _wu_pause=0.1 ;;
		esac
	done
	_wait_now
	[ $((_wt_now - _wu_t0)) -le $((_wu_s * 100 / 3)) ] ||
		echo "# slow: $_wu_what took $(((_wt_now - _wu_t0) / 100)) s (deadline $_wu_s s)" >&2
	return 0
}

# exited PID: process PID is gone or a zombie (which kill -0 still finds);
# else says its state.
exited()
{
	_ex=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -z "$_ex" ] || [ "$_ex" = Z ] || {
		echo "pid $1 still there, state $_ex"
		return 1
	}
}

# wait_exit SECONDS PID WHAT: waits until PID, a child of this shell, has
# exited, at most SECONDS, and returns its exit status. If it still runs
# then, says so (as wait_until does), kills it with SIGKILL and returns 124.
wait_exit()
{
	if wait_until "$1" "$3 exits" exited "$2"; then
		wait "$2"
		return
	fi
	kill -KILL "$2" 2>/dev/null
	wait "$2" 2>/dev/null
	return 124
}

# output_is WANT COMMAND...: COMMAND's output (kept in $got, and printed)
# is WANT. For wait_until, when the check that follows compares the same.
output_is()
{
	_oi_want=$1
	shift
	got=$("$@" 2>&1)
	printf '%s\n' "$got"
	[ "$got" = "$_oi_want" ]
}

# Starts $AGENT with $DIR/quicsteer.conf (log in $DIR/agent.log) and waits
# until its control socket answers status; AGENT_PID is its pid. On
# failure, $waited says what it saw.
start_agent()
{
	"$AGENT" -c "$DIR/quicsteer.conf" 2>>"$DIR/agent.log" &
	AGENT_PID=$!
	wait_until 30 "quicsteerd answers status on $DIR/control.sock" \
		"$PROBE" control "$DIR/control.sock" "v1 status"
}

# stop_agent [SIGNAL]: signals the agent (default TERM) and waits for its
# exit; returns its exit status (124: it did not exit within 30 s).
stop_agent()
{
	kill -"${1:-TERM}" "$AGENT_PID"
	wait_exit 30 "$AGENT_PID" "quicsteerd (pid $AGENT_PID, after SIG${1:-TERM})"
}

# The agent's metrics (every test agent's metrics-listen is 127.0.0.1 9464).
metrics() { curl -s --max-time 30 http://127.0.0.1:9464/metrics; }

# One sample's value by its name and labels as printed; "absent" if none.
metric() { metrics | awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }'; }

# Report datagrams the agent counted, under every verdict.
reports_seen() { metrics | awk '/^quicsteer_reports_total\{/ { s += $2 } END { print s + 0 }'; }

_reports_beyond()
{
	_rb=$(reports_seen)
	echo "$_rb datagrams counted"
	[ "$_rb" -gt "$1" ]
}

# counted COMMAND...: runs COMMAND, which sends the agent one report
# datagram, and waits until the agent counted it under some verdict, so
# that the checks that follow see its effect, or that it had none. A
# failure is counted (not ok). No heartbeat loop may run meanwhile.
counted()
{
	_ct0=$(reports_seen)
	"$@" || {
		not_ok "send a report: $*" "exit status $?"
		return 1
	}
	wait_until 30 "the agent counts the datagram ($*)" _reports_beyond "$_ct0" || {
		not_ok "the agent counts the datagram" "$waited"
		return 1
	}
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
