// SPDX-License-Identifier: GPL-2.0
/*
 * peer: the loader of the BPF peer of loadavg_rs's walk (peer.bpf.c), for `make bench`.
 *
 *   peer OBJ PASSES PERIOD_MS
 *
 * Opens and loads the BPF object OBJ (no skeleton), attaches its task iterator, and runs
 * PASSES passes, one every PERIOD_MS milliseconds on an absolute schedule from the start (a
 * pass that ends late is followed by the next at once; 0: back to back). A pass is a
 * bpf_iter_create() and read() to EOF. Prints, per pass:
 *
 *   pass threads T runnable R delayed X uninterruptible D iowait I blocked B kthreads K cgroups C ns N wall_ns W
 *   loads all A1 A5 A15 cpu A1 A5 A15 io A1 A5 A15 cpuio A1 A5 A15 blocked A1 A5 A15
 *
 * the first the BPF program's line, W the loader's own time for create and read; the second
 * every definition's averages (rust/model/accounting.rs, Counts::active()) in fixed point,
 * FSHIFT 11, the kernel's unsigned long: from 0, one calc_load() step per pass with the
 * kernel's EXP_1, EXP_5 and EXP_15 (kernel/sched/loadavg.c), as the module does with its
 * default 5 s period; another PERIOD_MS scales the windows alike. And at the end, the
 * program's and its maps' memory:
 *
 *   prog NAME jited J xlated X memlock L
 *   map NAME max_entries M key K value V bytes M*(K+V) memlock L
 *
 * memlock as /proc/self/fdinfo shows it. Needs root (CAP_BPF and CAP_PERFMON) and a kernel
 * with BTF and BPF task iterators. PEER_DEBUG=1 lets libbpf's messages through (the
 * verifier's log), PEER_DEBUG=2 its debug messages too.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

/* include/linux/sched/loadavg.h */
#define FSHIFT		11
#define FIXED_1		(1UL << FSHIFT)
#define EXP_1		1884UL
#define EXP_5		2014UL
#define EXP_15		2037UL

/* rust/model/accounting.rs: Counts, and the definitions of load, in the order printed. */
struct counts {
	unsigned int threads, runnable, delayed, uninterruptible, iowait, blocked, kthreads;
	unsigned int cgroups;
	unsigned long long ns;
};

enum accounting { ALL, CPU, IO, CPUIO, BLOCKED, NR_ACCOUNTINGS };

static const char *const accounting_names[NR_ACCOUNTINGS] = {
	"all", "cpu", "io", "cpuio", "blocked",
};

/* Counts::active(): the tasks @a counts as active. */
static unsigned long active(const struct counts *c, enum accounting a)
{
	switch (a) {
	case ALL:
		/* /proc/loadavg's R + D: nr_running (with delayed sleepers) plus D. */
		return (unsigned long)c->runnable + c->delayed + c->uninterruptible;
	case CPU:
		return c->runnable;
	case IO:
		return c->iowait;
	case CPUIO:
		return (unsigned long)c->runnable + c->iowait;
	case BLOCKED:
		return c->blocked;
	default:
		return 0;
	}
}

/* kernel/sched/loadavg.c: one step of the damped average, rounding up while it rises. */
static unsigned long calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
	unsigned long newload;

	newload = load * exp + active * (FIXED_1 - exp);
	if (active >= load)
		newload += FIXED_1 - 1;

	return newload / FIXED_1;
}

/* libbpf's messages: none, but with PEER_DEBUG=1 (and its debug ones too with 2). */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list args)
{
	const char *debug = getenv("PEER_DEBUG");

	if (!debug || (level == LIBBPF_DEBUG && strcmp(debug, "2")))
		return 0;
	return vfprintf(stderr, fmt, args);
}

/* One line to stderr: @what failed with the (libbpf or system) error @err, negative. */
static void report(const char *what, int err)
{
	char msg[128];

	libbpf_strerror(err, msg, sizeof(msg));
	fprintf(stderr, "peer: %s: %s\n", what, msg);
}

static unsigned long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Parses a positive decimal below @max into *@out; 0 if it is none. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return !errno && end != s && !*end && *s != '-' && *out <= max;
}

/* The memlock line of /proc/self/fdinfo/@fd, in bytes; 0 if it has none. */
static unsigned long long fd_memlock(int fd)
{
	unsigned long long memlock = 0;
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %llu", &memlock) == 1)
			break;
	fclose(f);
	return memlock;
}

/*
 * Whether the kernel has what the peer needs, else one line to stderr: BTF (CO-RE relocates
 * against it, and iterators are typed by it) and the task iterator (bpf_iter_task in it).
 */
static int kernel_supports_peer(void)
{
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int found;

	if (!vmlinux) {
		fprintf(stderr, "peer: the kernel has no BTF (/sys/kernel/btf/vmlinux: CONFIG_DEBUG_INFO_BTF): %s\n",
			strerror(errno));
		return 0;
	}
	found = btf__find_by_name_kind(vmlinux, "bpf_iter_task", BTF_KIND_FUNC) > 0;
	btf__free(vmlinux);
	if (!found)
		fprintf(stderr, "peer: the kernel has no BPF task iterator (bpf_iter_task: CONFIG_BPF_SYSCALL, Linux >= 5.8)\n");
	return found;
}

