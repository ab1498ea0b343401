// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Configuration errors: every message, exactly, with its line and column;
 * lines and words past the limits; random documents and raw bytes, which
 * must parse or fail with a line, never crash; the table limits. The rest
 * of the language is in test_config.c.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include "config/config.h"

static const char *err_str(const struct qs_config_error *e)
{
	static char buf[1024];

	return qs_config_error_str(e, buf, sizeof(buf));
}

struct err_case {
	const char *name;
	const char *text;
	const char *msg; /* the whole message, after "test.conf:LINE: " */
	unsigned int line;
	int column; /* -1: not checked */
};

#define V "vip web 192.0.2.1 443\n"
#define Q "quic-lb web config 0 mode plaintext server-id-len 2 nonce-len 6\n"
#define N "nexthop n dev eth0 encap-source4 10.1.0.0/16 encap-source6 2001:db8:1::\n"
#define B "backend b 10.0.0.1 id 1 "
#define QLB "quic-lb web config 0 mode "
#define X10 "xxxxxxxxxx"
#define X40 X10 X10 X10 X10
#define KEY "000102030405060708090a0b0c0d0e0f"
#define KEYF "/etc/quicsteer/web.lbkey"

static const struct err_case err_cases[] = {
	/* lexical and statements */
	{ "unknown statement", "vps web\n",
	  "unknown statement \"vps\" (expected pin-dir, control-socket, metrics-listen, "
	  "learned-ttl, flow-idle, heartbeat-timeout, sync-timeout, report-window, "
	  "report-accept-v1, backend-max-ids, interface, report-listen, vip, quic-lb, nexthop, "
	  "backend)",
	  1, 1 },
	{ "keyword prefix", "\nint eth0\n",
	  "unknown statement \"int\" (expected pin-dir, "
	  "control-socket, metrics-listen, learned-ttl, flow-idle, heartbeat-timeout, "
	  "sync-timeout, report-window, report-accept-v1, backend-max-ids, interface, "
	  "report-listen, vip, quic-lb, nexthop, backend)",
	  2, 1 },
	{ "control character", "# ok\nvip web\x01 192.0.2.1 443\n", "control character 0x01", 2,
	  8 },
	{ "delete character", "vip web 192.0.2.1 443 \x7f\n", "control character 0x7f", 1, 23 },
	/* settings */
	{ "pin-dir relative", "pin-dir run/x\n", "pin-dir: path \"run/x\" is not an absolute path",
	  1, 9 },
	{ "pin-dir missing", "pin-dir\n", "pin-dir: missing path", 1, 0 },
	{ "pin-dir extra word", "pin-dir /a /b\n", "pin-dir: unexpected \"/b\"", 1, 12 },
	{ "pin-dir twice", "pin-dir /a\n\npin-dir /b\n", "pin-dir: given twice (first on line 1)",
	  3, 1 },
	{ "control-socket too long", "control-socket /" X40 X40 X40 "\n",
	  "control-socket: path \"/" X10 X10 X10 "xxxxxxxxx...\" too long for a unix socket (121 "
	  "bytes, at most 107)",
	  1, 16 },
	{ "metrics port 0", "metrics-listen 127.0.0.1 0\n",
	  "metrics-listen: port 0 out of range (1..65535)", 1, 26 },
	{ "metrics host name", "metrics-listen localhost 9464\n",
	  "metrics-listen: address \"localhost\" is not an IPv4 or IPv6 address", 1, 16 },
	{ "duration without unit", "learned-ttl 30\n",
	  "learned-ttl \"30\" is not a duration (a number and a unit: ms, s, m, h)", 1, 13 },
	{ "duration with a space", "learned-ttl 30 s\n",
	  "learned-ttl \"30\" is not a duration (a number and a unit: ms, s, m, h)", 1, 13 },
	{ "learned-ttl too long", "learned-ttl 2h\n", "learned-ttl 2h out of range (100ms..1h)", 1,
	  13 },
	{ "duration overflow", "learned-ttl 99999999999999999999h\n",
	  "learned-ttl 99999999999999999999h out of range (100ms..1h)", 1, -1 },
	{ "flow-idle below RFC 9312", "flow-idle 119s\n",
	  "flow-idle 119s out of range (120s..24h; RFC 9312: NATs keep idle UDP bindings at least "
	  "2 "
	  "minutes)",
	  1, 11 },
	{ "flow-idle in ms", "flow-idle 119999ms\n",
	  "flow-idle 119999ms out of range (120s..24h; RFC 9312: NATs keep idle UDP bindings at "
	  "least 2 minutes)",
	  1, 11 },
	{ "flow-idle twice", "flow-idle 2m\nflow-idle 3m\n",
	  "flow-idle: given twice (first on line 1)", 2, 1 },
	{ "heartbeat word", "heartbeat-timeout never\n",
	  "heartbeat-timeout \"never\" is not a duration (a number and a unit: ms, s, m, h; or "
	  "off)",
	  1, 19 },
	{ "sync-timeout under 1s", "sync-timeout 999ms\n",
	  "sync-timeout 999ms out of range (1s..1h)", 1, 14 },
	{ "sync-timeout off", "sync-timeout off\n",
	  "sync-timeout \"off\" is not a duration (a number and a unit: ms, s, m, h)", 1, 14 },
	{ "report-window under 1s", "report-window 999ms\n",
	  "report-window 999ms out of range (1s..1h)", 1, 15 },
	{ "report-window off", "report-window off\n",
	  "report-window \"off\" is not a duration (a number and a unit: ms, s, m, h)", 1, 15 },
	{ "report-accept-v1 word", "report-accept-v1 yes\n",
	  "report-accept-v1 \"yes\" is not one of on|off", 1, 18 },
	{ "backend-max-ids over the table", "backend-max-ids 2097153\n",
	  "backend-max-ids 2097153 out of range (0..2097152; the ID table's size)", 1, 17 },
	{ "backend-max-ids past 32 bits", "backend-max-ids 4294967295\n",
	  "backend-max-ids 4294967295 out of range (0..2097152; the ID table's size)", 1, 17 },
	{ "backend-max-ids word", "backend-max-ids all\n",
	  "backend-max-ids \"all\" is not a number (0..2097152)", 1, 17 },
	{ "backend-max-ids twice", "backend-max-ids 1\nbackend-max-ids 2\n",
	  "backend-max-ids: given twice (first on line 1)", 2, 1 },
	/* interfaces */
	{ "interface slash", "interface eth0/1\n",
	  "interface: name \"eth0/1\" is not a valid interface name", 1, 11 },
	{ "interface too long", "interface abcdefghijklmnop\n",
	  "interface: name \"abcdefghijklmnop\" is longer than 15 bytes", 1, 11 },
	{ "interface mode", "interface eth0 mode fast\n",
	  "interface \"eth0\": mode \"fast\" is not one of native|generic", 1, 21 },
	{ "interface mode value", "interface eth0 mode\n",
	  "interface \"eth0\": mode needs a value (native|generic)", 1, 16 },
	{ "interface twice", "interface eth0\ninterface eth0 mode generic\n",
	  "interface \"eth0\": given twice (first on line 1)", 2, 0 },
	/* report listeners */
	{ "listener kind", "report-listen tcp 0.0.0.0 1\n",
	  "report-listen: \"tcp\" is not one of udp|unix", 1, 15 },
	{ "listener nothing", "report-listen\n", "report-listen: missing udp or unix", 1, 0 },
	{ "listener port", "report-listen udp 0.0.0.0 65536\n",
	  "report-listen: port 65536 out of range (1..65535)", 1, 27 },
	{ "listener no port", "report-listen udp ::\n", "report-listen: missing port", 1, 0 },
	{ "listener twice", "report-listen udp :: 4434\nreport-listen udp :: 4434\n",
	  "report-listen udp :: 4434: given twice (first on line 1)", 2, 0 },
	{ "listener group on UDP", "report-listen udp :: 4434 group quicsteer\n",
	  "report-listen udp :: 4434: group is for unix sockets", 1, 0 },
	{ "listener group twice", "report-listen unix /run/r.sock group a group b\n",
	  "report-listen: group given twice", 1, 40 },
	{ "listener group name", "report-listen unix /run/r.sock group -x\n",
	  "report-listen: group \"-x\" must start with a letter or a digit", 1, 38 },
	{ "listener on the control socket", "report-listen unix /run/quicsteer/control.sock\n",
	  "report-listen unix /run/quicsteer/control.sock: that is the control socket's path", 1,
	  0 },
	/* VIPs */
	{ "vip name character", "vip we$b 192.0.2.1 443\n",
	  "vip: name \"we$b\" may hold only letters, digits, '-', '_' and '.'", 1, 5 },
	{ "vip name start", "vip -web 192.0.2.1 443\n",
	  "vip: name \"-web\" must start with a letter or a digit", 1, 5 },
	{ "vip name too long", "vip abcdefghijabcdefghijabcdefghijab 192.0.2.1 443\n",
	  "vip: name \"abcdefghijabcdefghijabcdefghijab\" is longer than 31 bytes", 1, 5 },
	{ "vip address", "vip web 192.0.2 443\n",
	  "vip \"web\": address \"192.0.2\" is not an IPv4 or IPv6 address", 1, 9 },
	{ "vip unspecified", "vip web 0.0.0.0 443\n",
	  "vip \"web\": address 0.0.0.0 is the unspecified address", 1, 9 },
	{ "vip zone", "vip web fe80::1%eth0 443\n",
	  "vip \"web\": address \"fe80::1%eth0\" is not an IPv4 or IPv6 address", 1, 9 },
	{ "vip port missing", "vip web 192.0.2.1\n", "vip \"web\": missing port", 1, 0 },
	{ "vip port 0", "vip web 192.0.2.1 0\n", "vip \"web\": port 0 out of range (1..65535)", 1,
	  19 },
	{ "vip port sign", "vip web 192.0.2.1 +443\n",
	  "vip \"web\": port \"+443\" is not a number (1..65535)", 1, 19 },
	{ "vip cid-len", "vip web 192.0.2.1 443 cid-len 21\n",
	  "vip \"web\": cid-len 21 out of range (0..20)", 1, 31 },
	{ "vip cid-len hex", "vip web 192.0.2.1 443 cid-len 0x8\n",
	  "vip \"web\": cid-len \"0x8\" is not a number (0..20)", 1, 31 },
	{ "vip cid-len value", "vip web 192.0.2.1 443 cid-len\n",
	  "vip \"web\": cid-len needs a value (0..20)", 1, 23 },
	{ "vip option twice", "vip web 192.0.2.1 443 cid-len 4 cid-len 8\n",
	  "vip \"web\": cid-len given twice", 1, 33 },
	{ "vip unknown option", "vip web 192.0.2.1 443 cidlen 8\n",
	  "vip \"web\": unknown option \"cidlen\" (expected id, cid-len, unknown, fragments, "
	  "forward, learn, address-entry)",
	  1, 23 },
	{ "vip id", "vip web 192.0.2.1 443 id 32\n", "vip \"web\": id 32 out of range (0..31)", 1,
	  26 },
	{ "vip unknown policy", "vip web 192.0.2.1 443 unknown maybe\n",
	  "vip \"web\": unknown \"maybe\" is not one of drop|hash", 1, 31 },
	{ "vip fragments", "vip web 192.0.2.1 443 fragments keep\n",
	  "vip \"web\": fragments \"keep\" is not one of drop|pass|hash", 1, -1 },
	{ "vip forward", "vip web 192.0.2.1 443 forward dsr\n",
	  "vip \"web\": forward \"dsr\" is not one of encap|l2dsr", 1, -1 },
	{ "vip learn", "vip web 192.0.2.1 443 learn yes\n",
	  "vip \"web\": learn \"yes\" is not one of on|off", 1, -1 },
	{ "vip name twice", V "vip web 192.0.2.2 443\n",
	  "vip \"web\": name given twice (first on line 1)", 2, 0 },
	{ "vip id twice", "vip a 192.0.2.1 443 id 3\nvip b 192.0.2.2 443 id 3\n",
	  "vip \"b\": id 3 already used by vip \"a\" (line 1)", 2, 0 },
	{ "vip address and port twice", "vip a 2001:db8::1 443\nvip b 2001:db8::1 443\n",
	  "vip \"b\": 2001:db8::1 port 443 already used by vip \"a\" (line 1)", 2, 0 },
	{ "vip fragments differ", "vip a 192.0.2.1 443\nvip b 192.0.2.1 444 fragments hash\n",
	  "vip \"b\": fragments hash differs from vip \"a\" (line 1, fragments drop) on the same "
	  "address 192.0.2.1",
	  2, 0 },
	/* QUIC-LB */
	{ "quic-lb config required", "quic-lb web mode plaintext server-id-len 2 nonce-len 6\n",
	  "quic-lb \"web\": config required (0..6)", 1, 0 },
	{ "quic-lb config 7", "quic-lb web config 7\n",
	  "quic-lb \"web\": config 7 out of range (0..6)", 1, 20 },
	{ "quic-lb mode", QLB "rot13\n",
	  "quic-lb \"web\": mode \"rot13\" is not one of plaintext|aes-single|aes-four-pass", 1,
	  27 },
	{ "quic-lb server-id-len 0", QLB "plaintext server-id-len 0 nonce-len 6\n",
	  "quic-lb \"web\": server-id-len 0 out of range (1..15)", 1, -1 },
	{ "quic-lb nonce-len 3", QLB "plaintext server-id-len 2 nonce-len 3\n",
	  "quic-lb \"web\": nonce-len 3 out of range (4..18)", 1, -1 },
	{ "quic-lb nonce-len 19", QLB "plaintext server-id-len 2 nonce-len 19\n",
	  "quic-lb \"web\": nonce-len 19 out of range (4..18)", 1, -1 },
	{ "quic-lb over 20 bytes", QLB "plaintext server-id-len 15 nonce-len 5\n",
	  "quic-lb \"web\" config 0: server-id-len 15 + nonce-len 5 = 20, more than 19 (the ID's "
	  "first byte makes 20)",
	  1, 0 },
	{ "quic-lb aes-single length",
	  QLB "aes-single server-id-len 3 nonce-len 8 key-file " KEYF "\n",
	  "quic-lb \"web\" config 0: aes-single needs server-id-len + nonce-len = 16, not 11 (use "
	  "aes-four-pass)",
	  1, 0 },
	{ "quic-lb four-pass of 16",
	  QLB "aes-four-pass server-id-len 4 nonce-len 12 key-file " KEYF "\n",
	  "quic-lb \"web\" config 0: server-id-len + nonce-len = 16 needs aes-single, not "
	  "aes-four-pass",
	  1, 0 },
	{ "quic-lb key-file missing", QLB "aes-four-pass server-id-len 3 nonce-len 8\n",
	  "quic-lb \"web\" config 0: mode aes-four-pass needs a key-file", 1, 0 },
	{ "quic-lb plaintext key-file",
	  QLB "plaintext server-id-len 2 nonce-len 6 key-file " KEYF "\n",
	  "quic-lb \"web\" config 0: mode plaintext takes no key-file", 1, 0 },
	{ "quic-lb key-file relative",
	  QLB "aes-single server-id-len 4 nonce-len 12 key-file lb.key\n",
	  "quic-lb \"web\": key-file \"lb.key\" is not an absolute path", 1, -1 },
	/* a key in the configuration is refused, and never echoed: messages end up in logs */
	{ "quic-lb key in the configuration, not echoed",
	  QLB "aes-single server-id-len 4 nonce-len 12 key " KEY "\n",
	  "quic-lb \"web\": key: QUIC-LB keys are read from files, never written in the "
	  "configuration (which the agent shows): use key-file PATH",
	  1, 71 },
	{ "quic-lb unknown vip", Q, "quic-lb \"web\" config 0: unknown vip \"web\"", 1, 0 },
	{ "quic-lb twice", V Q Q, "quic-lb \"web\" config 0: given twice (first on line 2)", 3, 0 },
	/* nexthops */
	{ "nexthop dev required", "nexthop n gateway 192.0.2.1\n",
	  "nexthop \"n\": dev required (an interface name)", 1, 0 },
	{ "nexthop dev", "nexthop n dev a:b\n",
	  "nexthop \"n\": dev \"a:b\" is not a valid interface name", 1, 15 },
	{ "nexthop lladdr without gateway", "nexthop n dev eth0 lladdr 02:00:00:00:00:01\n",
	  "nexthop \"n\": lladdr needs a gateway (without one, each backend's own address is "
	  "resolved; give the backend an lladdr)",
	  1, 0 },
	{ "nexthop lladdr short", "nexthop n dev eth0 lladdr 02:00:00:00:00\n",
	  "nexthop \"n\": lladdr \"02:00:00:00:00\" is not a MAC address (xx:xx:xx:xx:xx:xx)", 1,
	  27 },
	{ "nexthop lladdr multicast", "nexthop n dev eth0 lladdr 01:00:5e:00:00:01\n",
	  "nexthop \"n\": lladdr 01:00:5e:00:00:01 is not a unicast MAC address", 1, 27 },
	{ "encap-source4 host bits", "nexthop n dev eth0 encap-source4 10.1.1.1/24\n",
	  "nexthop \"n\": encap-source4 10.1.1.1/24 has host bits set (the flow hash fills them)",
	  1, 34 },
	{ "encap-source4 prefix", "nexthop n dev eth0 encap-source4 10.0.0.0/8\n",
	  "nexthop \"n\": encap-source4 10.0.0.0/8: prefix length 8 out of range (16..32)", 1, 34 },
	{ "encap-source4 bits word", "nexthop n dev eth0 encap-source4 10.1.1.1/x\n",
	  "nexthop \"n\": encap-source4 \"10.1.1.1/x\" is not an IPv4 ADDRESS[/BITS]", 1, 34 },
	{ "encap-source4 IPv6", "nexthop n dev eth0 encap-source4 2001:db8::/112\n",
	  "nexthop \"n\": encap-source4 \"2001:db8::/112\" is not an IPv4 ADDRESS[/BITS]", 1, 34 },
	{ "encap-source4 16 characters", "nexthop n dev eth0 encap-source4 192.168.100.1001\n",
	  "nexthop \"n\": encap-source4 \"192.168.100.1001\" is not an IPv4 ADDRESS[/BITS]", 1,
	  34 },
	{ "encap-source6 low bits", "nexthop n dev eth0 encap-source6 2001:db8::1\n",
	  "nexthop \"n\": encap-source6 2001:db8::1 has low 16 bits set (the flow hash fills them)",
	  1, 34 },
	{ "encap-source6 IPv4", "nexthop n dev eth0 encap-source6 10.0.0.0\n",
	  "nexthop \"n\": encap-source6 \"10.0.0.0\" is not an IPv6 address", 1, 34 },
	{ "nexthop ttl 0", "nexthop n dev eth0 ttl 0\n",
	  "nexthop \"n\": ttl 0 out of range (1..255)", 1, 24 },
	{ "nexthop gateway unspecified", "nexthop n dev eth0 gateway ::\n",
	  "nexthop \"n\": gateway :: is the unspecified address", 1, 28 },
	{ "nexthop name twice", N N, "nexthop \"n\": name given twice (first on line 1)", 2, 0 },
	/* backends alone */
	{ "backend id required", V N "backend b 10.0.0.1 vip web\n",
	  "backend \"b\": id required (1..4095)", 3, 0 },
	{ "backend id 0", "backend b 10.0.0.1 id 0\n", "backend \"b\": id 0 out of range (1..4095)",
	  1, 23 },
	{ "backend id 4096", "backend b 10.0.0.1 id 4096\n",
	  "backend \"b\": id 4096 out of range (1..4095)", 1, 23 },
	{ "backend weight", B "weight 65536\n",
	  "backend \"b\": weight 65536 out of range (0..65535)", 1, 32 },
	{ "backend max-ids over the table", B "max-ids 3000000\n",
	  "backend \"b\": max-ids 3000000 out of range (0..2097152; the ID table's size)", 1, 33 },
	{ "backend max-ids negative", B "max-ids -1\n",
	  "backend \"b\": max-ids \"-1\" is not a number (0..2097152)", 1, 33 },
	{ "backend max-ids value", B "max-ids\n",
	  "backend \"b\": max-ids needs a value (0..2097152)", 1, 25 },
	{ "backend max-ids twice", B "max-ids 1 max-ids 2\n", "backend \"b\": max-ids given twice",
	  1, 35 },
	{ "backend state", B "state gone\n",
	  "backend \"b\": state \"gone\" is not one of active|draining|down", 1, 31 },
	{ "backend vip twice", B "vip web vip web\n", "backend \"b\": vip \"web\" given twice", 1,
	  37 },
	{ "backend vip name", B "vip w@b\n",
	  "backend \"b\": vip \"w@b\" may hold only letters, digits, '-', '_' and '.'", 1, 29 },
	{ "backend vip value", B "vip\n", "backend \"b\": vip needs a value (VIP)", 1, 25 },
	{ "backend key-file relative", B "key-file keys/b\n",
	  "backend \"b\": key-file \"keys/b\" is not an absolute path", 1, 34 },
	{ "backend key-file twice", B "key-file /a key-file /b\n",
	  "backend \"b\": key-file given twice", 1, 37 },
	{ "backend address", "backend b 10.0.0.256 id 1\n",
	  "backend \"b\": address \"10.0.0.256\" is not an IPv4 or IPv6 address", 1, 11 },
	{ "server-id nothing", B "server-id\n", "backend \"b\": missing server-id vip", 1, 0 },
	{ "server-id without bytes", B "server-id web 0\n", "backend \"b\": missing server-id", 1,
	  0 },
	{ "server-id config", B "server-id web 7 01\n",
	  "backend \"b\": server-id config 7 out of range (0..6)", 1, 39 },
	{ "server-id not hex", B "server-id web 0 0g\n",
	  "backend \"b\": server-id \"0g\" is not hex bytes", 1, 41 },
	{ "server-id odd digits", B "server-id web 0 012\n",
	  "backend \"b\": server-id \"012\" is not hex bytes", 1, 41 },
	{ "server-id too long", B "server-id web 0 ffeeddccbbaa99887766554433221100\n",
	  "backend \"b\": server-id ffeeddccbbaa99887766554433221100 longer than 15 bytes", 1, 41 },
	{ "two server-ids, one config",
	  V Q N B "vip web server-id web 0 0001 server-id web 0 0002\n",
	  "backend \"b\": two server-ids for vip \"web\" config 0", 4, 0 },
	/* backends against the rest */
	{ "backend unknown vip", V N B "vip wbe\n", "backend \"b\": unknown vip \"wbe\"", 3, 0 },
	{ "backend without nexthops", V B "vip web\n", "backend \"b\": no nexthop declared", 2, 0 },
	{ "backend nexthop ambiguous", V N "nexthop m dev eth1\n" B "vip web\n",
	  "backend \"b\": nexthop required (2 nexthops are declared)", 4, 0 },
	{ "backend unknown nexthop", V N B "vip web nexthop x\n",
	  "backend \"b\": unknown nexthop \"x\"", 3, 0 },
	{ "backend name twice", V N B "vip web\nbackend b 10.0.0.2 id 2\n",
	  "backend \"b\": name given twice (first on line 3)", 4, 0 },
	{ "backend id twice", V N "backend a 10.0.0.1 id 7\nbackend b 10.0.0.2 id 7\n",
	  "backend \"b\": id 7 already used by backend \"a\" (line 3)", 4, 0 },
	{ "IPv4 backend of an IPv6 vip", "vip web6 2001:db8::1 443\n" N B "vip web6\n",
	  "backend \"b\": IPv4 address cannot serve IPv6 vip \"web6\" (IPv6 clients are "
	  "encapsulated to IPv6 backends only)",
	  3, 0 },
	{ "no encap-source4", V "nexthop n dev eth0\n" B "vip web\n",
	  "backend \"b\": nexthop \"n\" has no encap-source4 (vip \"web\" encapsulates to this "
	  "IPv4 "
	  "backend)",
	  3, 0 },
	{ "no encap-source6",
	  V "nexthop n dev eth0 encap-source4 10.1.0.0/16\n"
	    "backend b 2001:db8::5 id 1 vip web\n",
	  "backend \"b\": nexthop \"n\" has no encap-source6 (vip \"web\" encapsulates to this "
	  "IPv6 "
	  "backend)",
	  3, 0 },
	{ "l2dsr through a gateway",
	  "vip lan 192.0.2.1 443 forward l2dsr\n"
	  "nexthop gw dev eth0 gateway 192.0.2.254\nbackend b 192.0.2.5 id 1 vip lan\n",
	  "backend \"b\": vip \"lan\" forwards l2dsr, which needs an on-link nexthop (nexthop "
	  "\"gw\" "
	  "has a gateway)",
	  3, 0 },
	{ "backend lladdr through a gateway",
	  V "nexthop gw dev eth0 gateway 192.0.2.254 encap-source4 10.1.0.0/16\n" B
	    "vip web lladdr 02:00:00:00:00:05\n",
	  "backend \"b\": lladdr needs an on-link nexthop (nexthop \"gw\" has a gateway)", 3, 0 },
	{ "server-id of a vip not served", V Q N B "server-id web 0 0001\n",
	  "backend \"b\": server-id for vip \"web\", which it does not serve (add vip web)", 4, 0 },
	{ "server-id without quic-lb", V Q N B "vip web server-id web 3 0001\n",
	  "backend \"b\": server-id for vip \"web\" config 3, which has no quic-lb statement", 4,
	  0 },
	{ "server-id length", V Q N B "vip web server-id web 0 000102\n",
	  "backend \"b\": server-id 000102 for vip \"web\" config 0 is 3 bytes, the config's "
	  "server-id-len is 2",
	  4, 0 },
	{ "server-id of two backends",
	  V Q N "backend b1 10.0.0.1 id 1 vip web server-id web 0 0001\n"
		"backend b2 10.0.0.2 id 2 vip web server-id web 0 0001\n",
	  "backend \"b2\": server-id 0001 for vip \"web\" config 0 already belongs to backend "
	  "\"b1\" "
	  "(line 4)",
	  5, 0 },
	/* which problem is reported */
	{ "the earliest line wins", "vip a 192.0.2.1 443\n" N B "vip nope\nvip a 192.0.2.2 443\n",
	  "backend \"b\": unknown vip \"nope\"", 3, 0 },
	{ "syntax before rules", B "vip nope\nvip web 192.0.2.1 443 cid-len 99\n",
	  "vip \"web\": cid-len 99 out of range (0..20)", 2, 31 },
};

