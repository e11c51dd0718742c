package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * um_add_service, um_del_service, um_ls_service and um_mov_service in a running view. Two
 * services serve the type {@code scratch}: the example service, and a fixture service built here
 * whose mounts show a directory named by its {@code dir} option.
 */
@Timeout(120)
class ServiceManagementIT {

    private static final String FIXTURE = """
            package fixture.fixed;

            import java.util.Optional;
            import org.kmview.spi.*;

            public final class FixedService implements ViewService {
                private String directory;

                public String name() { return "fixed"; }

                public String description() { return "shows the directory of its dir option"; }

                public void start(ServiceContext context, Options options) throws ServiceException {
                    directory = options.value("dir").orElseThrow(
                            () -> new ServiceException(Errno.EINVAL, "fixed needs dir=DIRECTORY"));
                    context.registerFileSystem(new FileSystemType() {
                        public String name() { return "scratch"; }

                        public VirtualMount mount(MountRequest request) {
                            return new VirtualMount() {
                                public PathMapping map(String relative) {
                                    return PathMapping.host(relative.isEmpty() ? directory : directory + "/" + relative);
                                }

                                public Optional<String> hostRoot() { return Optional.of(directory); }
                            };
                        }
                    });
                }
            }
            """;

    @TempDir
    Path tmp;

    private Path modulePath;

    @BeforeEach
    void buildServices() {
        Path example = Run.home().resolve("../../../examples/scratch-service").normalize();
        Path copy = tmp.resolve("scratch-service");
        assertEquals(0, Run.outside("cp", "-r", example.toString(), copy.toString()).result().exitCode());
        Run.Result built = Run.outside("sh", copy.resolve("build.sh").toString(), Run.home().toString()).result();
        assertEquals(0, built.exitCode(), built::toString);

        modulePath = tmp.resolve("services");
        Path source = tmp.resolve("fixed-src");
        Run.write(source.resolve("module-info.java"),
                "module fixture.fixed { requires kmview.spi; provides org.kmview.spi.ViewService with fixture.fixed.FixedService; }\n");
        Run.write(source.resolve("fixture/fixed/FixedService.java"), FIXTURE);
        String spi = Run.home().resolve("lib/kmview-spi.jar").toString();
        Run.Result compiled = Run.outside("sh", "-c", "javac -d " + tmp.resolve("fixed-classes") + " --module-path "
                + spi + " $(find " + source + " -name '*.java') && mkdir -p " + modulePath.resolve("fixed")
                + " && jar --create --file " + modulePath.resolve("fixed/fixed.jar") + " -C " + tmp.resolve("fixed-classes")
                + " . && mkdir -p " + modulePath.resolve("scratch") + " && cp " + copy.resolve("dist/scratch.jar") + " "
                + modulePath.resolve("scratch")).result();
        assertEquals(0, compiled.exitCode(), compiled::toString);
    }

    private Run.Result inView(List<String> options, String script) {
        return Run.insideWith(options, "sh", "-c", script).env("KMVIEW_MODULE_PATH", modulePath.toString()).result();
    }

    /** What um_ls_service prints for viewfs. */
    private static final String VIEWFS_LINE = "viewfs: binds, hides, merges and copies on write paths of the view"
            + " (viewmount -t viewfs -o move|hide|merge|cow|mincow SRC DST)\n";

