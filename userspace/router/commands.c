// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The one table of commands (commands.h). The synopses are the CLI's; the
 * agent's handlers say their own usage in their errors, which the protocol
 * documents, so they are not derived from here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"

/*
 * OBJECT VERB, where it runs, the fewest arguments the CLI accepts, their
 * synopsis and the help line. The order is --help's.
 */
const struct qs_command qs_commands[QS_CMD__COUNT] = {
	[QS_CMD_STATUS] = { "status", NULL, QS_CMD_AGENT, 0, "",
			    "the agent, the router's program, attachments and table occupancy" },
	[QS_CMD_HEALTH] = { "health", NULL, QS_CMD_LOCAL, 0,
			    "[--watch [--interval DURATION] [--rise N] [--fall N] [--up CMD] "
			    "[--down CMD]]",
			    "whether this balancer should attract traffic: agent answering, ready, "
			    "synced, router attached (exit 0 or 1); --watch runs --up, --down" },
	[QS_CMD_RELOAD] = { "reload", NULL, QS_CMD_AGENT, 0, "",
			    "read the configuration file again" },
	[QS_CMD_SHOW] = { "show", NULL, QS_CMD_REQUEST, 0, "",
			  "the running configuration, as text" },
	[QS_CMD_ATTACH_DEV] = { "attach", "dev", QS_CMD_AGENT, 1, "IFNAME [mode native|generic]",
				"attach the router to an interface (native mode unless told)" },
	[QS_CMD_DETACH_DEV] = { "detach", "dev", QS_CMD_AGENT, 1, "IFNAME",
				"detach the router from an interface" },
	[QS_CMD_MONITOR] = { "monitor", NULL, QS_CMD_AGENT, 0, "",
			     "the router's events and the report intake, as they happen, until "
			     "interrupted" },
	[QS_CMD_STATS] = { "stats", NULL, QS_CMD_LOCAL, 0, "[-w]",
			   "counters per reason, VIP and backend" },
	[QS_CMD_VIP_SHOW] = { "vip", "show", QS_CMD_LOCAL, 0, "[NAME]", "list VIPs" },
	[QS_CMD_VIP_ADD] = { "vip", "add", QS_CMD_AGENT, 3,
			     "NAME ADDRESS PORT [id N] [cid-len N] [unknown drop|hash] "
			     "[fragments drop|pass|hash] [forward encap|l2dsr] [learn on|off] "
			     "[address-entry initial|handshake]",
			     "add a VIP" },
	[QS_CMD_VIP_SET] = { "vip", "set", QS_CMD_AGENT, 2,
			     "NAME [cid-len N] [unknown drop|hash] [fragments drop|pass|hash] "
			     "[forward encap|l2dsr] [learn on|off] [address-entry "
			     "initial|handshake]",
			     "change a VIP's options" },
	[QS_CMD_VIP_DEL] = { "vip", "del", QS_CMD_AGENT, 1, "NAME", "remove a VIP" },
	[QS_CMD_BACKEND_SHOW] = { "backend", "show", QS_CMD_LOCAL, 0, "[NAME]", "list backends" },
	[QS_CMD_BACKEND_ADD] = { "backend", "add", QS_CMD_AGENT, 4,
				 "NAME ADDRESS id N [vip VIP] [weight N] [state STATE] "
				 "[nexthop NAME] [lladdr MAC] [server-id VIP N HEX] "
				 "[key-file FILE] [max-ids N]",
				 "add a backend" },
	[QS_CMD_BACKEND_SET] = { "backend", "set", QS_CMD_AGENT, 2,
				 "NAME [weight N] [state active|draining|down] [max-ids N] "
				 "[server-id VIP N HEX]...",
				 "change a backend's weight, state, quota of IDs or QUIC-LB server "
				 "IDs (all given replace all it had)" },
	[QS_CMD_BACKEND_DEL] = { "backend", "del", QS_CMD_AGENT, 1, "NAME", "remove a backend" },
	[QS_CMD_BACKEND_DRAIN] = { "backend", "drain", QS_CMD_AGENT, 1, "NAME",
				   "no new connections to a backend" },
	[QS_CMD_BACKEND_UNDRAIN] = { "backend", "undrain", QS_CMD_AGENT, 1, "NAME",
				     "make a backend active again" },
	[QS_CMD_NEXTHOP_ADD] = { "nexthop", "add", QS_CMD_AGENT, 3,
				 "NAME dev IFNAME [gateway ADDRESS] [lladdr MAC] "
				 "[encap-source4 PREFIX] [encap-source6 ADDRESS] [ttl N]",
				 "add a next hop" },
	[QS_CMD_NEXTHOP_DEL] = { "nexthop", "del", QS_CMD_AGENT, 1, "NAME", "remove a next hop" },
	[QS_CMD_QUICLB_ADD] = { "quic-lb", "add", QS_CMD_AGENT, 9,
				"VIP config N mode M server-id-len N nonce-len N [key-file PATH]",
				"add a QUIC-LB configuration" },
	[QS_CMD_QUICLB_DEL] = { "quic-lb", "del", QS_CMD_AGENT, 2, "VIP N",
				"remove a QUIC-LB configuration" },
	[QS_CMD_CID_SHOW] = { "cid", "show", QS_CMD_LOCAL, 0, "[vip ID] [backend ID]",
			      "reported and operator IDs by fingerprint, learned IDs whole" },
	[QS_CMD_CID_LOOKUP] = { "cid", "lookup", QS_CMD_LOCAL, 2, "VIP-ID HEX", "one ID's entry" },
	[QS_CMD_CID_ADD] = { "cid", "add", QS_CMD_AGENT, 4, "VIP-ID HEX backend ID",
			     "an operator's entry: no report or expiry removes it" },
	[QS_CMD_CID_DEL] = { "cid", "del", QS_CMD_AGENT, 2, "VIP-ID HEX",
			     "remove an ID's entry, whoever made it" },
	[QS_CMD_CID_FLUSH] = { "cid", "flush", QS_CMD_AGENT, 0,
			       "[vip ID] [backend ID] [learned|reported|operator|all]",
			       "remove the matching entries (all kinds unless one is named)" },
	[QS_CMD_FLOW_SHOW] = { "flow", "show", QS_CMD_LOCAL, 0, "[vip ID] [backend ID]",
			       "the address tables: clients, their backend, established or new, "
			       "idle time" },
	[QS_CMD_FLOW_FLUSH] = { "flow", "flush", QS_CMD_AGENT, 0, "[vip ID] [backend ID]",
				"remove the matching address entries" },
	[QS_CMD_MAGLEV_SHOW] = { "maglev", "show", QS_CMD_LOCAL, 0, "[VIP-ID]",
				 "each backend's share of the slots, the row's digest" },
	[QS_CMD_ROUTE] = { "route", NULL, QS_CMD_LOCAL, 5,
			   "VIP PORT CLIENT CLIENT-PORT initial|0rtt|handshake|short|version HEX "
			   "[DCID] [size N] [scid HEX]",
			   "which rung and backend a packet would get (nothing is sent)" },
	/* on a backend: decap.bpf.o's pinned maps, no agent */
	[QS_CMD_DECAP_SHOW] = { "decap", "show", QS_CMD_LOCAL, 0, "",
				"the decap program's allowed sources and VIPs, and its counters" },
	[QS_CMD_DECAP_ALLOW] = { "decap", "allow", QS_CMD_LOCAL, 2,
				 "source PREFIX | vip ADDRESS PORT",
				 "let decap take packets from a router's encap-source prefix, or "
				 "to a VIP (port 0: its fragments)" },
	[QS_CMD_DECAP_DEL] = { "decap", "del", QS_CMD_LOCAL, 2, "source PREFIX | vip ADDRESS PORT",
			       "remove an allowed source or VIP" },
	[QS_CMD_DECAP_FLUSH] = { "decap", "flush", QS_CMD_LOCAL, 0, "[sources|vips]",
				 "remove every allowed source and VIP, or those of one list: "
				 "decap then drops what they allowed" },
};

