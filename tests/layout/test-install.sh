#!/bin/sh
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
# What `make install` gives a machine, and that a QUIC server builds from it
# alone: the installed tree is exactly the public headers, libquicsteer
# (static, shared with the exports of its version script, pkg-config), the
# programs, the BPF objects, man pages, completion and the unit; nothing of
# the BPF layout (include/abi/) or of the internal archives. Then
# qs-backend-demo, a backend's reporting half, is compiled and linked from
# the installed tree through pkg-config, shared and static, with nothing of
# the source tree on its include path, and run.
#   tests/layout/test-install.sh [BUILD]
BUILD=${1:-build}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "$BUILD" && pwd)
. "$TOP"/tests/netns/lib.sh

D=$(mktemp -d /tmp/qs-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
P=/usr/local

if ! make -s -C "$TOP" BUILD="$BUILD" install DESTDIR="$D" PREFIX=$P >"$D.log" 2>&1; then
	not_ok "make install" "$(tail -n 20 "$D.log")"
	rm -f "$D.log"
	echo "$passed passed, $failed failed"
	exit 1
fi
rm -f "$D.log"
ok "make install DESTDIR"

got=$(cd "$D" && find . \( -type f -o -type l \) | sort | tr '\n' ' ')
want=$(sort <<LIST | tr '\n' ' '
./usr/local/bin/qs-h3server
./usr/local/include/quicsteer/backend.h
./usr/local/include/quicsteer/quiclb.h
./usr/local/include/quicsteer/report.h
./usr/local/include/quicsteer/types.h
./usr/local/lib/libquicsteer.a
./usr/local/lib/libquicsteer.so
./usr/local/lib/libquicsteer.so.0
./usr/local/lib/libquicsteer.so.0.3.0
./usr/local/lib/pkgconfig/libquicsteer.pc
./usr/local/lib/quicsteer/decap.bpf.o
./usr/local/lib/quicsteer/quicsteer.bpf.o
./usr/local/lib/systemd/system/quicsteer-health.service
./usr/local/lib/systemd/system/quicsteerd.service
./usr/local/sbin/quicsteer
./usr/local/sbin/quicsteerd
./usr/local/share/bash-completion/completions/quicsteer
./usr/local/share/man/man8/quicsteer.8
./usr/local/share/man/man8/quicsteerd.8
LIST
)
check "installed files: the public ones only" "$got" "$want"

# Each installed header includes only installed headers.
for h in "$D$P"/include/quicsteer/*.h; do
	inc=$(sed -n 's/^#include "\(.*\)"/\1/p' "$h" | while read -r f; do
		[ -e "$D$P/include/$f" ] || echo "$f"; done)
	check "$(basename "$h") includes only installed headers" "$inc" ""
done

# The shared library exports its version script's list, each declared in a
# public header.
exported=$(nm -D --defined-only "$D$P"/lib/libquicsteer.so.0.3.0 |
	awk '$2 == "T" { sub(/@.*/, "", $3); print $3 }' | sort | tr '\n' ' ')
listed=$(sed -n 's/^[[:space:]]*\(qs_[a-z_0-9]*\);$/\1/p' \
	"$TOP"/userspace/libquicsteer/libquicsteer.map | sort | tr '\n' ' ')
check "libquicsteer.so exports what libquicsteer.map lists" "$exported" "$listed"
undeclared=$(for s in $exported; do
	grep -qw "$s" "$D$P"/include/quicsteer/*.h || echo "$s"; done)
check "every export is declared in include/quicsteer/" "$undeclared" ""
check "version nodes" \
	"$(nm -D "$D$P"/lib/libquicsteer.so.0.3.0 | awk '$2 == "A" { print $3 }' | sort | tr '\n' ' ')" \
	"LIBQUICSTEER_0.1 LIBQUICSTEER_0.2 LIBQUICSTEER_0.3 "
# 0.2: the codec functions whose structs grew with report protocol version 2;
# the reporter's stay where a server built against 0.1 finds them; and
# qs_report_key_read_fd, new.
check "the functions of node 0.2" \
	"$(nm -D --defined-only "$D$P"/lib/libquicsteer.so.0.3.0 |
		awk '$3 ~ /@@LIBQUICSTEER_0.2$/ { sub(/@.*/, "", $3); print $3 }' | sort | tr '\n' ' ')" \
	"qs_report_check qs_report_encoder_init qs_report_key_read_fd qs_report_verify "
