/*
 * The system calls that kmview's filter stops while a path service is loaded, as far as x86_64
 * has them: the path calls and getdents64. bench/ptrace-floor.c and bench/notify-floor.c stop
 * these, so their times are floors for the same stops.
 */
#ifndef KMVIEW_BENCH_TRAPPED_CALLS_H
#define KMVIEW_BENCH_TRAPPED_CALLS_H

#include <sys/syscall.h>

static const int TRAPPED[] = {
    SYS_open, SYS_creat, SYS_openat, SYS_openat2, SYS_stat, SYS_lstat, SYS_newfstatat, SYS_statx,
    SYS_statfs, SYS_access, SYS_faccessat, SYS_faccessat2, SYS_readlink, SYS_readlinkat, SYS_chdir,
    SYS_chroot, SYS_mkdir, SYS_mkdirat, SYS_rmdir, SYS_unlink, SYS_unlinkat, SYS_rename,
    SYS_renameat, SYS_renameat2, SYS_link, SYS_linkat, SYS_symlink, SYS_symlinkat, SYS_chmod,
    SYS_fchmodat, SYS_chown, SYS_lchown, SYS_fchownat, SYS_truncate, SYS_utime, SYS_utimes,
    SYS_futimesat, SYS_utimensat, SYS_mknod, SYS_mknodat, SYS_execve, SYS_execveat, SYS_setxattr,
    SYS_lsetxattr, SYS_getxattr, SYS_lgetxattr, SYS_listxattr, SYS_llistxattr, SYS_removexattr,
    SYS_lremovexattr, SYS_getdents64,
};
#define TRAPPED_COUNT (sizeof(TRAPPED) / sizeof(TRAPPED[0]))

#endif
