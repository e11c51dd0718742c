/*
 * kmview-cmd: the in-view commands, one multi-call binary.
 *
 * The distribution links each command name (viewmount, viewumount, viewname, vuname, viewsu and
 * the um_*_service commands) to this binary,
 * and main() picks the command from basename(argv[0]). `kmview-cmd NAME ARG...`
 * runs command NAME as well, which helps where the links are missing.
 *
 * The commands make their system call directly, so inside a view the call reaches
 * kmview's tracer exactly as a program would make it.
 *
 * Exit status: 0 on success, 1 when the system call fails, 2 on invalid usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kmview_abi.h"

#define EXIT_CALL_FAILED 1
#define EXIT_USAGE 2

struct command {
    const char *name;
    int (*run)(const struct command *cmd, int argc, char **argv);
    /* Options and operands, printed after the name in the usage line. */
    const char *synopsis;
    /* Help text printed by -h: a description, then one line per option. */
    const char *help;
};

static int run_viewmount(const struct command *cmd, int argc, char **argv);
static int run_viewumount(const struct command *cmd, int argc, char **argv);
static int run_viewname(const struct command *cmd, int argc, char **argv);
static int run_vuname(const struct command *cmd, int argc, char **argv);
static int run_um_add_service(const struct command *cmd, int argc, char **argv);
static int run_um_del_service(const struct command *cmd, int argc, char **argv);
static int run_um_ls_service(const struct command *cmd, int argc, char **argv);
static int run_um_mov_service(const struct command *cmd, int argc, char **argv);
static int run_viewsu(const struct command *cmd, int argc, char **argv);

static const struct command COMMANDS[] = {
    {
        "viewmount", run_viewmount,
        "[-t TYPE] [-o OPTS] SRC DST",
        "Mount SRC on DST with mount(2). Inside kmview, a TYPE that a service registered\n"
        "(for example viewfs) goes to that service; any other TYPE goes to the kernel.\n"
        "  -t TYPE  file system type; without -t the type argument is NULL\n"
        "           and the kernel (or a service) decides what that means\n"
        "  -o OPTS  options, passed unchanged as mount(2)'s data argument;\n"
        "           no MS_* mount flags are set\n"
        "  -h       print this help and exit\n",
    },
    {
        "viewumount", run_viewumount,
        "[-l] [-f] DST",
        "Unmount DST with umount2(2); inside kmview this also removes a service's mount.\n"
        "  -l  lazy unmount (MNT_DETACH)\n"
        "  -f  force unmount (MNT_FORCE)\n"
        "  -h  print this help and exit\n",
    },
    {
        "viewname", run_viewname,
        "[-p] [-q] [NEWNAME]",
        "Print the name of the view, or set it to NEWNAME (an empty NEWNAME removes it).\n"
        "A view without a name prints as HOST[SERVERID:VIEWID], SERVERID being kmview's pid.\n"
        "  -p  print for a shell prompt: no newline, and the host name outside a view\n"
        "  -q  quiet: print nothing for a view without a name, and no error message\n"
        "  -h  print this help and exit\n",
    },
    {
        "vuname", run_vuname,
        "[-asnrvmpioUVNxq]",
        "Print system and view information, as uname(1) does, with the view's fields after it.\n"
        "With no option, the same as -s (-N with -x).\n"
        "  -a, --all                all fields, leaving out -p and -i when unknown\n"
        "  -s, --kernel-name        kernel name\n"
        "  -n, --nodename           network node host name\n"
        "  -r, --kernel-release     kernel release\n"
        "  -v, --kernel-version     kernel version\n"
        "  -m, --machine            machine hardware name\n"
        "  -p, --processor          processor type, or unknown\n"
        "  -i, --hardware-platform  hardware platform, or unknown\n"
        "  -o, --operating-system   operating system\n"
        "  -U, --serverid           the view's server id (kmview's pid)\n"
        "  -V, --viewid             the view id\n"
        "  -N, --viewname           the view name\n"
        "  -x, --nouname            only the view's fields (-a then prints -U -V -N)\n"
        "  -q, --quiet              no error message outside a view\n"
        "  -h, --help               print this help and exit\n",
    },
    {
        "um_add_service", run_um_add_service,
        "[-p|--permanent] NAME[,OPTIONS]|PATH",
        "Load a service into the running view, as kmview -p does at start. kmview prints why a\n"
        "load failed on its stderr.\n"
        "  -p, --permanent  the service can never be removed\n"
        "  -h               print this help and exit\n",
    },
    {
        "um_del_service", run_um_del_service,
        "NAME",
        "Stop and remove a service. It fails while the service has mounts (EBUSY) or is permanent (EPERM).\n"
        "  -h  print this help and exit\n",
    },
    {
        "um_ls_service", run_um_ls_service,
        "",
        "List the view's services, one NAME: description line each, in precedence order.\n"
        "  -h  print this help and exit\n",
    },
    {
        "um_mov_service", run_um_mov_service,
        "NAME POSITION",
        "Move a service to POSITION (1-based) of the precedence order; beyond the end means last.\n"
        "When two services serve the same file system type, the earlier one serves it.\n"
        "  -h  print this help and exit\n",
    },
    {
        "viewsu", run_viewsu,
        "[-c COMMAND] [USER]",
        "Run a shell as USER (a name or a uid; root without one): set the user and group ids and the\n"
        "supplementary groups to USER's, then run USER's shell. In secure mode (kmview -s) these are\n"
        "the view's ids, and only root of the view may change them.\n"
        "  -c COMMAND  run COMMAND with the shell's -c instead of an interactive shell\n"
        "  -h          print this help and exit\n",
    },
};

