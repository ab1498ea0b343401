// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * quicsteer health without sockets or a kernel: the checks on a status
 * answer and on attachments a test decides, and --watch's rise and fall.
 */
#include <string.h>
#include <criterion/criterion.h>
#include <json-c/json.h>
#include "cli.h" /* tools/quicsteer/ (Makefile) */

/* A status answer as the agent gives it: what the checks read. */
static const char healthy_status[] =
	"{\"ok\":true,\"ready\":true,\"nexthops_missing\":[],\"synced\":true,"
	"\"sync\":{\"since_start_ms\":4000,\"waiting_for\":[],\"not_heard\":[]},"
	"\"interfaces\":[\"eth0\",\"eth1\"]}";

/* ctx: the interfaces the fake kernel has the router on, space separated. */
static __u32 fake_router_on(void *ctx, const char *ifname)
{
	const char *on = ctx;
	char word[20];

	if (!ifname)
		return on[0] ? 7 : 0;
	snprintf(word, sizeof(word), " %s ", ifname);
	return strstr(on, word) ? 7 : 0;
}

/* The verdict's line for status text (NULL: no answer) and attachments. */
static const char *judge(const char *status, const char *attached, char *line, size_t size)
{
	struct json_object *st = status ? json_tokener_parse(status) : NULL, *v;

	cr_assert(!status || st, "bad test JSON: %s", status);
	v = cli_health_judge(st, "agent not running (/run/x.sock: No such file or directory)",
			     fake_router_on, (void *)attached);
	cli_health_line(v, line, size);
	cr_assert_eq(cli_health_ok(v), !strcmp(line, "healthy"), "%s", line);
	json_object_put(v);
	json_object_put(st);
	return line;
}

/* base with one member's value replaced (JSON text), into buf; base may be buf. */
static const char *with_in(const char *base, const char *key, const char *value, char *buf,
			   size_t size)
{
	struct json_object *st = json_tokener_parse(base);

	json_object_object_add(st, key, value ? json_tokener_parse(value) : NULL);
	snprintf(buf, size, "%s", json_object_to_json_string(st));
	json_object_put(st);
	return buf;
}

/* healthy_status with one member's value replaced. */
static const char *with(const char *key, const char *value, char *buf, size_t size)
{
	return with_in(healthy_status, key, value, buf, size);
}

Test(health, all_checks_pass)
{
	char line[1024];

	cr_assert_str_eq(judge(healthy_status, " eth0 eth1 ", line, sizeof(line)), "healthy");
}

Test(health, each_failing_check_is_named)
{
	char line[1024], st[1024];

	cr_assert_str_eq(judge(NULL, " eth0 eth1 ", line, sizeof(line)),
			 "unhealthy: agent not running (/run/x.sock: No such file or directory)");
	cr_assert_str_eq(
		judge(with("ready", "false", st, sizeof(st)), " eth0 eth1 ", line, sizeof(line)),
		"unhealthy: not ready");
	with("nexthops_missing", "[\"b1\",\"b2\"]", st, sizeof(st));
	{
		struct json_object *o = json_tokener_parse(st);

		json_object_object_add(o, "ready", json_object_new_boolean(0));
		snprintf(st, sizeof(st), "%s", json_object_to_json_string(o));
		json_object_put(o);
	}
	cr_assert_str_eq(judge(st, " eth0 eth1 ", line, sizeof(line)),
			 "unhealthy: not ready: no next hop for b1, b2");
	cr_assert_str_eq(judge(healthy_status, " eth1 ", line, sizeof(line)),
			 "unhealthy: router not attached to eth0");
	cr_assert_str_eq(judge(healthy_status, " ", line, sizeof(line)),
			 "unhealthy: router not attached to eth0, eth1");
}

Test(health, not_synced_names_whom_it_waits_for)
{
	char line[1024], st[1024];

	with("sync",
	     "{\"since_start_ms\":2500,\"waiting_for\":[\"b1\",\"b2\"],\"not_heard\":[\"b3\"]}", st,
	     sizeof(st));
	with_in(st, "synced", "false", st, sizeof(st));
	cr_assert_str_eq(judge(st, " eth0 eth1 ", line, sizeof(line)),
			 "unhealthy: not synced: no snapshot yet from b1, b2; not heard from b3 "
			 "(2.5 s after the agent's start)");
	/* an agent that does not say is not taken as synced */
	cr_assert_str_eq(
		judge(with("synced", NULL, st, sizeof(st)), " eth0 eth1 ", line, sizeof(line)),
		"unhealthy: not synced: the agent does not say (older than this "
		"quicsteer?)");
}