bool qs_command_on(const struct qs_command *c, enum qs_cmd_side side)
{
	if (!c->object) /* a row the table lacks: the tests say which */
		return false;
	return side == QS_SIDE_CLI ? c->where != QS_CMD_REQUEST : c->where != QS_CMD_LOCAL;
}

bool qs_command_runs_on(const struct qs_command *c, enum qs_cmd_side side)
{
	return qs_command_on(c, side) && (side == QS_SIDE_AGENT || c->where == QS_CMD_LOCAL);
}

const char *qs_command_name(const struct qs_command *c, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", c->object, c->verb ? " " : "", c->verb ?: "");
	return buf;
}

int qs_commands_check(enum qs_cmd_side side, bool (*bound)(enum qs_cmd_id id), char *err,
		      size_t size)
{
	const char *who = side == QS_SIDE_CLI ? "the CLI" : "the agent";
	char name[64];

	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!c->object) {
			snprintf(err, size, "command %d: not in the table", i);
			return -ENOENT;
		}
		if (qs_command_runs_on(c, side) && !bound(i)) {
			snprintf(err, size, "%s: %s runs it, but has no handler for it",
				 qs_command_name(c, name, sizeof(name)), who);
			return -ENOENT;
		}
		if (!qs_command_on(c, side) && bound(i)) {
			snprintf(err, size, "%s: a handler in %s, which has no such command",
				 qs_command_name(c, name, sizeof(name)), who);
			return -ENOENT;
		}
	}
	err[0] = '\0';
	return 0;
}