#define COMMAND_COUNT (sizeof COMMANDS / sizeof COMMANDS[0])

/* Prints a usage error and the usage line on stderr, and returns the usage exit status. */
static int usage_error(const struct command *cmd, const char *problem)
{
    fprintf(stderr, "%s: %s\nusage: %s %s\nRun '%s -h' for help.\n",
            cmd->name, problem, cmd->name, cmd->synopsis, cmd->name);
    return EXIT_USAGE;
}

/*
 * Handles the getopt() results that end every command alike: -h, an unknown option or a
 * missing option value. Returns the exit status.
 */
static int end_with_common_option(const struct command *cmd, int opt)
{
    char problem[64];
    switch (opt) {
    case 'h':
        printf("usage: %s %s\n%s", cmd->name, cmd->synopsis, cmd->help);
        return 0;
    case ':':
        snprintf(problem, sizeof problem, "option -%c requires a value", optopt);
        return usage_error(cmd, problem);
    default:
        snprintf(problem, sizeof problem, "unknown option -%c", optopt);
        return usage_error(cmd, problem);
    }
}


/* Returns whether the kernel lists file system type TYPE in /proc/filesystems. */
static int kernel_knows_type(const char *type)
{
    FILE *list = fopen("/proc/filesystems", "r");
    if (list == NULL)
        return 0;
    char line[256];
    int known = 0;
    while (!known && fgets(line, sizeof line, list) != NULL) {
        char *name = strchr(line, '\t');
        if (name == NULL)
            continue;
        name++;
        name[strcspn(name, "\n")] = '\0';
        known = strcmp(name, type) == 0;
    }
    fclose(list);
    return known;
}

/*
 * Returns whether the view has the service NAME loaded: um_ls_service's list has a line
 * "NAME: description". Outside a view, nothing is loaded.
 */
