# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# Sourced by tests/netns/test-cli*.sh after lib.sh: the CLI against the
# test's agent ($CLI, $DIR/control.sock, $PINS), and run_cli.

# --timeout 30: the CLI's own default (10 s) is for operators; a slow or busy
# test machine gets a generous bound (a test's own --timeout comes later
# and wins).
qs() { "$CLI" --socket "$DIR/control.sock" --pin-dir "$PINS" --timeout 30 "$@"; }

# run_cli NAME WANT_RC [WANT_STDERR] -- ARGS: exit code, and a substring of
# stderr; stdout in $DIR/out, stderr in $DIR/err
run_cli()
{
	name=$1 want=$2 msg=$3
	shift 4
	qs "$@" >"$DIR/out" 2>"$DIR/err"
	rc=$?
	check "$name: exit $want" "$rc" "$want"
	[ -z "$msg" ] || has "$name: message" "$(cat "$DIR/err")" "$msg"
}
