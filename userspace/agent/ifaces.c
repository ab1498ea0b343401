// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * attach and detach at run time (docs/control-protocol.md). The design:
 * an attachment is an explicit command, not a configuration edit, so it
 * does not go through the reload path (which refuses interface changes);
 * it attaches or detaches first, and only when the kernel agreed does the
 * running configuration gain or lose the interface statement, so `show`
 * (and a file saved from it) and a restart agree with the kernel.
 *
 * A reload from the file compares the file's interface statements with
 * those the file had when the agent started (agent_file_ifaces_check):
 * changing them still takes a restart, as before; but a run-time attach or
 * detach is not undone by a reload: a reload never attaches or detaches,
 * it keeps the running interfaces.
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>
#include "agent.h"
#include "util/log.h"

static struct qs_config_interface *iface_find(struct qs_config *c, const char *name)
{
	for (size_t i = 0; i < c->n_interfaces; i++)
		if (!strcmp(c->interfaces[i].name, name))
			return &c->interfaces[i];
	return NULL;
}

/* IFNAME [mode native|generic]; 0 or -errno with the error set. */
static int iface_args(const char *verb, char **args, int n, bool with_mode, const char **ifname,
		      enum qs_xdp_mode *mode, struct agent_reply *r)
{
	*mode = QS_XDP_NATIVE;
	if (!(n == 1 || (with_mode && n == 3 && !strcmp(args[1], "mode")))) {
		agent_reply_error(r, "%s: want dev IFNAME%s", verb,
				  with_mode ? " [mode native|generic]" : "");
		return -EINVAL;
	}
	*ifname = args[0];
	if (qs_config_ifname_problem(*ifname)) {
		agent_reply_error(r, "interface \"%.40s\": %s", *ifname,
				  qs_config_ifname_problem(*ifname));
		return -EINVAL;
	}
	if (n == 3 && qs_xdp_mode_parse(args[2], mode)) {
		agent_reply_error(r, "interface %s: mode \"%.40s\" (native or generic)", *ifname,
				  args[2]);
		return -EINVAL;
	}
	if (!if_nametoindex(*ifname)) {
		agent_reply_error(r, "interface %s: no such device", *ifname);
		return -ENODEV;
	}
	return 0;
}

/* What the kernel said, for the operator: the driver or another program. */
static void attach_failed(struct agent_reply *r, const char *ifname, enum qs_xdp_mode mode,
			  int err)
{
	if (err == -EBUSY)
		agent_reply_error(r, "interface %s: another XDP program is attached (ip link show %s)",
				  ifname, ifname);
	else if (err == -EOPNOTSUPP || err == -EINVAL)
		agent_reply_error(r, "interface %s: %s mode refused by the driver: %s", ifname,
				  qs_xdp_mode_name(mode), strerror(-err));
	else
		agent_reply_error(r, "interface %s: cannot attach in %s mode: %s", ifname,
				  qs_xdp_mode_name(mode), strerror(-err));
}

struct agent_job *agent_attach(struct agent *a, const char *object, char **args, int n,
			       struct agent_reply *r)
{
	struct qs_config_interface *ifs, *have;
	enum qs_xdp_mode mode;
	const char *ifname;
	int err;