#define N_ERR_CASES (sizeof(err_cases) / sizeof(err_cases[0]))

/* Indices, not pointers: Criterion runs each parameter in a fresh process. */
ParameterizedTestParameters(config, errors)
{
	static size_t indices[N_ERR_CASES];

	for (size_t i = 0; i < N_ERR_CASES; i++)
		indices[i] = i;
	return cr_make_param_array(size_t, indices, N_ERR_CASES);
}

ParameterizedTest(size_t *index, config, errors)
{
	const struct err_case *c = &err_cases[*index];
	struct qs_config *cfg = (struct qs_config *)&cfg;
	struct qs_config_error e;
	char want[1024];
	int r = qs_config_parse_string("test.conf", c->text, &cfg, &e);

	cr_assert_eq(r, -EINVAL, "%s: got %d want -EINVAL", c->name, r);
	cr_assert_null(cfg, "%s: a configuration came back with the error", c->name);
	snprintf(want, sizeof(want), "test.conf:%u: %s", c->line, c->msg);
	cr_assert_str_eq(err_str(&e), want, "%s:\n got  %s\n want %s", c->name, err_str(&e), want);
	if (c->column >= 0)
		cr_assert_eq(e.column, (unsigned int)c->column, "%s: column got %u want %d",
			     c->name, e.column, c->column);
	cr_assert_null(strstr(e.msg, "0102030405060708090a0b0c0d0e0f"),
		       "%s: a key was echoed in the message", c->name);
}