Test(health, every_failure_is_listed)
{
	char line[1024], st[1024];

	with_in(with("ready", "false", st, sizeof(st)), "synced", "false", st, sizeof(st));
	cr_assert_str_eq(judge(st, " eth1 ", line, sizeof(line)),
			 "unhealthy: not ready; not synced (4.0 s after the agent's start); router "
			 "not attached to eth0");
}

/* An agent that names no interface adopts one: some interface must have the router. */
Test(health, adopting_agent_needs_the_router_somewhere)
{
	char line[1024], st[1024];

	with("interfaces", "[]", st, sizeof(st));
	cr_assert_str_eq(judge(st, " eth7 ", line, sizeof(line)), "healthy");
	cr_assert_str_eq(judge(st, "", line, sizeof(line)),
			 "unhealthy: router attached to no interface (the agent names none: it "
			 "adopts one ip or xdp-loader attached)");
}

Test(health, verdict_as_json)
{
	struct json_object *st = json_tokener_parse(healthy_status), *v, *m;

	v = cli_health_judge(st, "", fake_router_on, " eth0 ");
	cr_assert(json_object_object_get_ex(v, "healthy", &m) && !json_object_get_boolean(m));
	cr_assert(json_object_object_get_ex(v, "interfaces", &m));
	cr_assert_str_eq(
		json_object_to_json_string_ext(m, JSON_C_TO_STRING_PLAIN),
		"[{\"name\":\"eth0\",\"prog_id\":7},{\"name\":\"eth1\",\"prog_id\":null}]");
	cr_assert(json_object_object_get_ex(v, "synced", &m) && json_object_get_boolean(m));
	json_object_put(v);
	json_object_put(st);
}

/* ---- --watch: rise and fall ---- */

/*
 * Feeds the checks ('+' healthy, '-' not) and writes the state after
 * each ('U' up, 'D' down; lower case when that check changed it).
 */
static const char *watch(unsigned int rise, unsigned int fall, const char *checks, char *out)
{
	struct cli_health_watch w;
	size_t i;

	cli_health_watch_init(&w, rise, fall);
	cr_assert(!w.up && w.pending, "starts down, its --down to run");
	w.pending = false;
	for (i = 0; checks[i]; i++) {
		bool changed = cli_health_watch_step(&w, checks[i] == '+');

		cr_assert_eq(changed, w.pending, "check %zu: changed %d, pending %d", i, changed,
			     w.pending);
		out[i] = changed ? (w.up ? 'u' : 'd') : (w.up ? 'U' : 'D');
		w.pending = false;
	}
	out[i] = '\0';
	return out;
}

Test(health, watch_rise_and_fall)
{
	static const struct {
		unsigned int rise, fall;
		const char *checks, *want;
	} cases[] = {
		{ 3, 1, "+++", "DDu" },		  { 3, 1, "++-+++", "DDDDDu" },
		{ 3, 1, "+++-+++", "DDudDDu" },	  { 1, 1, "+-+-", "udud" },
		{ 2, 3, "++--+---", "DuUUUUUd" }, { 2, 3, "++---", "DuUUd" },
		{ 3, 2, "---", "DDD" },		  { 1, 2, "+-+--", "uUUUd" },
	};
	char got[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect_str_eq(watch(cases[i].rise, cases[i].fall, cases[i].checks, got),
				 cases[i].want, "rise %u fall %u, checks %s: got %s want %s",
				 cases[i].rise, cases[i].fall, cases[i].checks, got, cases[i].want);
}

/* A command that failed stays pending through checks that change nothing. */
Test(health, failed_command_stays_pending)
{
	struct cli_health_watch w;

	cli_health_watch_init(&w, 2, 1);
	/* --down failed: pending */
	cr_assert(!cli_health_watch_step(&w, false));
	cr_assert(w.pending, "a failed --down was forgotten");
	cr_assert(!cli_health_watch_step(&w, true));
	cr_assert(cli_health_watch_step(&w, true));
	cr_assert(w.up && w.pending);
	/* --up failed too, and then the balancer fails: --down is what is pending now */
	cr_assert(cli_health_watch_step(&w, false));
	cr_assert(!w.up && w.pending);
}
