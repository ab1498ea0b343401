# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#
# Reads `tcpdump -nn -x` text (optionally -tt and -i any, whose lines name
# the interface) and prints one line per UDP datagram, encapsulated or not:
#
#   TIME IFACE SRC SPORT PAYLOAD
#
# TIME is tcpdump's first field, IFACE its interface name ("-" without
# -i any), SRC and SPORT the innermost IP source and UDP source port,
# PAYLOAD the captured UDP payload in hex (as much as the snap length
# kept). IPv4 options are skipped by IHL; an outer IPv4 or IPv6 header
# whose protocol is 4 (IPv4) or 41 (IPv6) is skipped to the inner one, as
# the router encapsulates; IPv6 extension headers are not walked (neither
# the clients nor the router send any). Used by tools/bench/e2e (whose
# packets are matched by payload across interfaces) and tools/demo/run
# (which reads the QUIC header's connection ID out of PAYLOAD).

function nib(s, i) { return index("0123456789abcdef", substr(s, i, 1)) - 1 }
function byte(s, i) { return nib(s, 2 * i + 1) * 16 + nib(s, 2 * i + 2) }

# An IPv6 address as `ip` prints it: the longest run of two or more zero
# groups (the first of equal ones) written "::".
function ip6(s, o,    g, i, run, best, at, a) {
	best = 1
	for (i = 0; i < 8; i++) {
		g[i] = byte(s, o + 2 * i) * 256 + byte(s, o + 2 * i + 1)
		run = g[i] == 0 ? run + 1 : 0
		if (run > best) { best = run; at = i - run + 1 }
	}
	a = ""
	for (i = 0; i < 8; i++) {
		if (best > 1 && i == at) { a = a "::"; i += best - 1; continue }
		a = a ((a == "" || a ~ /:$/) ? "" : ":") sprintf("%x", g[i])
	}
	return a
}

function flush(    o, v, proto, src, sport) {
	if (hex == "")
		return
	o = 0
	for (;;) {
		v = nib(hex, 2 * o + 1)
		if (v == 4) {
			proto = byte(hex, o + 9)
			src = byte(hex, o + 12) "." byte(hex, o + 13) "." byte(hex, o + 14) "." byte(hex, o + 15)
			o += 4 * nib(hex, 2 * o + 2)
		} else if (v == 6) {
			proto = byte(hex, o + 6)
			src = ip6(hex, o + 8)
			o += 40
		} else {
			break
		}
		if (proto == 17) {
			sport = byte(hex, o) * 256 + byte(hex, o + 1)
			print time, iface, src, sport, substr(hex, 2 * (o + 8) + 1)
			break
		}
		if (proto != 4 && proto != 41)
			break
	}
	hex = ""
}

/^[0-9]/ {
	flush()
	time = $1
	# -i any: "TIME IFACE DIR PROTO ..."; one interface: "TIME PROTO ...".
	iface = ($2 == "IP" || $2 == "IP6") ? "-" : $2
	next
}

/^[ \t]+0x[0-9a-f]+:/ {
	for (i = 2; i <= NF; i++)
		if ($i ~ /^[0-9a-f]+$/ && length($i) <= 4)
			hex = hex $i
}

END { flush() }
