/*
 * Contracts shared between kmview's Java core and its C helpers.
 * The Java side of each value is named next to it; change both ends together.
 */
#ifndef KMVIEW_ABI_H
#define KMVIEW_ABI_H

/*
 * Management calls use syscall numbers that no kernel assigns (negative ones),
 * so outside a view they fail with ENOSYS. Java: org.kmview.core.internal.dispatch.ManagementCall.
 */
#define KMVIEW_SYS_BASE (-19200)
/* Returns kmview's pid inside a view. */
#define KMVIEW_SYS_PING (KMVIEW_SYS_BASE - 0)
/* (char *buf, size_t size): copies the NUL-terminated view name, returns its length plus one. */
#define KMVIEW_SYS_GET_VIEWNAME (KMVIEW_SYS_BASE - 1)
/* (const char *name): sets the view name; "" removes it. At most 255 bytes. */
#define KMVIEW_SYS_SET_VIEWNAME (KMVIEW_SYS_BASE - 2)
/* Returns the view id. */
#define KMVIEW_SYS_VIEWID (KMVIEW_SYS_BASE - 3)
/* (const char *spec, long flags): loads a service, NAME[,OPTIONS] or a path; flag 1: permanent. */
#define KMVIEW_SYS_ADD_SERVICE (KMVIEW_SYS_BASE - 4)
#define KMVIEW_ADD_PERMANENT 1
/* (const char *name): removes a service. */
#define KMVIEW_SYS_DEL_SERVICE (KMVIEW_SYS_BASE - 5)
/* (char *buf, size_t size): copies "NAME: description" lines, returns their length plus one. */
#define KMVIEW_SYS_LIST_SERVICES (KMVIEW_SYS_BASE - 6)
/* (const char *name, long position): moves a service to a 1-based position of precedence. */
#define KMVIEW_SYS_MOV_SERVICE (KMVIEW_SYS_BASE - 7)
/* Size of the reserved range: numbers BASE-31 .. BASE are trapped. */
#define KMVIEW_SYS_COUNT 32

/*
 * kmview-exec CONTROL_FD KEEP_FDS RC_COUNT [RC_FILE...] PROGRAM [ARG...] reads its seccomp filter from CONTROL_FD:
 * a uint32 count N in host byte order, then N struct sock_filter (8 bytes each).
 * N == 0 installs no filter. Java: org.kmview.core.internal.tracer.Tracer (launch).
 */
#define KMVIEW_EXEC_MAX_FILTER 4096

/* Exit codes of kmview-exec when it cannot start the program, as POSIX shells use them. */
#define KMVIEW_EXEC_NOT_FOUND 127
#define KMVIEW_EXEC_CANNOT_RUN 126
/* Exit code of kmview-exec when an rc file failed, so the program was not started. */
#define KMVIEW_EXEC_RC_FAILED 125

#endif
