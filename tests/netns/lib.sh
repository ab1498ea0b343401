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