/* One pass: the iterator read to its end, into @c; its wall time into *@wall_ns. */
static int run_pass(int link_fd, struct counts *c, unsigned long long *wall_ns)
{
	char buf[4096], *line;
	size_t len = 0;
	unsigned long long start;
	ssize_t n;
	int fd;

	start = now_ns();
	fd = bpf_iter_create(link_fd);
	if (fd < 0) {
		report("bpf_iter_create", fd);
		return -1;
	}
	while ((n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
		len += n;
		if (len == sizeof(buf) - 1)
			break;
	}
	*wall_ns = now_ns() - start;
	if (n < 0)
		fprintf(stderr, "peer: reading the iterator: %s\n", strerror(errno));
	close(fd);
	if (n < 0)
		return -1;
	buf[len] = '\0';

	line = strstr(buf, "pass ");
	if (!line || sscanf(line,
			    "pass threads %u runnable %u delayed %u uninterruptible %u iowait %u blocked %u kthreads %u cgroups %u ns %llu",
			    &c->threads, &c->runnable, &c->delayed, &c->uninterruptible,
			    &c->iowait, &c->blocked, &c->kthreads, &c->cgroups, &c->ns) != 9) {
		fprintf(stderr, "peer: the iterator printed no summary line: '%.200s'\n", buf);
		return -1;
	}
	line[strcspn(line, "\n")] = '\0';
	printf("%s wall_ns %llu\n", line, *wall_ns);
	return 0;
}

/* What the program and the object's maps take: their sizes and the kernel's memlock. */
static void print_memory(struct bpf_object *obj, struct bpf_program *prog)
{
	struct bpf_prog_info info;
	__u32 info_len = sizeof(info);
	struct bpf_map *map;
	int fd = bpf_program__fd(prog);

	memset(&info, 0, sizeof(info));
	if (bpf_prog_get_info_by_fd(fd, &info, &info_len))
		fprintf(stderr, "peer: bpf_prog_get_info_by_fd: %s\n", strerror(errno));
	else
		printf("prog %s jited %u xlated %u memlock %llu\n", bpf_program__name(prog),
		       info.jited_prog_len, info.xlated_prog_len, fd_memlock(fd));

	bpf_object__for_each_map(map, obj) {
		unsigned long long key = bpf_map__key_size(map), value = bpf_map__value_size(map);
		unsigned long long entries = bpf_map__max_entries(map);

		printf("map %s max_entries %llu key %llu value %llu bytes %llu memlock %llu\n",
		       bpf_map__name(map), entries, key, value, entries * (key + value),
		       fd_memlock(bpf_map__fd(map)));
	}
}

int main(int argc, char **argv)
{
	static const unsigned long exps[3] = { EXP_1, EXP_5, EXP_15 };
	unsigned long loads[NR_ACCOUNTINGS][3] = { { 0 } };
	unsigned long passes, period_ms, pass;
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_link *link = NULL;
	struct timespec next;
	int err, ret = 1;

	if (argc != 4 || !parse_uint(argv[2], 1000000, &passes) ||
	    !parse_uint(argv[3], 3600000, &period_ms)) {
		fprintf(stderr, "usage: peer OBJ PASSES PERIOD_MS\n");
		return 1;
	}
	libbpf_set_print(libbpf_print);
	if (!kernel_supports_peer())
		return 1;

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		report(argv[1], -errno);
		return 1;
	}
	prog = bpf_object__find_program_by_name(obj, "peer");
	if (!prog) {
		fprintf(stderr, "peer: %s has no program 'peer'\n", argv[1]);
		goto out;
	}
	err = bpf_object__load(obj);
	if (err) {
		report("loading (as root? PEER_DEBUG=1 shows the verifier's log)", err);
		goto out;
	}
	link = bpf_program__attach_iter(prog, NULL);
	if (!link) {
		report("attaching the task iterator", -errno);
		goto out;
	}

	clock_gettime(CLOCK_MONOTONIC, &next);
	for (pass = 0; pass < passes; pass++) {
		struct counts c;
		unsigned long long wall_ns;
		int a, w;

		if (pass) {
			next.tv_sec += period_ms / 1000;
			next.tv_nsec += (period_ms % 1000) * 1000000;
			if (next.tv_nsec >= 1000000000) {
				next.tv_sec++;
				next.tv_nsec -= 1000000000;
			}
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
				;
		}
		if (run_pass(bpf_link__fd(link), &c, &wall_ns))
			goto out;
		printf("loads");
		for (a = 0; a < NR_ACCOUNTINGS; a++) {
			/* calc_global_load()'s active * FIXED_1: a count of tasks in fixed point. */
			unsigned long act = active(&c, a) * FIXED_1;

			printf(" %s", accounting_names[a]);
			for (w = 0; w < 3; w++) {
				loads[a][w] = calc_load(loads[a][w], exps[w], act);
				printf(" %lu", loads[a][w]);
			}
		}
		printf("\n");
		fflush(stdout);
	}
	print_memory(obj, prog);
	ret = 0;
out:
	bpf_link__destroy(link);
	bpf_object__close(obj);
	return ret;
}