static int service_loaded(const char *name)
{
    static char list[65536];
    long length = syscall(KMVIEW_SYS_LIST_SERVICES, list, sizeof list);
    if (length <= 0)
        return 0;
    size_t name_length = strlen(name);
    for (const char *line = list; line != NULL && *line != '\0'; ) {
        if (strncmp(line, name, name_length) == 0 && line[name_length] == ':')
            return 1;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return 0;
}

/* Returns the kmview service that serves the mount type TYPE, or SERVICE when no name fits. */
static const char *service_for_type(const char *type)
{
    static const struct { const char *prefix; const char *service; } services[] = {
        {"viewfs", "viewfs"}, {"umbinfmt", "umbinfmt"}, {"umfuse", "umfuse"},
        {"umdev", "umdev"}, {"umnet", "net"},
    };
    for (size_t i = 0; i < sizeof services / sizeof services[0]; i++) {
        if (strncmp(type, services[i].prefix, strlen(services[i].prefix)) == 0)
            return services[i].service;
    }
    return "SERVICE";
}

/*
 * The umfuse short forms: types for which viewmount starts an unmodified FUSE daemon in the
 * view, which then mounts through the view's /dev/fuse. DAEMON_OPTIONS come before the user's -o.
 */
static const struct fuse_daemon {
    const char *type;
    const char *program;
    const char *package;
    const char *daemon_options;
} fuse_daemons[] = {
    {"umfuseext2", "fuse2fs", "fuse2fs", "fakeroot"},
    {"umfuseext3", "fuse2fs", "fuse2fs", "fakeroot"},
    {"umfuseext4", "fuse2fs", "fuse2fs", "fakeroot"},
    {"umfusesquashfs", "squashfuse", "squashfuse", NULL},
};

/* Returns the daemon viewmount starts for TYPE, or NULL when TYPE is no short form. */
static const struct fuse_daemon *fuse_daemon_for(const char *type)
{
    for (size_t i = 0; type != NULL && i < sizeof fuse_daemons / sizeof fuse_daemons[0]; i++) {
        if (strcmp(type, fuse_daemons[i].type) == 0)
            return &fuse_daemons[i];
    }
    return NULL;
}

/*
 * Starts DAEMON as `PROGRAM -o OPTIONS SOURCE TARGET` and waits until it mounted and went to
 * the background (or failed). Returns viewmount's exit status.
 */
static int start_fuse_daemon(const struct fuse_daemon *daemon, const char *source, const char *target,
                             const char *options)
{
    if (!service_loaded("umfuse")) {
        fprintf(stderr, "viewmount: type %s runs %s through the umfuse service, which this view has not loaded; "
                "load it with um_add_service umfuse, or start kmview with -p umfuse\n", daemon->type,
                daemon->program);
        return EXIT_CALL_FAILED;
    }
    char joined[4096];
    int length = snprintf(joined, sizeof joined, "%s%s%s", daemon->daemon_options ? daemon->daemon_options : "",
                          daemon->daemon_options && options ? "," : "", options ? options : "");
    if (length < 0 || (size_t) length >= sizeof joined) {
        fprintf(stderr, "viewmount: the options for %s are longer than %zu bytes\n", daemon->program,
                sizeof joined - 1);
        return EXIT_USAGE;
    }
    char *argv[7];
    int argc = 0;
    argv[argc++] = (char *) daemon->program;
    if (length > 0) {
        argv[argc++] = "-o";
        argv[argc++] = joined;
    }
    argv[argc++] = (char *) source;
    argv[argc++] = (char *) target;
    argv[argc] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        perror("viewmount: fork");
        return EXIT_CALL_FAILED;
    }
    if (pid == 0) {
        execvp(daemon->program, argv);
        int err = errno;
        fprintf(stderr, "viewmount: type %s needs %s (%s), from the Debian package %s; install it\n",
                daemon->type, daemon->program, strerror(err), daemon->package);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            perror("viewmount: waitpid");
            return EXIT_CALL_FAILED;
        }
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!(WIFEXITED(status) && WEXITSTATUS(status) == 127))
        fprintf(stderr, "viewmount: %s could not mount %s on %s (%s %d); its messages above give the reason\n",
                daemon->program, source, target, WIFEXITED(status) ? "exit status" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    return EXIT_CALL_FAILED;
}

