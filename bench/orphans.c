/*
 * orphans: the CMD of the reaping benchmark (bench/run.sh compiles it into a
 * temporary directory; no binary is committed).
 *
 *   orphans stream N   create N double-fork orphans that exit at once
 *   orphans burst N    create N double-fork orphans that block on a pipe, then
 *                      release them all at once (N zombies arrive together)
 *
 * Both print two numbers, in microseconds: TOTAL, from the first clone until
 * PID 1 has reaped every orphan, and TAIL, from the last clone (stream) or the
 * release (burst) until then. In stream mode TOTAL is dominated by the cost of
 * creating the orphans; TAIL says whether the init kept up with them.
 *
 * It must run as the direct child of the init under test, inside a fresh PID
 * namespace (unshare --pid --fork --mount-proc), so that /proc/1 is that init
 * and every orphan is reparented to it.
 *
 * Why clone(CLONE_VM) rather than fork(): on the benchmark VM a fork() costs
 * 2-4 ms (page-table copy), which would make the creation of the orphans, not
 * the init's reaping, the thing being measured. A CLONE_VM child shares the
 * helper's memory, so it costs ~0.1 ms; to the init it is an ordinary child
 * process that exits and must be waited for. Each grandchild gets its own
 * stack because they run concurrently; the intermediate children run one at a
 * time (the helper waits for each) and share one stack.
 *
 * "Reaped" is observed by polling /proc/1/task/ * /children until it lists no
 * process but this helper: a zombie stays in that list until its parent waits
 * for it. The poll sleeps 100 us between reads so that it leaves the CPU to the
 * init on a 2-core machine; the resolution is therefore ~0.1-0.2 ms.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { GRANDCHILD_STACK = 16 * 1024, INTERMEDIATE_STACK = 64 * 1024 };

static char *grandchild_stacks;
static char intermediate_stack[INTERMEDIATE_STACK] __attribute__((aligned(16)));
static int release_pipe[2] = {-1, -1};
static int burst_mode;
static long next_grandchild;

static long long now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Raw syscalls only below: the children share the helper's memory and TLS. */
static int grandchild(void *unused) {
    (void)unused;
    if (burst_mode) {
        char byte;
        syscall(SYS_close, release_pipe[1]);
        /* Blocks until the helper closes the last write end: EOF releases all. */
        syscall(SYS_read, release_pipe[0], &byte, 1);
    }
    syscall(SYS_exit, 0);
    return 0;
}

static int intermediate(void *unused) {
    (void)unused;
    char *top = grandchild_stacks + (size_t)(next_grandchild + 1) * GRANDCHILD_STACK;
    /* The grandchild is orphaned the moment this process exits. */
    if (clone(grandchild, top, CLONE_VM | SIGCHLD, NULL) < 0) syscall(SYS_exit, 1);
    syscall(SYS_exit, 0);
    return 0;
}

/* Number of processes that PID 1 still has to wait for, not counting us. */
static long pending_children_of_pid1(pid_t self) {
    DIR *tasks = opendir("/proc/1/task");
    if (!tasks) return -1;
    long pending = 0;
    struct dirent *task;
    static char buffer[1 << 20];
    while ((task = readdir(tasks)) != NULL) {
        if (task->d_name[0] == '.') continue;
        char path[sizeof "/proc/1/task//children" + sizeof task->d_name];
        snprintf(path, sizeof path, "/proc/1/task/%s/children", task->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        ssize_t total = 0, got;
        while (total < (ssize_t)sizeof buffer - 1 &&
               (got = read(fd, buffer + total, sizeof buffer - 1 - total)) > 0)
            total += got;
        close(fd);
        buffer[total < 0 ? 0 : total] = '\0';
        for (char *cursor = buffer; *cursor;) {
            char *end;
            long pid = strtol(cursor, &end, 10);
            if (end == cursor) break;
            if (pid != self) ++pending;
            cursor = end;
            while (*cursor == ' ' || *cursor == '\n') ++cursor;
        }
    }
    closedir(tasks);
    return pending;
}

static int wait_until_pid1_reaped_all(pid_t self) {
    const struct timespec pause = {0, 100 * 1000};
    for (;;) {
        long pending = pending_children_of_pid1(self);
        if (pending < 0) return -1;
        if (pending == 0) return 0;
        nanosleep(&pause, NULL);
    }
}

int main(int argc, char **argv) {
    if (argc != 3 || (strcmp(argv[1], "stream") && strcmp(argv[1], "burst"))) {
        fprintf(stderr, "usage: %s stream|burst N\n", argv[0]);
        return 2;
    }
    burst_mode = strcmp(argv[1], "burst") == 0;
    long count = strtol(argv[2], NULL, 10);
    if (count <= 0 || count > 100000) {
        fprintf(stderr, "orphans: N must be 1..100000\n");
        return 2;
    }
    pid_t self = getpid();
    if (getppid() != 1) {
        fprintf(stderr, "orphans: must be the direct child of PID 1 (run it as the CMD)\n");
        return 2;
    }
    grandchild_stacks = mmap(NULL, (size_t)count * GRANDCHILD_STACK, PROT_READ | PROT_WRITE,
                             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (grandchild_stacks == MAP_FAILED) {
        perror("orphans: mmap");
        return 1;
    }
    if (burst_mode && pipe2(release_pipe, O_CLOEXEC) != 0) {
        perror("orphans: pipe");
        return 1;
    }

    long long started = now_us();
    long long tail_start;
    for (next_grandchild = 0; next_grandchild < count; ++next_grandchild) {
        /* __WCLONE is not needed: the exit signal is SIGCHLD. */
        pid_t child = clone(intermediate, intermediate_stack + sizeof intermediate_stack,
                            CLONE_VM | SIGCHLD, NULL);
        if (child < 0) {
            perror("orphans: clone");
            return 1;
        }
        int status;
        while (waitpid(child, &status, 0) < 0 && errno == EINTR) {}
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "orphans: could not create orphan %ld\n", next_grandchild);
            return 1;
        }
    }
    tail_start = now_us();
    if (burst_mode) close(release_pipe[1]);
    if (wait_until_pid1_reaped_all(self) != 0) {
        perror("orphans: /proc/1/task");
        return 1;
    }
    long long finished = now_us();
    printf("%lld %lld\n", finished - started, finished - tail_start);
    return 0;
}
