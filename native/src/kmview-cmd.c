/*
 * kmview-cmd: the in-view commands, one multi-call binary.
 *
 * The distribution links each command name (viewmount, viewumount) to this binary,
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
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
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

    if (mount(source, target, type, 0, options) != 0) {
        int err = errno;
        if (type != NULL)
            fprintf(stderr, "viewmount: mount %s on %s (type %s) failed: %s\n",
                    source, target, type, strerror(err));
        else
            fprintf(stderr, "viewmount: mount %s on %s (no type) failed: %s\n",
                    source, target, strerror(err));
        if (err == ENODEV && type != NULL) {
            /* The kernel does not know the type either: say where a service type comes from. */
            if (syscall(KMVIEW_SYS_PING) > 0)
                fprintf(stderr, "viewmount: no service of this view serves type %s; start kmview with "
                        "-p SERVICE (-p viewfs for type viewfs)\n", type);
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
        return EXIT_CALL_FAILED;
    }
    return 0;
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
    /* --help is spelled out as in most commands; getopt() knows only -h. */
    if (argc == 2 && strcmp(argv[1], "--help") == 0) {
        printf("usage: %s %s\n%s", cmd->name, cmd->synopsis, cmd->help);
        return 0;
    }
    return cmd->run(cmd, argc, argv);
}
