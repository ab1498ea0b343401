// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * What qs-bench-agent reads from /proc: the agent's memory, its threads'
 * CPU time, sleeps and run-queue waits (schedstat), and what both CPUs
 * did, so that every figure comes with the evidence of whether something
 * else on the machine disturbed it.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD, sched_setaffinity */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include "bench_agent.h"

/* A "Name:  value" line of a /proc status file, as text; -ENOENT if absent. */
static int status_field(const char *path, const char *name, char *out, size_t size)
{
	char line[512];
	size_t n = strlen(name);
	int err = -ENOENT;
	FILE *f = fopen(path, "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, n) || line[n] != ':')
			continue;
		snprintf(out, size, "%s", line + n + 1 + strspn(line + n + 1, " \t"));
		out[strcspn(out, "\n")] = 0;
		err = 0;
		break;
	}
	fclose(f);
	return err;
}

static __u64 status_u64(const char *path, const char *name)
{
	char v[64];

	return status_field(path, name, v, sizeof(v)) ? 0 : strtoull(v, NULL, 10);
}

/* VmRSS or VmHWM of a process, in bytes. */
__u64 ba_proc_mem(int pid, const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	return status_u64(path, name) * 1024;
}

/* minflt, the 10th field of /proc/PID/stat (the name in field 2 may hold spaces). */
static __u64 proc_minflt(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long v = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
	p = strrchr(buf, ')');
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt */
	if (!p || sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %llu", &v) != 1)
		return 0;
	return v;
}

/*
 * The threads of a process from /proc/PID/task (tids and names), at most
 * max; the count, or -errno.
 */
int ba_proc_threads(int pid, int *tids, char (*comm)[16], int max)
{
	char path[96];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while (n < max && (de = readdir(d))) {
		int tid = atoi(de->d_name);
		FILE *f;

		if (tid <= 0)
			continue;
		tids[n] = tid;
		snprintf(comm[n], 16, "?");
		snprintf(path, sizeof(path), "/proc/%d/task/%d/comm", pid, tid);
		f = fopen(path, "re");
		if (f) {
			if (fgets(comm[n], 16, f))
				comm[n][strcspn(comm[n], "\n")] = 0;
			fclose(f);
		}
		n++;
	}
	closedir(d);
	return n;
}

/*
 * The agent's threads, all of them (one reads reports today; a reworked
 * agent may give intake, control and events a thread each): CPU time and
 * switches summed, and each thread's CPU time to find the busiest.
 */
void ba_thread_sample(int pid, struct ba_proc_sample *s)
{
	char path[96];
	int n;

	memset(s, 0, sizeof(*s));
	n = ba_proc_threads(pid, s->tid, s->comm, BA_MAX_THREADS);
	for (int i = 0; i < n; i++) {
		unsigned long long run = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, s->tid[i]);
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%llu", &run) == 1)
				s->thread_run_ns[i] = run;
			fclose(f);
		}
		s->run_ns += s->thread_run_ns[i];
		snprintf(path, sizeof(path), "/proc/%d/task/%d/status", pid, s->tid[i]);
		s->vol_switches += status_u64(path, "voluntary_ctxt_switches");
		s->invol_switches += status_u64(path, "nonvoluntary_ctxt_switches");
	}
	s->n_threads = n > 0 ? n : 0;
	s->minor_faults = proc_minflt(pid);
}

/* Cpus_allowed_list of a process; the CPU if it is a single one, else -1. */
int ba_proc_cpu(int pid, char *list, size_t size)
{
	char path[64], *end;
	long cpu;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (status_field(path, "Cpus_allowed_list", list, size))
		snprintf(list, size, "?");
	cpu = strtol(list, &end, 10);
	return end != list && !*end ? (int)cpu : -1;
}

int ba_read_int(const char *path)
{
	int v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

__u64 ba_map_memlock(int fd)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	return status_u64(path, "memlock");
}

/*
 * Non-idle time of a CPU (steal excluded), its steal and its softirq time,
 * from /proc/stat (tick-sampled); 0 if unreadable or cpu < 0.
 */
double ba_cpu_busy_ns(int cpu, double *steal_ns, double *softirq_ns)
{
	unsigned long long v[8];
	char line[512], name[16];
	double tick = 1e9 / sysconf(_SC_CLK_TCK), busy = 0;
	FILE *f = cpu >= 0 ? fopen("/proc/stat", "re") : NULL;

	snprintf(name, sizeof(name), "cpu%d ", cpu);
	if (steal_ns)
		*steal_ns = 0;
	if (softirq_ns)
		*softirq_ns = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)) ||
		    sscanf(line + strlen(name), "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
			   &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8)
			continue;
		/* user nice system idle iowait irq softirq steal */
		busy = (v[0] + v[1] + v[2] + v[5] + v[6]) * tick;
		if (steal_ns)
			*steal_ns = v[7] * tick;
		if (softirq_ns)
			*softirq_ns = v[6] * tick;
		break;
	}
	if (f)
		fclose(f);
	return busy;
}

static double thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