# 0.3: the QUIC-LB codec and generators (quicsteer/quiclb.h), and reading a key
# file of any length (a QUIC-LB configuration's); the plaintext
# IDs of 0.1 (qs_cid_quiclb_plaintext) stay in 0.1.
check "the functions of node 0.3" \
	"$(nm -D --defined-only "$D$P"/lib/libquicsteer.so.0.3.0 |
		awk '$3 ~ /@@LIBQUICSTEER_0.3$/ { sub(/@.*/, "", $3); print $3 }' | sort | tr '\n' ' ')" \
	"qs_key_read_fd qs_quiclb_cid_config qs_quiclb_codec_cid_len qs_quiclb_codec_free qs_quiclb_codec_new \
qs_quiclb_decode qs_quiclb_encode qs_quiclb_gen_cid_len qs_quiclb_gen_free qs_quiclb_gen_left \
qs_quiclb_gen_new qs_quiclb_gen_next "
check "qs_cid_quiclb_plaintext stays in node 0.1" \
	"$(nm -D --defined-only "$D$P"/lib/libquicsteer.so.0.3.0 | awk '$3 ~ /^qs_cid_quiclb_plaintext@/ { print $3 }')" \
	"qs_cid_quiclb_plaintext@@LIBQUICSTEER_0.1"

# A backend built from the installed tree alone (the source tree is not on
# the include path: the demo's own folder has no quicsteer/ either).
pc() { PKG_CONFIG_SYSROOT_DIR="$D" PKG_CONFIG_PATH="$D$P/lib/pkgconfig" pkg-config "$@" libquicsteer; }
src="$TOP"/tests/netns/probes/qs-backend-demo.c
# shellcheck disable=SC2046
if out=$(cc -std=gnu11 -Wall -Wextra -Werror $(pc --cflags) -o "$D/demo" "$src" $(pc --libs) 2>&1); then
	ok "backend builds with pkg-config's flags, shared"
else
	not_ok "backend builds with pkg-config's flags, shared" "$out"
fi
# shellcheck disable=SC2046
if out=$(cc -std=gnu11 -Wall -Wextra -Werror $(pc --cflags) -o "$D/demo-static" "$src" \
	-Wl,-Bstatic -lquicsteer -Wl,-Bdynamic $(pc --static --libs | sed 's/-lquicsteer//') 2>&1); then
	ok "backend builds with pkg-config's flags, static"
else
	not_ok "backend builds with pkg-config's flags, static" "$out"
fi
# Nothing but the public headers is reachable from those flags.
printf '#include "quicsteer/backend.h"\n#if __has_include("abi/abi.h") || __has_include("quicsteer/abi.h")\n#error the BPF layout is reachable\n#endif\nint main(void) { return QS_CID_MAX_LEN != 20; }\n' >"$D/probe.c"
# shellcheck disable=SC2046
out=$(cc -Werror $(pc --cflags) -o "$D/probe" "$D/probe.c" 2>&1)
check "the BPF layout is not reachable from the installed headers" "$out" ""

# They run: a QUIC-LB plaintext ID (config 1, server ID 0a0b, 6 nonce bytes)
# and the incarnation, with no agent listening (a unix path nobody binds).
KEY=000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for demo in demo demo-static; do
	[ -x "$D/$demo" ] || continue
	lines=$(printf 'quiclb 1 0a0b 6\nincarnation\nquit\n' |
		LD_LIBRARY_PATH="$D$P/lib" "$D/$demo" 7 $KEY 198.18.0.10 443 "unix:$D/none.sock" 2>&1)
	cid=$(echo "$lines" | sed -n 's/^ok \([0-9a-f]*\)$/\1/p' | head -n 1)
	check "$demo: QUIC-LB ID is 9 bytes" "${#cid}" 18
	check "$demo: config 1 in the first byte, then the server ID" \
		"$(printf '%d' 0x$(echo "$cid" | cut -c1-2)) $(echo "$cid" | cut -c3-6)" \
		"$(( $(printf '%d' 0x$(echo "$cid" | cut -c1-2)) & 0x1f | 0x20 )) 0a0b"
done
lib=$(LD_LIBRARY_PATH="$D$P/lib" ldd "$D/demo" | awk '/libquicsteer/ { print $3 }')
check "the shared demo runs on the installed library" "$lib" "$D$P/lib/libquicsteer.so.0"
out=$(LD_LIBRARY_PATH="$D$P/lib" "$D$P/bin/qs-h3server" --help 2>&1)
has "installed qs-h3server runs" "$out" "usage"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