    @Test
    void addListRemove() {
        Run.Result run = inView(List.of("-p", "viewfs"), "um_add_service scratch && um_ls_service && echo --"
                + " && um_del_service scratch && um_ls_service");

        assertEquals(VIEWFS_LINE
                + "scratch: private scratch directories, deleted at unmount (mount -t scratch none DIR)\n--\n"
                + VIEWFS_LINE,
                run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void addTwiceFailsEexist() {
        Run.Result run = inView(List.of("-p", "viewfs"), "um_add_service viewfs");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("um_add_service: loading service viewfs failed: File exists"), run::toString);
    }

    @Test
    void removeErrors() {
        Path mount = tmp.resolve("work");
        Run.Result run = inView(List.of("-p", "viewfs"), "um_del_service nosuch; echo $?;"
                + " um_add_service --permanent scratch && um_del_service scratch; echo $?;"
                + " viewmount -t viewfs " + tmp + " " + mount + " && um_del_service viewfs; echo $?");

        assertEquals("1\n1\n1\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("removing service nosuch failed: No such file or directory"), run::toString);
        assertTrue(run.stderr().contains("removing service scratch failed: Operation not permitted"), run::toString);
        assertTrue(run.stderr().contains("removing service viewfs failed: Device or resource busy"), run::toString);
        assertTrue(run.stderr().contains("kmview: warn: um_del_service: service viewfs still has mounts at " + mount),
                run::toString);
    }

    @Test
    void orderDecidesSharedType() {
        Path fixedDir = tmp.resolve("fixed-dir");
        Run.write(fixedDir.resolve("marker"), "fixed\n");
        Path mount = tmp.resolve("m");
        String listMount = "viewmount -t scratch none " + mount + " && ls " + mount + "; viewumount " + mount + ";";

        Run.Result run = inView(List.of("-p", "viewfs", "-p", "scratch", "-p", "fixed,dir=" + fixedDir),
                "echo first; " + listMount + " um_mov_service fixed 1 && um_ls_service | cut -d: -f1 && echo second; "
                        + listMount + " um_mov_service fixed 9 && um_ls_service | cut -d: -f1");

        assertEquals("first\nfixed\nviewfs\nscratch\nsecond\nmarker\nviewfs\nscratch\nfixed\n", run.stdout(), run::toString);
    }

    @Test
    void orderDecidesSharedMountPoint() {
        // scratch mounts first and fixed on top of it; the earlier service in the order keeps the point.
        Path fixedDir = tmp.resolve("fixed-dir");
        Run.write(fixedDir.resolve("marker"), "fixed\n");
        Path mount = tmp.resolve("m");
        Run.Result run = inView(List.of("-p", "viewfs", "-p", "scratch", "-p", "fixed,dir=" + fixedDir),
                "viewmount -t scratch none " + mount + " && um_mov_service fixed 1 && viewmount -t scratch none "
                        + mount + " && um_mov_service fixed 3 && echo scratch first: && ls " + mount
                        + " && um_mov_service fixed 1 && echo fixed first: && ls " + mount);

        assertEquals("scratch first:\nfixed first:\nmarker\n", run.stdout(), run::toString);
    }

    @Test
    void addReachesRunningProcesses() {
        // The view starts with no service, so nothing but kmview's own calls is trapped. After
        // um_add_service, a process started before it (sleeping, then reading) and the shell
        // itself (cd is a builtin) see the mount.
        Run.write(tmp.resolve("src/f"), "runtime\n");
        Path target = tmp.resolve("dst");
        Run.Result run = inView(List.of(), "(sleep 1; cat " + target + "/f) & um_add_service viewfs"
                + " && viewmount -t viewfs " + tmp.resolve("src") + " " + target
                + " && cd " + target + " && pwd && wait");

        assertEquals(target + "\nruntime\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void addReachesBlockedReader() {
        // A process blocked in read(2) before the add is interrupted, gets the wider filter, and
        // goes on reading; its next open goes through the view.
        Run.write(tmp.resolve("src/f"), "after\n");
        Path fifo = tmp.resolve("fifo");
        Path target = tmp.resolve("dst");
        Run.Result run = inView(List.of(), "mkfifo " + fifo + " && (read line < " + fifo
                + " && echo got $line && cat " + target + "/f) & sleep 0.3 && um_add_service viewfs"
                + " && viewmount -t viewfs " + tmp.resolve("src") + " " + target
                + " && echo go > " + fifo + " && wait");

        assertEquals("got go\nafter\n", run.stdout(), run::toString);
    }

    @Test
    void outsideViewCommandsFail() {
        for (String command : List.of("um_ls_service", "um_del_service")) {
            List<String> argv = command.equals("um_ls_service") ? List.of(Run.home().resolve("bin/" + command).toString())
                    : List.of(Run.home().resolve("bin/" + command).toString(), "viewfs");
            Run.Result run = Run.outside(argv.toArray(String[]::new)).result();

            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(run.stderr().contains("not inside a kmview view"), run::toString);
        }
    }

    @Test
    void addByRelativePathInView() {
        // The jar path is read as the caller sees it: relative to its cwd, through a viewfs bind.
        Path bound = tmp.resolve("bound");
        Run.Result run = inView(List.of("-p", "viewfs"), "viewmount -t viewfs " + modulePath.resolve("scratch") + " "
                + bound + " && cd " + bound + " && um_add_service ./scratch.jar && um_ls_service | cut -d: -f1");

        assertEquals("viewfs\nscratch\n", run.stdout(), run::toString);
    }

    @Test
    void addGetsServiceErrno() {
        Run.Result run = inView(List.of("-p", "viewfs"), "um_add_service scratch,size=1");

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("loading service scratch,size=1 failed: Invalid argument"), run::toString);
    }

    @Test
    void busyMountRefusedUnlessLazy() {
        Path target = tmp.resolve("dst");
        Run.write(tmp.resolve("src/f"), "x\n");
        Run.Result run = inView(List.of("-p", "viewfs"), "viewmount -t viewfs " + tmp.resolve("src") + " " + target
                + " && exec 3< " + target + "/f && viewumount " + target + "; echo busy=$?; um_del_service viewfs;"
                + " echo del=$?; viewumount -l " + target + "; echo lazy=$?");

        assertEquals("busy=1\ndel=1\nlazy=0\n", run.stdout(), run::toString);
        assertTrue(run.stderr().contains("file descriptor 3 of process"), run::toString);
    }
}