void ba_snap_take(const struct ba_ctx *c, struct ba_snap *s)
{
	struct rusage ru = { 0 };

	ba_thread_sample(c->o->agent_pid, &s->agent);
	s->agent_cpu_busy_ns = ba_cpu_busy_ns(c->r->agent_cpu, &s->agent_cpu_steal_ns, NULL);
	s->sender_cpu_busy_ns = ba_cpu_busy_ns(c->r->sender_cpu, &s->sender_cpu_steal_ns, NULL);
	getrusage(RUSAGE_THREAD, &ru);
	s->sender_vol = ru.ru_nvcsw;
	s->sender_invol = ru.ru_nivcsw;
	s->sender_run_ns = thread_cpu_ns();
	s->wall_ns = ba_now_ns();
}

/* The thread that ran most between a and b (matched by tid; one born meanwhile from 0). */
static void busiest_thread(struct ba_window *w, const struct ba_proc_sample *a,
			   const struct ba_proc_sample *b, double wall)
{
	double best = -1;

	w->agent_threads = b->n_threads;
	for (int i = 0; i < b->n_threads; i++) {
		__u64 before = 0;

		for (int j = 0; j < a->n_threads; j++)
			if (a->tid[j] == b->tid[i])
				before = a->thread_run_ns[j];
		if ((double)(b->thread_run_ns[i] - before) <= best)
			continue;
		best = b->thread_run_ns[i] - before;
		snprintf(w->agent_busiest, sizeof(w->agent_busiest), "%s", b->comm[i]);
		w->agent_busiest_busy = best / wall;
	}
}

void ba_window_of(struct ba_window *w, const struct ba_snap *a, const struct ba_snap *b)
{
	double wall = b->wall_ns - a->wall_ns;
	double arun = b->agent.run_ns - a->agent.run_ns, srun = b->sender_run_ns - a->sender_run_ns;

	w->seconds = wall / 1e9;
	w->agent_run_ns = arun;
	w->agent_busy = arun / wall;
	w->sender_busy = srun / wall;
	/* /proc/stat is sampled at each tick, schedstat exact: a small negative is 0 */
	w->agent_cpu_other = fmax(0, (b->agent_cpu_busy_ns - a->agent_cpu_busy_ns - arun) / wall);
	w->sender_cpu_other =
		fmax(0, (b->sender_cpu_busy_ns - a->sender_cpu_busy_ns - srun) / wall);
	w->agent_cpu_steal = (b->agent_cpu_steal_ns - a->agent_cpu_steal_ns) / wall;
	w->agent_faults = b->agent.minor_faults - a->agent.minor_faults;
	w->agent_sleeps = b->agent.vol_switches - a->agent.vol_switches;
	w->agent_preempted = b->agent.invol_switches - a->agent.invol_switches;
	w->sender_sleeps = b->sender_vol - a->sender_vol;
	w->sender_preempted = b->sender_invol - a->sender_invol;
	busiest_thread(w, &a->agent, &b->agent, wall);
}

int ba_schedstat_open(int pid, int tid)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/schedstat", pid, tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * A thread's time on a CPU and waiting on a run queue, in ns: pread at 0
 * makes the kernel produce the line again, a few microseconds.
 */
int ba_schedstat_read(int fd, __u64 *run_ns, __u64 *wait_ns)
{
	char buf[128];
	unsigned long long run, wait;
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return n < 0 ? -errno : -EIO;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &run, &wait) != 2)
		return -EIO;
	*run_ns = run;
	*wait_ns = wait;
	return 0;
}

/* schedstat of every thread of pid, opened once for the reads around samples. */
int ba_sched_set_open(struct ba_sched_set *s, int pid)
{
	int tids[BA_MAX_THREADS];
	int n = ba_proc_threads(pid, tids, s->comm, BA_MAX_THREADS);

	s->n = 0;
	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		int fd = ba_schedstat_open(pid, tids[i]);

		if (fd < 0) {
			ba_sched_set_close(s);
			return fd;
		}
		s->fd[s->n++] = fd;
	}
	return 0;
}

void ba_sched_set_close(struct ba_sched_set *s)
{
	for (int i = 0; i < s->n; i++)
		close(s->fd[i]);
	s->n = 0;
}

/* Each thread's time on a CPU and waiting on a run queue; 0 for one gone. */
void ba_sched_set_read(const struct ba_sched_set *s, __u64 *run_ns, __u64 *wait_ns)
{
	for (int i = 0; i < s->n; i++)
		if (ba_schedstat_read(s->fd[i], &run_ns[i], &wait_ns[i]))
			run_ns[i] = wait_ns[i] = 0;
}

/*
 * The calling thread becomes load: SCHED_IDLE (it runs only when nothing
 * else on its CPU wants to, and never preempts the sender, so a latency
 * sample is never charged with it) on cpu (-1: where it is). Its children
 * inherit both.
 */
int ba_set_load_sched(int cpu)
{
	struct sched_param sp = { 0 };
	cpu_set_t set;

	if (cpu >= 0) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return -errno;
	}
	return sched_setscheduler(0, SCHED_IDLE, &sp) ? -errno : 0;
}
