package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.dispatch.MountTableTest.move;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.PathMapping;
import org.kmview.spi.StatView;
import org.kmview.spi.VirtualMount;

/** stat and statx below a mount with a {@link StatView}: device, owner and mode patched at exit. */
class StatResultsTest {

    private static final long AT_FDCWD = -100;
    private static final int NEWFSTATAT = 262;
    private static final int STATX = 332;
    private static final long PATH = 0x1000;
    private static final long BUFFER = 0x5000;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();

    @BeforeEach
    void setUp() {
        host.dir("/state/tree").file("/state/tree/file").file("/host/plain").link("/proc/" + PROGRAM + "/cwd", "/");
        host.stub(kernel.libc);
        VirtualMount image = new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host(relative.isEmpty() ? "/state/tree" : "/state/tree/" + relative);
            }

            @Override
            public Optional<StatView> statView() {
                return Optional.of(new StatView(true, 1234, 99, 0640, -1, 0));
            }
        };
        mounts.add(entry("/other", move("/host")));
        mounts.add(entry("/image", image));
    }

    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, new FileSystems(), 4242));
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    @Test
    void statPatchedBelowMount() {
        ByteBuffer stat = ByteBuffer.allocate(144).order(ByteOrder.nativeOrder());
        stat.putLong(0, 0x803).putInt(24, 0100755).putInt(28, 1000).putInt(32, 1000);
        kernel.string(PATH, "/image/file").memory(BUFFER, stat.array())
                .seccompStop(PROGRAM, NEWFSTATAT, AT_FDCWD, PATH, BUFFER, 0).syscallExit(PROGRAM, 0);
        run();

        ScriptedKernel.Write patched = kernel.writes().get(kernel.writes().size() - 1);
        assertEquals(BUFFER, patched.address());
        ByteBuffer fields = ByteBuffer.wrap(patched.data()).order(ByteOrder.nativeOrder());
        assertEquals(StatResults.encodeDevice(0, 0xfa000), fields.getLong(0));
        assertEquals(0100640, fields.getInt(24));
        assertEquals(1234, fields.getInt(28));
        assertEquals(99, fields.getInt(32));
    }

    @Test
    void statxPatchedBelowMount() {
        ByteBuffer statx = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
        statx.putInt(20, 1000).putInt(24, 1000).putShort(28, (short) 040755).putInt(136, 8).putInt(140, 3);
        kernel.string(PATH, "/image").memory(BUFFER, statx.array())
                .seccompStop(PROGRAM, STATX, AT_FDCWD, PATH, 0, 0x7ff, BUFFER).syscallExit(PROGRAM, 0);
        run();

        ScriptedKernel.Write patched = kernel.writes().get(kernel.writes().size() - 1);
        ByteBuffer fields = ByteBuffer.wrap(patched.data()).order(ByteOrder.nativeOrder());
        assertEquals(040755, fields.getShort(28) & 0xffff, "directories keep their mode without directoryMode");
        assertEquals(1234, fields.getInt(20));
        assertEquals(0, fields.getInt(136));
        assertEquals(0xfa000, fields.getInt(140));
    }

    @Test
    void failedOrOtherStatUntouched() {
        kernel.string(PATH, "/other/plain").seccompStop(PROGRAM, NEWFSTATAT, AT_FDCWD, PATH, BUFFER, 0)
                .syscallExit(PROGRAM, 0)
                .string(PATH + 0x100, "/image/file").seccompStop(PROGRAM, NEWFSTATAT, AT_FDCWD, PATH + 0x100, BUFFER, 0)
                .syscallExit(PROGRAM, -2);
        run();

        assertEquals(0, kernel.writes().stream().filter(write -> write.address() == BUFFER).count());
    }
}
