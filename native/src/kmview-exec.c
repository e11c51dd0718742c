/*
 * kmview-exec: prepares one process for the view, then runs the program in it.
 *
 * usage: kmview-exec CONTROL_FD KEEP_FDS SIGNALS RC_COUNT [RC_FILE...] PROGRAM [ARG...]
 *
 * The tracer spawns this stub, seizes it, and only then writes the seccomp filter
 * to CONTROL_FD, so the stub never runs the program untraced. The stub closes every
 * descriptor except those in KEEP_FDS (a comma list, or "-" for none), which kmview's
 * caller passed on. So the program gets what it would get outside and none of the JVM's
 * own files, not even in a standard descriptor that the caller had closed. It then sets
 * no_new_privs (required for an unprivileged filter) and installs the filter. It runs the
 * RC_COUNT rc files one after another, already in the view, so the program gets what they
 * mount. Last it gives itself the signal dispositions and mask of SIGNALS and execs PROGRAM,
 * searching PATH as execvp does. SIGNALS is IGNORED:BLOCKED, the SigIgn and SigBlk masks of
 * kmview's caller in the hex form of /proc/PID/status, or "-" to keep the stub's own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmview_abi.h"

static int read_fully(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int is_kept(const char *keep_list, int fd)
{
    for (const char *p = keep_list; *p != '\0';) {
        char *end;
        long listed = strtol(p, &end, 10);
        if (end == p)
            break;
        if (listed == fd)
            return 1;
        p = *end == ',' ? end + 1 : end;
    }
    return 0;
}

/* Closes the descriptors the JVM opened, which the program must not inherit. */
static void close_unkept(const char *keep_list)
{
    DIR *dir = opendir("/proc/self/fd");
    if (dir == NULL)
        return;
    int listing_fd = dirfd(dir);
    int to_close[1024];
    int count = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL && count < 1024) {
        if (entry->d_name[0] == '.')
            continue;
        int fd = atoi(entry->d_name);
        if (fd != listing_fd && !is_kept(keep_list, fd))
            to_close[count++] = fd;
    }
    closedir(dir);
    for (int i = 0; i < count; i++)
        close(to_close[i]);
}

/* The kernel's struct sigaction for rt_sigaction(2) on x86_64, without a restorer. */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

/*
 * Ignores the signals of the IGNORED mask and restores the default action of every other
 * signal, then blocks the signals of the BLOCKED mask. The raw system call also reaches the
 * signals that glibc keeps for itself (32 and 33), which the JVM left ignored. Returns -1 if
 * SIGNALS is malformed.
 */
static int apply_signals(const char *signals)
{
    char *end;
    errno = 0;
    uint64_t ignored = strtoull(signals, &end, 16);
    if (errno != 0 || end == signals || *end != ':')
        return -1;
    const char *blocked_text = end + 1;
    uint64_t blocked = strtoull(blocked_text, &end, 16);
    if (errno != 0 || end == blocked_text || *end != '\0')
        return -1;
    for (int signal = 1; signal <= 64; signal++) {
        if (signal == SIGKILL || signal == SIGSTOP)
            continue;
        struct kernel_sigaction action = {
            .handler = (ignored >> (signal - 1)) & 1 ? SIG_IGN : SIG_DFL,
        };
        syscall(SYS_rt_sigaction, signal, &action, NULL, sizeof action.mask);
    }
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &blocked, NULL, sizeof blocked);
    return 0;
}

/*
 * Runs one rc file and waits for it. Returns 0 to go on: the file ran and exited 0, or it is not
 * executable and was skipped. Otherwise returns the status kmview-exec exits with.
 */
static int run_rc_file(const char *path, char **envp)
{
    if (access(path, X_OK) != 0) {
        fprintf(stderr, "kmview: rc file %s is not executable (%s); skipped it\n", path, strerror(errno));
        return 0;
    }
    pid_t child = fork();
    if (child < 0) {
        fprintf(stderr, "kmview: cannot run rc file %s: fork failed: %s\n", path, strerror(errno));
        return KMVIEW_EXEC_RC_FAILED;
    }
    if (child == 0) {
        char *rc_argv[] = {(char *)path, NULL};
        execve(path, rc_argv, envp);
        fprintf(stderr, "kmview: cannot run rc file %s: %s\n", path, strerror(errno));
        _exit(KMVIEW_EXEC_CANNOT_RUN);
    }
    int status;
    while (waitpid(child, &status, 0) < 0) {
        if (errno != EINTR) {
            fprintf(stderr, "kmview: waiting for rc file %s failed: %s\n", path, strerror(errno));
            return KMVIEW_EXEC_RC_FAILED;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFEXITED(status))
        fprintf(stderr, "kmview: rc file %s exited with status %d; the program was not started\n",
                path, WEXITSTATUS(status));
    else
        fprintf(stderr, "kmview: rc file %s was killed by signal %d; the program was not started\n",
                path, WTERMSIG(status));
    return KMVIEW_EXEC_RC_FAILED;
}

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 6) {
        fprintf(stderr, "usage: kmview-exec CONTROL_FD KEEP_FDS SIGNALS RC_COUNT [RC_FILE...] PROGRAM [ARG...]\n");
        return 2;
    }
    int control_fd = atoi(argv[1]);

    uint32_t count;
    if (read_fully(control_fd, &count, sizeof count) != 0 || count > KMVIEW_EXEC_MAX_FILTER) {
        fprintf(stderr, "kmview-exec: invalid filter header on fd %d\n", control_fd);
        return 2;
    }
    struct sock_filter *filter = NULL;
    if (count > 0) {
        filter = calloc(count, sizeof *filter);
        if (filter == NULL || read_fully(control_fd, filter, count * sizeof *filter) != 0) {
            fprintf(stderr, "kmview-exec: short filter on fd %d\n", control_fd);
            return 2;
        }
    }
    close(control_fd);
    close_unkept(argv[2]);

    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
        perror("kmview-exec: prctl(PR_SET_NO_NEW_PRIVS)");
        return 2;
    }
    if (count > 0) {
        struct sock_fprog prog = { .len = (unsigned short)count, .filter = filter };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
            perror("kmview-exec: seccomp(SECCOMP_SET_MODE_FILTER)");
            return 2;
        }
        free(filter);
    }

    int rc_count = atoi(argv[4]);
    if (rc_count < 0 || 5 + rc_count >= argc) {
        fprintf(stderr, "kmview-exec: invalid RC_COUNT %s\n", argv[4]);
        return 2;
    }
    for (int i = 0; i < rc_count; i++) {
        int status = run_rc_file(argv[5 + i], environ);
        if (status != 0)
            return status;
    }

    /* After the rc files: a caller that ignores SIGCHLD would keep waitpid from seeing them end. */
    if (strcmp(argv[3], "-") != 0 && apply_signals(argv[3]) != 0) {
        fprintf(stderr, "kmview-exec: invalid SIGNALS %s\n", argv[3]);
        return 2;
    }
    char **program = argv + 5 + rc_count;
    execvp(program[0], program);
    int err = errno;
    fprintf(stderr, "kmview: %s: %s\n", program[0], strerror(err));
    return err == ENOENT ? KMVIEW_EXEC_NOT_FOUND : KMVIEW_EXEC_CANNOT_RUN;
}