static int run_viewmount(const struct command *cmd, int argc, char **argv)
{
    const char *type = NULL;
    const char *options = NULL;
    int opt;

    /*
     * Options may follow the operands, as with mount(8).
     * The leading ':' makes getopt() return ':' for a missing option value.
     */
    while ((opt = getopt(argc, argv, ":t:o:h")) != -1) {
        if (opt == 't')
            type = optarg;
        else if (opt == 'o')
            options = optarg;
        else
            return end_with_common_option(cmd, opt);
    }
    if (argc - optind != 2)
        return usage_error(cmd, argc - optind < 2 ? "missing SRC or DST" : "too many operands");
    const char *source = argv[optind];
    const char *target = argv[optind + 1];

    const struct fuse_daemon *daemon = fuse_daemon_for(type);
    if (daemon != NULL)
        return start_fuse_daemon(daemon, source, target, options);
    if (mount(source, target, type, 0, options) != 0) {
        int err = errno;
        if (type != NULL)
            fprintf(stderr, "viewmount: mount %s on %s (type %s) failed: %s\n",
                    source, target, type, strerror(err));
        else
            fprintf(stderr, "viewmount: mount %s on %s (no type) failed: %s\n",
                    source, target, strerror(err));
        if (type != NULL && (err == ENODEV || err == EPERM) && !kernel_knows_type(type)
                && service_loaded(service_for_type(type))) {
            /* The kernel returns these for a type it does not know, and a service reports its own errors. */
            fprintf(stderr, "viewmount: no service of this view serves type %s; service %s is loaded but has "
                    "no such type (see its docs page for its types)\n", type, service_for_type(type));
        } else if (type != NULL && !kernel_knows_type(type) && !service_loaded(service_for_type(type))
                   && (strcmp(service_for_type(type), "SERVICE") != 0 || err == ENODEV || err == EPERM)) {
            /*
             * No service took the type, so the kernel got it and does not know it either. Its
             * errno may name an earlier check (EPERM for an ordinary user, ENOENT for a missing
             * mount point), so the type is the cause to report. A type of no kmview service may
             * belong to a service loaded from elsewhere, whose own errors are not the kernel's
             * ENODEV or EPERM.
             */
            if (syscall(KMVIEW_SYS_PING) > 0)
                fprintf(stderr, "viewmount: no service of this view serves type %s; load one with "
                        "um_add_service %s, or start kmview with -p %s\n", type, service_for_type(type),
                        service_for_type(type));
            else
                fprintf(stderr, "viewmount: not inside kmview, so only the kernel's types exist; "
                        "run it in a view started with kmview -p SERVICE\n");
        }
        return EXIT_CALL_FAILED;
    }
    return 0;
}

static int run_viewumount(const struct command *cmd, int argc, char **argv)
{
    int flags = 0;
    int opt;

    while ((opt = getopt(argc, argv, ":lfh")) != -1) {
        if (opt == 'l')
            flags |= MNT_DETACH;
        else if (opt == 'f')
            flags |= MNT_FORCE;
        else
            return end_with_common_option(cmd, opt);
    }
    if (argc - optind != 1)
        return usage_error(cmd, argc - optind < 1 ? "missing DST" : "too many operands");
    const char *target = argv[optind];

    if (umount2(target, flags) != 0) {
        int err = errno;
        fprintf(stderr, "viewumount: umount %s failed: %s\n", target, strerror(err));
        if (err == EINVAL)
            fprintf(stderr, "viewumount: %s is not a mount point of this view\n", target);
        return EXIT_CALL_FAILED;
    }
    return 0;
}

/* Returns kmview's pid when the caller runs in a view, or 0 outside any view. */
static long view_server_id(void)
{
    long server = syscall(KMVIEW_SYS_PING);
    return server > 0 ? server : 0;
}

/* Reads the view name into name[size]; returns 0 or -1 with errno set. */
static int get_view_name(char *name, size_t size)
{
    long length = syscall(KMVIEW_SYS_GET_VIEWNAME, name, size);
    return length < 0 ? -1 : 0;
}

static int run_viewname(const struct command *cmd, int argc, char **argv)
{
    int prompt = 0;
    int quiet = 0;
    int opt;
    while ((opt = getopt(argc, argv, ":pqh")) != -1) {
        if (opt == 'p')
            prompt = 1;
        else if (opt == 'q')
            quiet = 1;
        else
            return end_with_common_option(cmd, opt);
    }
    if (argc - optind > 1)
        return usage_error(cmd, "too many operands");

    long server = view_server_id();
    if (server == 0) {
        if (prompt && argc == optind) {
            char host[256] = "";
            gethostname(host, sizeof host - 1);
            fputs(host, stdout);
            return 0;
        }
        if (!quiet)
            fprintf(stderr, "viewname: not inside a kmview view\n");
        return EXIT_CALL_FAILED;
    }

    if (argc - optind == 1) {
        if (syscall(KMVIEW_SYS_SET_VIEWNAME, argv[optind]) < 0) {
            if (!quiet)
                fprintf(stderr, "viewname: setting the view name to %s failed: %s\n", argv[optind], strerror(errno));
            return EXIT_CALL_FAILED;
        }
        return 0;
    }

    char name[256];
    if (get_view_name(name, sizeof name) != 0) {
        if (!quiet)
            fprintf(stderr, "viewname: reading the view name failed: %s\n", strerror(errno));
        return EXIT_CALL_FAILED;
    }
    if (name[0] == '\0') {
        if (quiet)
            return 0;
        char host[256] = "";
        gethostname(host, sizeof host - 1);
        snprintf(name, sizeof name, "%s[%ld:%ld]", host, server, syscall(KMVIEW_SYS_VIEWID));
    }
    fputs(name, stdout);
    if (!prompt)
        putchar('\n');
    return 0;
}

