/* bench/stamp.c: the small programs of the service benchmarks (bench/run.sh),
 * compiled at bench time like orphans.c. Every time is CLOCK_MONOTONIC in
 * nanoseconds, written as text, so times taken in different processes (and
 * PID namespaces: the clock is the host's) can be subtracted.
 *
 *   stamp t0 FILE CMD [ARG...]      write the time to FILE, then exec CMD: put
 *                                   in front of an init, it marks the moment
 *                                   the init starts, and the init stays PID 1
 *   stamp service DIR NAME          write the time to DIR/NAME (atomically), then wait for a
 *                                   signal forever (a service that is up)
 *   stamp crash DIR NAME LIVES MS   a service that crashes: append "start T" to
 *                                   DIR/NAME, run MS ms, append "exit T" and
 *                                   exit 1; the LIVES-th life stays up
 *   stamp spawn N [MS]              N times: take the time, fork, exec `stamp
 *                                   first FD` (which writes the time of its first
 *                                   instruction to the pipe FD and exits), wait;
 *                                   prints the median of the N differences in
 *                                   ns: the fork+exec floor of a restart. With
 *                                   MS, each round first sleeps until a deadline
 *                                   MS ms ahead and times from that deadline, as
 *                                   a supervisor woken by its backoff timer
 *   stamp supervise N MS            the smallest supervisor of one crashing
 *                                   program: fork and exec `stamp lifetime FD`
 *                                   (writes the time of its first instruction,
 *                                   runs 5 ms, writes the time just before
 *                                   _exit), wait for its exit, sleep MS ms from
 *                                   then, start it again; N lives; prints the
 *                                   median of next start - exit - MS in ns: what
 *                                   the restart benchmark measures for tend,
 *                                   with nothing but wait, sleep, fork and exec
 *   stamp forkexec SCANDIR          fork and exec every SCANDIR/NAME/run (in its
 *                                   directory), then reap forever: the fork+exec
 *                                   limit an init can reach with the same scripts
 *
 * Installed as a service's `run` itself (a hard link named run), it is
 * `stamp crash $STAMP_DIR $TEND_SERVICE $STAMP_LIVES $STAMP_MS`: no shell
 * between tend's exec and the first stamp, so a restart is timed from the
 * exit to the new program's first instruction.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void append_line(const char *path, const char *what, long long value) {
    char line[64];
    int length = snprintf(line, sizeof line, "%s%s%lld\n", what, *what ? " " : "", value);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) _exit(111);
    if (write(fd, line, (size_t)length) != length) _exit(111);
    close(fd);
}

static void wait_forever(void) {
    for (;;) pause();
}

static int count_lines(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    char buffer[4096];
    int lines = 0;
    ssize_t got;
    while ((got = read(fd, buffer, sizeof buffer)) > 0)
        for (ssize_t i = 0; i < got; ++i) lines += buffer[i] == '\n';
    close(fd);
    return lines;
}

static int forkexec(const char *root) {
    struct dirent **names;
    int count = scandir(root, &names, NULL, alphasort);
    if (count < 0) return 111;
    for (int i = 0; i < count; ++i) {
        if (names[i]->d_name[0] == '.') continue;
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, names[i]->d_name);
        pid_t pid = fork();
        if (pid == 0) {
            if (chdir(dir) != 0) _exit(111);
            char *argv[] = {"./run", NULL};
            execv("./run", argv);
            _exit(111);
        }
    }
    for (;;)
        if (wait(NULL) < 0 && errno == ECHILD) wait_forever();
}

static int crash(const char *dir, const char *name, int lives, long ms) {
    long long started = now_ns();
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int life = count_lines(path) / 2 + 1;
    append_line(path, "start", started);
    if (life >= lives) wait_forever();
    struct timespec run = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&run, NULL);
    append_line(path, "exit", now_ns());
    _exit(1);
}

static int compare_ll(const void *a, const void *b) {
    long long x = *(const long long *)a, y = *(const long long *)b;
    return (x > y) - (x < y);
}

static int spawn(const char *self, int count, long sleep_ms) {
    long long *samples = calloc((size_t)count, sizeof *samples);
    if (!samples) return 111;
    for (int i = 0; i < count; ++i) {
        int fds[2];
        if (pipe(fds) != 0) return 111;
        char fd_text[16];
        snprintf(fd_text, sizeof fd_text, "%d", fds[1]);
        long long before = now_ns();
        if (sleep_ms > 0) {
            before += sleep_ms * 1000000LL;
            struct timespec deadline = {before / 1000000000LL, before % 1000000000LL};
            while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR) {
            }
        }
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            execl(self, "stamp", "first", fd_text, (char *)NULL);
            _exit(111);
        }
        close(fds[1]);
        long long first = 0;
        if (read(fds[0], &first, sizeof first) != sizeof first) return 111;
        close(fds[0]);
        waitpid(pid, NULL, 0);
        samples[i] = first - before;
    }
    qsort(samples, (size_t)count, sizeof *samples, compare_ll);
    printf("%lld\n", samples[count / 2]);
    return 0;
}

// One life for `supervise`: its start, 5 ms of running, its exit.
static int lifetime(int fd) {
    long long times[2];
    times[0] = now_ns();
    struct timespec run = {0, 5 * 1000000L};
    nanosleep(&run, NULL);
    times[1] = now_ns();
    if (write(fd, times, sizeof times) != sizeof times) return 111;
    _exit(1);
}

static int supervise(const char *self, int lives, long backoff_ms) {
    if (lives < 2) return 2;
    long long *samples = calloc((size_t)lives, sizeof *samples);
    if (!samples) return 111;
    int fds[2];
    if (pipe(fds) != 0) return 111;
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", fds[1]);
    long long previous_exit = 0;
    int count = 0;
    for (int i = 0; i < lives; ++i) {
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            execl(self, "stamp", "lifetime", fd_text, (char *)NULL);
            _exit(111);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {
        }
        long long seen = now_ns();  // the backoff runs from the moment the exit is seen, as in tend
        long long times[2];
        if (read(fds[0], times, sizeof times) != sizeof times) return 111;
        if (i > 0) samples[count++] = times[0] - previous_exit - backoff_ms * 1000000LL;
        previous_exit = times[1];
        long long deadline_ns = seen + backoff_ms * 1000000LL;
        struct timespec deadline = {deadline_ns / 1000000000LL, deadline_ns % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR) {
        }
    }
    qsort(samples, (size_t)count, sizeof *samples, compare_ll);
    printf("%lld\n", samples[count / 2]);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "lifetime") == 0) return lifetime(atoi(argv[2]));
    if (argc == 4 && strcmp(argv[1], "supervise") == 0) return supervise("/proc/self/exe", atoi(argv[2]), atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "first") == 0) {
        long long first = now_ns();
        return write(atoi(argv[2]), &first, sizeof first) == sizeof first ? 0 : 111;
    }
    const char *slash = strrchr(argv[0], '/');
    if (strcmp(slash ? slash + 1 : argv[0], "run") == 0) {
        const char *dir = getenv("STAMP_DIR"), *name = getenv("TEND_SERVICE");
        const char *lives = getenv("STAMP_LIVES"), *ms = getenv("STAMP_MS");
        if (!dir || !name || !lives || !ms) return 111;
        return crash(dir, name, atoi(lives), atol(ms));
    }
    if (argc >= 4 && strcmp(argv[1], "t0") == 0) {
        append_line(argv[2], "", now_ns());
        execvp(argv[3], argv + 3);
        return 127;
    }
    if (argc == 4 && strcmp(argv[1], "service") == 0) {
        long long started = now_ns();
        char path[4096], temporary[4096];
        snprintf(path, sizeof path, "%s/%s", argv[2], argv[3]);
        snprintf(temporary, sizeof temporary, "%s/.%s", argv[2], argv[3]);
        append_line(temporary, "", started);
        if (rename(temporary, path) != 0) _exit(111);  // whole or not there: the reader never sees it empty
        wait_forever();
    }
    if (argc == 6 && strcmp(argv[1], "crash") == 0) return crash(argv[2], argv[3], atoi(argv[4]), atol(argv[5]));
    if (argc == 3 && strcmp(argv[1], "forkexec") == 0) return forkexec(argv[2]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "spawn") == 0)
        return spawn("/proc/self/exe", atoi(argv[2]), argc == 4 ? atol(argv[3]) : 0);
    fprintf(stderr, "usage: see the comment at the top of bench/stamp.c\n");
    return 2;
}
