package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.Errno;
import org.kmview.spi.Operation;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;
import org.mockito.InOrder;

/** Changes by path below a mount that forwards them: their descriptions, rejections and outcomes. */
class ForwardingDispatchTest {

    private static final int MKDIR = 83;
    private static final int RENAME = 82;
    private static final int CHMOD = 90;
    private static final int OPENAT = 257;
    private static final long AT_FDCWD = -100;
    private static final long O_RDONLY = 0;
    private static final long ORIG_RAX = 15 * 8;
    private static final long RAX = 10 * 8;
    private static final long PATH = 0x1000;
    private static final long PATH2 = 0x2000;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();
    private final List<Operation> forwarded = new ArrayList<>();
    private final List<String> ended = new ArrayList<>();
    private ServiceException refusal;
    private boolean completes;

    @BeforeEach
    void setUp() {
        host.dir("/host/fwd/dir").file("/host/fwd/file").dir("/host/other").link("/proc/" + PROGRAM + "/cwd", "/");
        host.stub(kernel.libc);
        mounts.add(new MountTable.Entry("/mnt/fwd", "testfs", "none", "fixture", new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host(relative.isEmpty() ? "/host/fwd" : "/host/fwd/" + relative);
            }

            @Override
            public boolean forwardsOperations() {
                return true;
            }

            @Override
            public boolean forward(Operation operation) throws ServiceException {
                forwarded.add(operation);
                if (refusal != null) {
                    throw refusal;
                }
                return completes;
            }

            @Override
            public void forwarded(Operation operation, boolean succeeded) {
                ended.add(operation.path() + (succeeded ? " done" : " failed"));
            }
        }));
        mounts.add(new MountTable.Entry("/mnt/other", "testfs", "none", "fixture",
                relative -> PathMapping.host(relative.isEmpty() ? "/host/other" : "/host/other/" + relative)));
    }

    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        Dispatcher dispatcher = new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, new FileSystems(), 4242);
        kernel.run(dispatcher);
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    private void verifySkipped(long result) {
        InOrder order = inOrder(kernel.ptrace);
        order.verify(kernel.ptrace).pokeUser(PROGRAM, ORIG_RAX, -1);
        order.verify(kernel.ptrace).pokeUser(PROGRAM, RAX, result);
    }

    @Test
    void mkdirForwardsModeWithoutUmask() {
        kernel.string(PATH, "/mnt/fwd/new").seccompStop(PROGRAM, MKDIR, PATH, 0777).syscallExit(PROGRAM, 0);
        run();

        // The scripted process has no /proc entry, so the umask is the usual 022.
        assertEquals(List.of(new Operation.MakeDirectory("new", 0755)), forwarded);
        assertEquals(List.of("new done"), ended);
    }

    @Test
    void refusalFailsCallWithItsErrno() {
        refusal = new ServiceException(Errno.EROFS, "read-only");
        kernel.string(PATH, "/mnt/fwd/file").seccompStop(PROGRAM, CHMOD, PATH, 0600);
        run();

        assertEquals(List.of(new Operation.SetMode("file", 0600)), forwarded);
        verifySkipped(-Errno.EROFS.number());
        assertEquals(List.of(), ended);
    }

    @Test
    void renameWithinMountForwardsBothPaths() {
        kernel.string(PATH, "/mnt/fwd/file").string(PATH2, "/mnt/fwd/dir/moved")
                .seccompStop(PROGRAM, RENAME, PATH, PATH2).syscallExit(PROGRAM, -Errno.EACCES.number());
        run();

        assertEquals(List.of(new Operation.Rename("file", "dir/moved", 0)), forwarded);
        assertEquals(List.of("file failed"), ended);
    }

    @Test
    void renameOutOfMountIsExdev() {
        kernel.string(PATH, "/mnt/fwd/file").string(PATH2, "/mnt/other/file")
                .seccompStop(PROGRAM, RENAME, PATH, PATH2);
        run();

        assertEquals(List.of(), forwarded);
        verifySkipped(-Errno.EXDEV.number());
    }

    @Test
    void readOnlyOpenIsNotForwarded() {
        kernel.string(PATH, "/mnt/fwd/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, O_RDONLY);
        run();

        assertEquals(List.of(), forwarded);
        verify(kernel.ptrace, never()).pokeUser(PROGRAM, ORIG_RAX, -1);
    }

    @Test
    void changeCompletedByMountSkipsCall() {
        completes = true;
        kernel.string(PATH, "/mnt/fwd/file").seccompStop(PROGRAM, CHMOD, PATH, 0600);
        run();

        assertEquals(List.of(new Operation.SetMode("file", 0600)), forwarded);
        verifySkipped(0);
        assertEquals(List.of(), ended);
    }
}