enum vuname_field { F_KERNEL, F_NODE, F_RELEASE, F_VERSION, F_MACHINE, F_PROCESSOR, F_PLATFORM, F_OS,
                    F_SERVER, F_VIEW, F_NAME, FIELD_COUNT };

static int run_vuname(const struct command *cmd, int argc, char **argv)
{
    static const struct option LONG_OPTIONS[] = {
        {"all", no_argument, NULL, 'a'}, {"kernel-name", no_argument, NULL, 's'},
        {"nodename", no_argument, NULL, 'n'}, {"kernel-release", no_argument, NULL, 'r'},
        {"kernel-version", no_argument, NULL, 'v'}, {"machine", no_argument, NULL, 'm'},
        {"processor", no_argument, NULL, 'p'}, {"hardware-platform", no_argument, NULL, 'i'},
        {"operating-system", no_argument, NULL, 'o'}, {"serverid", no_argument, NULL, 'U'},
        {"viewid", no_argument, NULL, 'V'}, {"viewname", no_argument, NULL, 'N'},
        {"nouname", no_argument, NULL, 'x'}, {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    static const char LETTERS[FIELD_COUNT] = {'s', 'n', 'r', 'v', 'm', 'p', 'i', 'o', 'U', 'V', 'N'};
    int wanted[FIELD_COUNT] = {0};
    int all = 0, view_only = 0, quiet = 0, any = 0;
    int opt;
    while ((opt = getopt_long(argc, argv, ":asnrvmpioUVNxqh", LONG_OPTIONS, NULL)) != -1) {
        const char *letter = memchr(LETTERS, opt, FIELD_COUNT);
        if (letter != NULL) {
            wanted[letter - LETTERS] = 1;
            any = 1;
        } else if (opt == 'a') {
            all = 1;
        } else if (opt == 'x') {
            view_only = 1;
        } else if (opt == 'q') {
            quiet = 1;
        } else {
            return end_with_common_option(cmd, opt);
        }
    }
    if (argc > optind)
        return usage_error(cmd, "extra operand");
    if (all) {
        for (int f = view_only ? F_SERVER : 0; f < FIELD_COUNT; f++)
            wanted[f] = 1;
    } else if (!any) {
        wanted[view_only ? F_NAME : F_KERNEL] = 1;
    }
    if (view_only) {
        for (int f = 0; f < F_SERVER; f++)
            wanted[f] = 0;
    }

    long server = view_server_id();
    if (server == 0 && (wanted[F_SERVER] || wanted[F_VIEW] || wanted[F_NAME])) {
        if (all && !view_only) {
            /* Outside a view vuname -a is uname -a. */
            wanted[F_SERVER] = wanted[F_VIEW] = wanted[F_NAME] = 0;
        } else {
            if (!quiet)
                fprintf(stderr, "vuname: not inside a kmview view\n");
            return EXIT_CALL_FAILED;
        }
    }

    struct utsname system;
    if (uname(&system) != 0) {
        fprintf(stderr, "vuname: uname failed: %s\n", strerror(errno));
        return EXIT_CALL_FAILED;
    }
    char server_text[32], view_text[32], name[256] = "";
    snprintf(server_text, sizeof server_text, "%ld", server);
    snprintf(view_text, sizeof view_text, "%ld", server == 0 ? 0L : syscall(KMVIEW_SYS_VIEWID));
    if (server != 0 && wanted[F_NAME] && get_view_name(name, sizeof name) != 0)
        name[0] = '\0';
    const char *values[FIELD_COUNT] = {
        system.sysname, system.nodename, system.release, system.version, system.machine,
        "unknown", "unknown", "GNU/Linux", server_text, view_text, name,
    };

    int printed = 0;
    for (int f = 0; f < FIELD_COUNT; f++) {
        /* As uname -a, vuname -a leaves out the processor and platform when they are unknown. */
        if (!wanted[f] || (all && (f == F_PROCESSOR || f == F_PLATFORM)))
            continue;
        printf("%s%s", printed++ ? " " : "", values[f]);
    }
    putchar('\n');
    return 0;
}

/* Fails with a message when the caller is not in a view; returns 0 when it is. */
static int require_view(const struct command *cmd)
{
    if (view_server_id() != 0)
        return 0;
    fprintf(stderr, "%s: not inside a kmview view; run it in a view started with kmview\n", cmd->name);
    return EXIT_CALL_FAILED;
}

/* Reports a failed management call and returns the exit status for it. */
static int call_failed(const struct command *cmd, const char *action, const char *value)
{
    fprintf(stderr, "%s: %s %s failed: %s\n", cmd->name, action, value, strerror(errno));
    return EXIT_CALL_FAILED;
}

static int run_um_add_service(const struct command *cmd, int argc, char **argv)
{
    long flags = 0;
    if (argc > 1 && strcmp(argv[1], "--permanent") == 0) {
        flags = KMVIEW_ADD_PERMANENT;
        argv[1] = "-p";
    }
    int opt;
    while ((opt = getopt(argc, argv, ":ph")) != -1) {
        if (opt == 'p')
            flags = KMVIEW_ADD_PERMANENT;
        else
            return end_with_common_option(cmd, opt);
    }
    if (argc - optind != 1)
        return usage_error(cmd, argc - optind < 1 ? "missing service" : "too many operands");
    int status = require_view(cmd);
    if (status != 0)
        return status;
    if (syscall(KMVIEW_SYS_ADD_SERVICE, argv[optind], flags) < 0)
        return call_failed(cmd, "loading service", argv[optind]);
    return 0;
}

static int run_um_del_service(const struct command *cmd, int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, ":h")) != -1)
        return end_with_common_option(cmd, opt);
    if (argc - optind != 1)
        return usage_error(cmd, argc - optind < 1 ? "missing service name" : "too many operands");
    int status = require_view(cmd);
    if (status != 0)
        return status;
    if (syscall(KMVIEW_SYS_DEL_SERVICE, argv[optind]) < 0)
        return call_failed(cmd, "removing service", argv[optind]);
    return 0;
}

