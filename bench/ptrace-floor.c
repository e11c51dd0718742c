/*
 * ptrace-floor PROGRAM [ARGS...]: runs PROGRAM under the cheapest tracer that stops on the same
 * system calls as kmview with a path service loaded, and prints the number of stops on stderr.
 *
 * The program and every process it starts get a seccomp filter that returns SECCOMP_RET_TRACE
 * for the path calls and getdents64, and allows every other call. The tracer resumes each stop
 * at once and does nothing else: no registers read, no memory read, no path resolved. Like
 * kmview, it polls for the next stop a few hundred times before it sleeps in waitpid. Its time is
 * therefore the floor for any tracer built on ptrace and seccomp, on this machine, for the
 * program's stops.
 *
 * x86_64 only, as kmview's tracer. The exit status is the program's, or 128+N for signal N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trapped-calls.h"

/* Number of non-blocking waits for the next stop before a blocking one, as in kmview's tracer. */
#define POLLS 200


static void install_filter(void)
{
    /* Load the arch and the number, compare the number with each trapped one in turn. */
    struct sock_filter filter[4 + TRAPPED_COUNT + 2];
    size_t n = 0;
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    filter[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < TRAPPED_COUNT; i++) {
        /* On a match, jump over the remaining comparisons and the ALLOW to the TRACE. */
        unsigned char to_trace = (unsigned char) (TRAPPED_COUNT - i);
        filter[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRAPPED[i], to_trace, 0);
    }
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
    struct sock_fprog program = {.len = (unsigned short) n, .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
        perror("ptrace-floor: installing the seccomp filter failed");
        _exit(126);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: ptrace-floor PROGRAM [ARGS...]\n");
        return 2;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("ptrace-floor: fork failed");
        return 1;
    }
    if (child == 0) {
        /* Wait to be attached, then filter and run the program. */
        raise(SIGSTOP);
        install_filter();
        execvp(argv[1], argv + 1);
        fprintf(stderr, "ptrace-floor: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }

    int status;
    if (waitpid(child, &status, WSTOPPED) != child) {
        perror("ptrace-floor: waitpid failed");
        return 1;
    }
    long options = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE
            | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SEIZE, child, 0, options) != 0) {
        perror("ptrace-floor: PTRACE_SEIZE failed");
        return 1;
    }
    kill(child, SIGCONT);

    long stops = 0;
    int exit_status = 0;
    for (;;) {
        pid_t tid = 0;
        for (int i = 0; i < POLLS && tid == 0; i++) {
            tid = waitpid(-1, &status, __WALL | WNOHANG);
        }
        if (tid == 0) {
            tid = waitpid(-1, &status, __WALL);
        }
        if (tid < 0) {
            break; /* ECHILD: every traced process is gone. */
        }
        if (WIFEXITED(status) || WIFSIGNALED(status)) {
            if (tid == child) {
                exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            continue;
        }
        int signal = WSTOPSIG(status);
        if (signal == SIGTRAP && (status >> 16) == PTRACE_EVENT_SECCOMP) {
            stops++;
            signal = 0;
        } else if (signal == SIGTRAP && (status >> 16) != 0) {
            signal = 0; /* fork, vfork and clone events */
        } else if (signal == SIGSTOP || signal == SIGCONT) {
            signal = 0; /* the SIGSTOP the child raised before the attach, and the SIGCONT that ended it */
        }
        ptrace(PTRACE_CONT, tid, 0, signal);
    }
    fprintf(stderr, "ptrace-floor: %ld stops\n", stops);
    return exit_status;
}
