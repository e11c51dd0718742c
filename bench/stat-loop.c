/*
 * Calls stat(PATH) COUNT times and prints the mean time per call, with the
 * inode number and size of the last result so the caller can check which
 * file the path reached. Only the loop is timed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double elapsed_ns(const struct timespec *start, const struct timespec *end)
{
    return (end->tv_sec - start->tv_sec) * 1e9 + (end->tv_nsec - start->tv_nsec);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: stat-loop PATH COUNT\n");
        return 2;
    }
    const char *path = argv[1];
    char *end;
    errno = 0;
    long count = strtol(argv[2], &end, 10);
    if (errno != 0 || *end != '\0' || count < 1) {
        fprintf(stderr, "stat-loop: invalid COUNT '%s': give a positive integer\n", argv[2]);
        return 2;
    }

    struct stat st;
    struct timespec start, stop;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < count; i++) {
        if (stat(path, &st) != 0) {
            fprintf(stderr, "stat-loop: stat(%s) failed at call %ld: %s\n", path, i + 1, strerror(errno));
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &stop);

    printf("ns_per_call=%.2f calls=%ld ino=%llu size=%lld\n", elapsed_ns(&start, &stop) / count, count,
           (unsigned long long)st.st_ino, (long long)st.st_size);
    return 0;
}