static int run_um_ls_service(const struct command *cmd, int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, ":h")) != -1)
        return end_with_common_option(cmd, opt);
    if (argc != optind)
        return usage_error(cmd, "too many operands");
    int status = require_view(cmd);
    if (status != 0)
        return status;
    static char list[65536];
    if (syscall(KMVIEW_SYS_LIST_SERVICES, list, sizeof list) < 0)
        return call_failed(cmd, "listing", "services");
    fputs(list, stdout);
    return 0;
}

static int run_um_mov_service(const struct command *cmd, int argc, char **argv)
{
    int opt;
    while ((opt = getopt(argc, argv, ":h")) != -1)
        return end_with_common_option(cmd, opt);
    if (argc - optind != 2)
        return usage_error(cmd, argc - optind < 2 ? "missing NAME or POSITION" : "too many operands");
    char *end;
    long position = strtol(argv[optind + 1], &end, 10);
    if (*argv[optind + 1] == '\0' || *end != '\0' || position < 1)
        return usage_error(cmd, "POSITION must be a whole number from 1");
    int status = require_view(cmd);
    if (status != 0)
        return status;
    if (syscall(KMVIEW_SYS_MOV_SERVICE, argv[optind], position) < 0)
        return call_failed(cmd, "moving service", argv[optind]);
    return 0;
}

