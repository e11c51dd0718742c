/*
 * Calls getppid COUNT times and prints the mean time per call.
 *
 * The raw syscall is used so that no libc wrapper can return a cached value.
 * Only the loop is timed, so process start-up (and a JVM's start-up under
 * kmview) does not enter the figure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double elapsed_ns(const struct timespec *start, const struct timespec *end)
{
    return (end->tv_sec - start->tv_sec) * 1e9 + (end->tv_nsec - start->tv_nsec);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: getppid-loop COUNT\n");
        return 2;
    }
    char *end;
    errno = 0;
    long count = strtol(argv[1], &end, 10);
    if (errno != 0 || *end != '\0' || count < 1) {
        fprintf(stderr, "getppid-loop: invalid COUNT '%s': give a positive integer\n", argv[1]);
        return 2;
    }

    struct timespec start, stop;
    long parent = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++)
        parent = syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &stop);

    printf("ns_per_call=%.2f calls=%ld parent=%ld\n", elapsed_ns(&start, &stop) / count, count, parent);
    return 0;
}