int qs_command_exact(enum qs_cmd_side side, const char *object, const char *verb)
{
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!qs_command_on(c, side) || strcmp(c->object, object))
			continue;
		if (!c->verb || (verb && !strcmp(c->verb, verb)))
			return i;
	}
	return -ENOENT;
}

/* The first row of object among side's, or -ENOENT. */
static int object_row(enum qs_cmd_side side, const char *object)
{
	for (int i = 0; i < QS_CMD__COUNT; i++)
		if (qs_command_on(&qs_commands[i], side) && !strcmp(qs_commands[i].object, object))
			return i;
	return -ENOENT;
}

bool qs_command_object_known(enum qs_cmd_side side, const char *object)
{
	return object_row(side, object) >= 0;
}

static void list_add(char *buf, size_t size, const char *sep, const char *word)
{
	size_t len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s%s", len ? sep : "", word);
}

const char *qs_command_match_object(enum qs_cmd_side side, const char *word, char *cands,
				    size_t size)
{
	const char *found = NULL;
	int i = object_row(side, word), n = 0;

	cands[0] = '\0';
	if (i >= 0)
		return qs_commands[i].object;
	for (i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!qs_command_on(c, side) || strncmp(c->object, word, strlen(word)) ||
		    object_row(side, c->object) != i)
			continue;
		list_add(cands, size, ", ", c->object);
		found = c->object;
		n++;
	}
	return n == 1 ? found : NULL;
}

int qs_command_match_verb(enum qs_cmd_side side, const char *object, const char *word, char *cands,
			  size_t size)
{
	int found = -ENOENT, n = 0;

	cands[0] = '\0';
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!qs_command_on(c, side) || !c->verb || strcmp(c->object, object))
			continue;
		if (!strcmp(c->verb, word)) {
			cands[0] = '\0';
			return i;
		}
		if (strncmp(c->verb, word, strlen(word)))
			continue;
		list_add(cands, size, ", ", c->verb);
		found = i;
		n++;
	}
	return n <= 1 ? found : -EEXIST;
}

const char *qs_command_words(enum qs_cmd_side side, const char *object, const char *sep, char *buf,
			     size_t size)
{
	buf[0] = '\0';
	for (int i = 0; i < QS_CMD__COUNT; i++) {
		const struct qs_command *c = &qs_commands[i];

		if (!qs_command_on(c, side))
			continue;
		if (!object && object_row(side, c->object) == i)
			list_add(buf, size, sep, c->object);
		else if (object && c->verb && !strcmp(c->object, object))
			list_add(buf, size, sep, c->verb);
	}
	return buf;
}