static int run_viewsu(const struct command *cmd, int argc, char **argv)
{
    const char *command = NULL;
    int opt;
    while ((opt = getopt(argc, argv, "+:c:h")) != -1) {
        if (opt == 'c')
            command = optarg;
        else
            return end_with_common_option(cmd, opt);
    }
    if (argc - optind > 1)
        return usage_error(cmd, "too many operands");
    if (view_server_id() == 0) {
        fprintf(stderr, "viewsu: not inside a kmview view; run it in a view started with kmview -s\n");
        return EXIT_CALL_FAILED;
    }

    const char *user = optind < argc ? argv[optind] : "root";
    struct passwd *entry = getpwnam(user);
    char *end;
    errno = 0;
    unsigned long number = strtoul(user, &end, 10);
    bool numeric = errno == 0 && *end == '\0' && end != user && user[0] != '-';
    if (entry == NULL && !numeric) {
        fprintf(stderr, "viewsu: user %s not found in the user database; give a user name or a uid\n", user);
        return EXIT_CALL_FAILED;
    }
    /* (uid_t) -1 means "unchanged" to the set*id calls, so it is no user. */
    if (entry == NULL && number > 0xfffffffeUL) {
        fprintf(stderr, "viewsu: uid %s is out of range; give a uid from 0 to 4294967294\n", user);
        return EXIT_CALL_FAILED;
    }
    uid_t uid = entry != NULL ? entry->pw_uid : (uid_t) number;
    if (entry == NULL)
        entry = getpwuid(uid);
    /* A uid without an entry gets the group of the same number, as useradd would make it. */
    gid_t gid = entry != NULL ? entry->pw_gid : (gid_t) uid;
    const char *shell = entry != NULL && entry->pw_shell[0] != '\0' ? entry->pw_shell : "/bin/sh";

    int groups_set = entry != NULL ? initgroups(entry->pw_name, gid) : setgroups(1, &gid);
    if (groups_set != 0 || setresgid(gid, gid, gid) != 0 || setresuid(uid, uid, uid) != 0) {
        int err = errno;
        fprintf(stderr, "viewsu: changing to user %s failed: %s\n", user, strerror(err));
        if (err == EPERM)
            fprintf(stderr, "viewsu: only root may change user (in a view started with kmview -s,"
                            " the program starts as root of the view)\n");
        return EXIT_CALL_FAILED;
    }
    /* A uid the user database does not list has no name or home: show the number and /. */
    setenv("HOME", entry != NULL ? entry->pw_dir : "/", 1);
    setenv("USER", entry != NULL ? entry->pw_name : user, 1);
    setenv("LOGNAME", entry != NULL ? entry->pw_name : user, 1);
    setenv("SHELL", shell, 1);
    if (command != NULL)
        execl(shell, shell, "-c", command, (char *) NULL);
    else
        execl(shell, shell, (char *) NULL);
    fprintf(stderr, "viewsu: cannot run %s: %s\n", shell, strerror(errno));
    return 127;
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++) {
        if (strcmp(COMMANDS[i].name, name) == 0)
            return &COMMANDS[i];
    }
    return NULL;
}

/* Prints the problem and the list of commands on stderr, and returns the usage exit status. */
static int list_commands(const char *problem)
{
    fprintf(stderr, "kmview-cmd: %s\nRun one of these commands through a link with its name,"
                    " or as 'kmview-cmd COMMAND [ARG...]':\n", problem);
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(stderr, "  %s %s\n", COMMANDS[i].name, COMMANDS[i].synopsis);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 1 || argv[0] == NULL)
        return list_commands("missing program name (argv[0] is empty)");

    /* GNU basename() from <string.h>: returns the part after the last '/' and never modifies its argument. */
    const char *name = basename(argv[0]);
    if (strcmp(name, "kmview-cmd") == 0) {
        if (argc < 2)
            return list_commands("missing command name");
        argc--;
        argv++;
        name = argv[0];
    }

    const struct command *cmd = find_command(name);
    if (cmd == NULL) {
        char problem[256];
        snprintf(problem, sizeof problem, "unknown command '%s'", name);
        return list_commands(problem);
    }
    /* Most commands accept --help, but getopt() handles only -h. */
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: %s %s\n%s", cmd->name, cmd->synopsis, cmd->help);
        return 0;
    }
    return cmd->run(cmd, argc, argv);
}
