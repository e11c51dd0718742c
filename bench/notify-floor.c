/*
 * notify-floor PROGRAM [ARGS...]: runs PROGRAM under the cheapest supervisor built on seccomp user
 * notifications that stops the same system calls as bench/ptrace-floor.c, and prints the number
 * of notifications on stderr.
 *
 * The program and every process it starts get a seccomp filter that returns
 * SECCOMP_RET_USER_NOTIF for the path calls and getdents64. The supervisor receives each
 * notification and replies at once with SECCOMP_USER_NOTIF_FLAG_CONTINUE, so the kernel runs
 * the call as it is. This is the other way a tracer can stop calls without a kernel module, and
 * its time is that way's floor for the program on this machine. A supervisor of this kind cannot
 * rewrite a call's arguments; it can only run the call itself in the process's place.
 *
 * The exit status is the program's, or 128+N for signal N.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trapped-calls.h"


/* Installs the filter and returns its notification descriptor, or -1. */
static int install_filter(void)
{
    struct sock_filter filter[1 + TRAPPED_COUNT + 2];
    size_t n = 0;
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < TRAPPED_COUNT; i++) {
        /* On a match, jump over the remaining comparisons and the ALLOW to the USER_NOTIF. */
        unsigned char to_notify = (unsigned char) (TRAPPED_COUNT - i);
        filter[n++] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TRAPPED[i], to_notify, 0);
    }
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    filter[n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF);
    struct sock_fprog program = {.len = (unsigned short) n, .filter = filter};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return -1;
    return (int) syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &program);
}

/* Sends descriptor fd over the Unix socket. */
static int send_descriptor(int socket, int fd)
{
    char byte = 0;
    struct iovec data = {.iov_base = &byte, .iov_len = 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &fd, sizeof fd);
    return sendmsg(socket, &message, 0) < 0 ? -1 : 0;
}

/* Receives a descriptor over the Unix socket, or returns -1. */
static int receive_descriptor(int socket)
{
    char byte;
    struct iovec data = {.iov_base = &byte, .iov_len = 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr message = {.msg_iov = &data, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    if (recvmsg(socket, &message, 0) <= 0 || CMSG_FIRSTHDR(&message) == NULL)
        return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&message)), sizeof fd);
    return fd;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: notify-floor PROGRAM [ARGS...]\n");
        return 2;
    }
    int sockets[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
        perror("notify-floor: socketpair failed");
        return 1;
    }
    pid_t child = fork();
    if (child < 0) {
        perror("notify-floor: fork failed");
        return 1;
    }
    if (child == 0) {
        /* Filter, hand the notification descriptor over, wait for the supervisor, run the program. */
        int listener = install_filter();
        if (listener < 0 || send_descriptor(sockets[0], listener) != 0) {
            perror("notify-floor: installing the seccomp filter failed");
            _exit(126);
        }
        close(listener);
        char ready;
        if (read(sockets[0], &ready, 1) != 1)
            _exit(126);
        execvp(argv[1], argv + 1);
        fprintf(stderr, "notify-floor: cannot run %s: %s\n", argv[1], strerror(errno));
        _exit(127);
    }

    int listener = receive_descriptor(sockets[1]);
    if (listener < 0 || write(sockets[1], "x", 1) != 1) {
        fprintf(stderr, "notify-floor: the program's filter did not arrive\n");
        return 1;
    }
    close(sockets[0]);
    close(sockets[1]);
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) != 0) {
        perror("notify-floor: SECCOMP_GET_NOTIF_SIZES failed");
        return 1;
    }
    struct seccomp_notif *request = calloc(1, sizes.seccomp_notif);
    struct seccomp_notif_resp *response = calloc(1, sizes.seccomp_notif_resp);
    long notifications = 0;
    /* RECV fails once every process that runs under the filter has ended. */
    for (;;) {
        memset(request, 0, sizes.seccomp_notif);
        if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, request) != 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        notifications++;
        memset(response, 0, sizes.seccomp_notif_resp);
        response->id = request->id;
        response->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, response);
    }
    int status;
    waitpid(child, &status, 0);
    fprintf(stderr, "notify-floor: %ld notifications\n", notifications);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
