# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# lifecycle.sh: what the lifecycle scenarios (test-e2e-drain.sh, -add.sh,
# -restart.sh, -agent.sh) share on top of testbed.sh and lib.sh. Source it
# after both.
#
#   deltas BEFORE AFTER   per backend, AFTER minus BEFORE of two lists
#                         like tb_connections_all's ("1 0 4")
#   nth LIST I            the I-th word of LIST (1-based)
#   total LIST            the sum of LIST's words
#   busiest LIST          the index of LIST's largest word (the first one
#                         on a tie)
#   batch_run NAME N FILE   N fetches of FILE started together, IPv4 and
#                         IPv6 in turn (only LC_FAMILY, 4 or 6, if set),
#                         named NAME-1 .. NAME-N, waited for
#   batch_bad NAME N FILE   the fetches of a batch that do not verify byte
#                         for byte ("" when all do); the first difference
#                         is kept in $TB_DIR/verify.err
#   long_start NAME N FILE  N fetches of FILE in the background, IPv4 and
#                         IPv6 in turn (or LC_FAMILY), with gtlsclient's
#                         --timeout=LC_TIMEOUT if set, and waits until
#                         the servers accepted N more connections; sets
#                         long_got to the per-backend accepted connections
#                         (deltas). Not in a $(...): the subshell would
#                         own the fetches and wait for their end.
#   long_wait NAME N FILE   waits for those fetches (not in a $(...) either:
#                         a subshell cannot wait for its parent's
#                         children); sets long_bad to batch_bad's answer
#   running NAME N        how many of a background batch still run
#   backend_state NAME    the agent's state of backend NAME (active,
#                         draining, down; "" when it has none)
#   in_flight WHAT NAME N [MIN]   a check: at least MIN (default all N)
#                         fetches of batch NAME still run (at a step that
#                         must happen during them: else the scenario
#                         proved nothing)
#   hold                  holds what the segment sends the client to
#                         LC_HOLD (1mbit), from before long_start to the
#                         step that must happen during the long transfers:
#                         none can end meanwhile (1.5 MiB alone take 12 s
#                         at 1 Mbit/s), however long the machine takes to
#                         start a dozen clients (the first one would
#                         otherwise have the segment to itself and could
#                         end before the last starts) and to make the step
#   release               back to LC_RATE (40mbit), the scenarios' rate

deltas()
{
	echo "$1" "$2" | awk '{ n = NF / 2; s = ""
		for (i = 1; i <= n; i++) s = s (i > 1 ? " " : "") ($(i + n) - $i); print s }'
}

LC_RATE=40mbit
LC_HOLD=1mbit
hold() { tb_shape "$LC_HOLD" || not_ok "hold the segment at $LC_HOLD" "see above"; }
release() { tb_shape "$LC_RATE" || not_ok "release the segment to $LC_RATE" "see above"; }

_lc_family() { echo "${LC_FAMILY:-$(($1 % 2 ? 4 : 6))}"; }

nth() { echo "$1" | cut -d' ' -f"$2"; }
total() { echo "$1" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }'; }
busiest() { echo "$1" | awk '{ m = 1; for (i = 2; i <= NF; i++) if ($i > $m) m = i; print m }'; }

batch_run()
{
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		tb_fetch_bg "$1-$_lc_i" "$(_lc_family $_lc_i)" -- "$3"
		_lc_i=$((_lc_i + 1))
	done
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		tb_fetch_wait "$1-$_lc_i"
		_lc_i=$((_lc_i + 1))
	done
}

batch_bad()
{
	_lc_bad=
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		tb_verify "$1-$_lc_i" "$3" 2>>"$TB_DIR/verify.err" || _lc_bad="$_lc_bad $1-$_lc_i"
		_lc_i=$((_lc_i + 1))
	done
	echo $_lc_bad
}

_lc_accepted()
{
	_lc_got=$(deltas "$1" "$(tb_connections_all)")
	echo "accepted per backend: $_lc_got"
	[ "$(total "$_lc_got")" -ge "$2" ]
}

long_start()
{
	_lc_c0=$(tb_connections_all)
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		# shellcheck disable=SC2086 # no option, or one without spaces
		tb_fetch_bg "$1-$_lc_i" "$(_lc_family $_lc_i)" ${LC_TIMEOUT:+--timeout=$LC_TIMEOUT} -- "$3"
		_lc_i=$((_lc_i + 1))
	done
	wait_until 60 "the servers accept the $2 connections of $1" _lc_accepted "$_lc_c0" "$2"
	long_got=$(deltas "$_lc_c0" "$(tb_connections_all)")
}

long_wait()
{
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		tb_fetch_wait "$1-$_lc_i"
		_lc_i=$((_lc_i + 1))
	done
	long_bad=$(batch_bad "$1" "$2" "$3")
}

running()
{
	_lc_n=0
	_lc_i=1
	while [ "$_lc_i" -le "$2" ]; do
		exited "$(cat "$TB_DIR/fetch/$1-$_lc_i.pid")" >/dev/null || _lc_n=$((_lc_n + 1))
		_lc_i=$((_lc_i + 1))
	done
	echo $_lc_n
}

in_flight()
{
	_lc_r=$(running "$2" "$3")
	if [ "$_lc_r" -ge "${4:-$3}" ]; then
		ok "$1: $_lc_r of $3 long transfers were in flight then"
	else
		not_ok "$1: at least ${4:-$3} of $3 long transfers were in flight then" \
			"only $_lc_r ran (hold the segment from before long_start to this step)"
	fi
}

backend_state() { tb_cli -j backend show | jq -r --arg n "$1" '.[] | select(.name == $n) | .state'; }