	(void)object;
	if (iface_args("attach", args, n, true, &ifname, &mode, r))
		return NULL;
	have = iface_find(a->cfg, ifname);
	if (have) {
		agent_reply_error(r, "interface %s: already attached (%s mode)", ifname,
				  qs_xdp_mode_name(have->mode));
		return NULL;
	}
	if (a->adopt) {
		agent_reply_error(r,
				  "interface %s: this agent adopted a router another loader "
				  "attached (--adopt): attach with that loader",
				  ifname);
		return NULL;
	}
	if (a->cfg->n_interfaces >= QS_CONFIG_MAX_INTERFACES) {
		agent_reply_error(r, "interface %s: already %d interfaces", ifname,
				  QS_CONFIG_MAX_INTERFACES);
		return NULL;
	}
	/* room first: once attached, nothing may fail */
	ifs = realloc(a->cfg->interfaces, (a->cfg->n_interfaces + 1) * sizeof(*ifs));
	if (!ifs) {
		agent_reply_error(r, "interface %s: out of memory", ifname);
		return NULL;
	}
	a->cfg->interfaces = ifs;
	err = qs_router_attach(&a->router, ifname, mode);
	if (err) {
		attach_failed(r, ifname, mode, err);
		return NULL;
	}
	ifs = &a->cfg->interfaces[a->cfg->n_interfaces++];
	memset(ifs, 0, sizeof(*ifs));
	snprintf(ifs->name, sizeof(ifs->name), "%s", ifname);
	ifs->mode = mode;
	pr_info("control: interface %s attached (%s mode)\n", ifname, qs_xdp_mode_name(mode));
	return NULL;
}

struct agent_job *agent_detach(struct agent *a, const char *object, char **args, int n,
			       struct agent_reply *r)
{
	struct qs_config_interface *have;
	enum qs_xdp_mode mode;
	const char *ifname;
	size_t i;
	int err;

	(void)object;
	if (iface_args("detach", args, n, false, &ifname, &mode, r))
		return NULL;
	have = iface_find(a->cfg, ifname);
	if (!have) {
		agent_reply_error(r, "interface %s: not attached by this agent", ifname);
		return NULL;
	}
	err = qs_router_detach(ifname, have->mode);
	/* gone already (ip link set ... xdp off): forget it, and say so */
	if (err && err != -ENOENT) {
		agent_reply_error(r, "interface %s: cannot detach: %s", ifname, strerror(-err));
		return NULL;
	}
	i = have - a->cfg->interfaces;
	memmove(have, have + 1, (a->cfg->n_interfaces - i - 1) * sizeof(*have));
	a->cfg->n_interfaces--;
	if (err) {
		r->o = json_object_new_object();
		json_object_object_add(r->o, "note",
				       json_object_new_string("the router was no longer attached "
							      "(another tool removed it)"));
	}
	pr_info("control: interface %s detached\n", ifname);
	return NULL;
}

int agent_file_ifaces_take(struct agent *a, const struct qs_config *file)
{
	size_t size = file->n_interfaces * sizeof(*file->interfaces);
	struct qs_config_interface *copy = malloc(size ? size : 1);

	if (!copy)
		return -ENOMEM;
	memcpy(copy, file->interfaces, size);
	free(a->file_ifaces);
	a->file_ifaces = copy;
	a->n_file_ifaces = file->n_interfaces;
	return 0;
}

/*
 * A file to reload: its interface statements must be those it had at
 * start (they take a restart); it then runs with the running interfaces,
 * run-time attachments included.
 */
int agent_file_ifaces_check(struct agent *a, struct qs_config *file, struct qs_config_error *cerr)
{
	size_t size = a->cfg->n_interfaces * sizeof(*file->interfaces);
	struct qs_config_interface *running;
	bool same = file->n_interfaces == a->n_file_ifaces;

	for (size_t i = 0; same && i < file->n_interfaces; i++)
		same = !strcmp(file->interfaces[i].name, a->file_ifaces[i].name) &&
		       file->interfaces[i].mode == a->file_ifaces[i].mode;
	if (!same) {
		memset(cerr, 0, sizeof(*cerr));
		snprintf(cerr->msg, sizeof(cerr->msg),
			 "interface changed: it takes effect only when quicsteerd restarts "
			 "(quicsteer attach and detach change interfaces at run time)");
		return -EINVAL;
	}
	running = malloc(size ? size : 1);
	if (!running)
		return -ENOMEM;
	memcpy(running, a->cfg->interfaces, size);
	free(file->interfaces);
	file->interfaces = running;
	file->n_interfaces = a->cfg->n_interfaces;
	return 0;
}