static int parse_err(const char *text, size_t len, struct qs_config_error *e)
{
	struct qs_config *cfg = (struct qs_config *)&cfg;
	int r = qs_config_parse_buf("test.conf", text, len, 0, &cfg, e);

	if (!r)
		qs_config_free(cfg);
	else
		cr_assert_null(cfg);
	return r;
}

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	cr_assert_not_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

Test(config, long_lines_and_words_are_refused_not_cut)
{
	char *x = repeat('x', 20000), *text = malloc(30000);
	struct qs_config *cfg;
	struct qs_config_error e;

	/* a comment line of exactly the limit is fine, one byte more is not */
	snprintf(text, 30000, "vip web 192.0.2.1 443\n#%.*s\n", QS_CONFIG_LINE_MAX - 1, x);
	cr_assert_eq(parse_err(text, strlen(text), &e), 0, "%s", err_str(&e));
	snprintf(text, 30000, "vip web 192.0.2.1 443\n#%.*s\n", QS_CONFIG_LINE_MAX, x);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:2: line too long (8193 bytes, at most 8192)");

	/* the longest word lands whole */
	snprintf(text, 30000, "pin-dir /%.*s\n", QS_CONFIG_WORD_MAX - 1, x);
	cr_assert_eq(qs_config_parse_string("t", text, &cfg, &e), 0, "%s", err_str(&e));
	cr_assert_eq(strlen(cfg->pin_dir), QS_CONFIG_WORD_MAX, "pin-dir was cut");
	qs_config_free(cfg);
	snprintf(text, 30000, "pin-dir /%.*s\n", QS_CONFIG_WORD_MAX, x);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:1: pin-dir: word too long (1024 bytes, at most "
				      "1023)");
	cr_assert_eq(e.column, 9);
	snprintf(text, 30000, "%.*s\n", 5000, x);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:1: word too long (5000 bytes, at most 1023)");

	/* a long word in a message is cut to 40 bytes and says so */
	snprintf(text, 30000, "vip web 192.0.2.1 443 unknown %.*s\n", 1000, x);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:1: vip \"web\": unknown \"" X40 "...\" is not one "
				      "of drop|hash");
	free(text);
	free(x);
}

/* Lines counted through a NUL byte: buffers come from files, not C strings. */
Test(config, nul_byte_is_refused_with_its_line)
{
	static const char text[] = "vip web 192.0.2.1 443\n\nvip w2 192.0.2.1\0 444\n";
	struct qs_config_error e;

	cr_assert_eq(parse_err(text, sizeof(text) - 1, &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:3: control character 0x00");
	cr_assert_eq(e.column, 17);
}

static __u64 rng_next(__u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static const char *const soup[] = {
	"pin-dir",
	"control-socket",
	"metrics-listen",
	"learned-ttl",
	"flow-idle",
	"heartbeat-timeout",
	"sync-timeout",
	"report-window",
	"report-accept-v1",
	"backend-max-ids",
	"max-ids",
	"2097152",
	"interface",
	"report-listen",
	"group",
	"vip",
	"quic-lb",
	"nexthop",
	"backend",
	"id",
	"cid-len",
	"unknown",
	"fragments",
	"forward",
	"learn",
	"config",
	"mode",
	"server-id-len",
	"nonce-len",
	"key",
	"dev",
	"gateway",
	"lladdr",
	"encap-source4",
	"encap-source6",
	"ttl",
	"weight",
	"state",
	"server-id",
	"key-file",
	"udp",
	"unix",
	"web",
	"b1",
	"n",
	"eth0",
	"192.0.2.1",
	"10.0.0.1",
	"2001:db8::1",
	"2001:db8:1::",
	"::",
	"0",
	"1",
	"2",
	"6",
	"8",
	"443",
	"65536",
	"4095",
	"30s",
	"2m",
	"500ms",
	"off",
	"drop",
	"hash",
	"pass",
	"encap",
	"l2dsr",
	"on",
	"native",
	"generic",
	"plaintext",
	"aes-single",
	"aes-four-pass",
	"0001",
	KEY,
	"02:00:00:00:00:01",
	"/run/x.sock",
	"10.1.0.0/16",
	"#",
	"active",
	"draining",
	"down",
};

#define SOUP_N (sizeof(soup) / sizeof(soup[0]))

/* A word from the soup, or random bytes (now and then a control byte). */
static size_t random_word(__u64 *s, char *out)
{
	size_t n;

	if (rng_next(s) % 5) {
		const char *w = soup[rng_next(s) % SOUP_N];

		n = strlen(w);
		memcpy(out, w, n);
		return n;
	}
	n = 1 + rng_next(s) % 12;
	for (size_t i = 0; i < n; i++) {
		__u64 r = rng_next(s);

		out[i] = (char)(r % 97 ? 0x21 + r % 94 : r % 256);
	}
	return n;
}

/* Builds a document of lines; returns its length and line count. */
static size_t random_doc(__u64 *s, char *doc, unsigned int *lines)
{
	size_t len = 0;

	*lines = 1 + rng_next(s) % 6;
	for (unsigned int l = 0; l < *lines; l++) {
		unsigned int words = rng_next(s) % 12;

		if (rng_next(s) % 5) {
			const char *stmt = soup[rng_next(s) % 12];

			memcpy(doc + len, stmt, strlen(stmt));
			len += strlen(stmt);
		}
		for (unsigned int w = 0; w < words; w++) {
			doc[len++] = rng_next(s) % 7 ? ' ' : '\t';
			len += random_word(s, doc + len);
		}
		doc[len++] = '\n';
	}
	return len;
}

Test(config, random_lines_never_crash_and_always_say_where)
{
	__u64 seed = 0x5eed0c0f1600d5ull;
	unsigned int parsed = 0, failed = 0, lines, nl;
	struct qs_config_error e;
	char doc[8192];

	for (int i = 0; i < 4000; i++) {
		size_t len = random_doc(&seed, doc, &lines);
		int r = parse_err(doc, len, &e);

		nl = 0;
		for (size_t j = 0; j < len; j++)
			nl += doc[j] == '\n';
		if (!r) {
			parsed++;
			continue;
		}
		failed++;
		cr_assert_eq(r, -EINVAL, "doc %d: got %d want -EINVAL: %s", i, r, err_str(&e));
		cr_assert(e.line >= 1 && e.line <= nl, "doc %d: line %u outside 1..%u: %s", i,
			  e.line, nl, err_str(&e));
		cr_assert(e.msg[0], "doc %d: an empty message", i);
	}
	cr_assert(parsed > 0 && failed > 0, "random documents: %u parsed, %u failed", parsed,
		  failed);
}

/* Raw bytes, NULs and newlines included. */
Test(config, random_bytes_never_crash)
{
	__u64 seed = 0xb17e5ull;
	struct qs_config_error e;
	char buf[2048];

	for (int i = 0; i < 2000; i++) {
		size_t len = rng_next(&seed) % sizeof(buf);
		int r;

		for (size_t j = 0; j < len; j++)
			buf[j] = (char)rng_next(&seed);
		r = parse_err(buf, len, &e);
		cr_assert(r == 0 || (r == -EINVAL && e.line >= 1), "bytes %d: %d %s", i, r,
			  err_str(&e));
	}
}

static char *many(const char *head, const char *fmt, unsigned int n)
{
	size_t size = strlen(head) + (size_t)n * 128 + 1, len = 0;
	char *text = malloc(size);

	cr_assert_not_null(text);
	len = (size_t)snprintf(text, size, "%s", head);
	for (unsigned int i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, size - len, fmt, i, i / 256, i % 256,
					i % (QS_MAX_BACKENDS - 1) + 1);
	return text;
}

Test(config, limits_of_the_tables)
{
	struct qs_config_error e;
	char *text;

	text = many("", "vip v%u 192.0.%u.%u 443\n", QS_MAX_VIPS);
	cr_assert_eq(parse_err(text, strlen(text), &e), 0, "%s", err_str(&e));
	free(text);
	text = many("", "vip v%u 192.0.%u.%u 443\n", QS_MAX_VIPS + 1);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:33: vip \"v32\": more than 32 vips");
	free(text);

	text = many(V N, "backend b%u 10.1.%u.%u id %u\n", QS_MAX_BACKENDS - 1);
	cr_assert_eq(parse_err(text, strlen(text), &e), 0, "%s", err_str(&e));
	free(text);
	text = many(V N, "backend b%u 10.1.%u.%u id %u\n", QS_MAX_BACKENDS);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:4098: backend \"b4095\": more than 4095 backends");
	free(text);

	text = many("", "nexthop n%u dev eth0\n", QS_CONFIG_MAX_NEXTHOPS + 1);
	cr_assert_eq(parse_err(text, strlen(text), &e), -EINVAL);
	cr_assert_str_eq(err_str(&e), "test.conf:257: nexthop \"n256\": more than 256 nexthops");
	free(text);
}
