package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.core.internal.dispatch.DirectoryEntriesTest.concat;
import static org.kmview.core.internal.dispatch.DirectoryEntriesTest.dirent64;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.dispatch.MountTableTest.hide;
import static org.kmview.core.internal.dispatch.MountTableTest.move;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.Errno;
import org.kmview.spi.FileSystemType;
import org.kmview.spi.MountRequest;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/**
 * Drives the {@link Dispatcher} through a real tracer over a scripted kernel: each test queues
 * seccomp stops of the program and checks the registers and memory the dispatcher writes.
 */
class DispatcherTest {

    private static final int KMVIEW_PID = 4242;
    private static final long AT_FDCWD = -100;

    // x86_64 syscall numbers.
    private static final int CONNECT = 42;
    private static final int EXECVE = 59;
    private static final int GETCWD = 79;
    private static final int RENAME = 82;
    private static final int READLINK = 89;
    private static final int MOUNT = 165;
    private static final int UMOUNT2 = 166;
    private static final int GETDENTS64 = 217;
    private static final int OPENAT = 257;
    private static final int NEWFSTATAT = 262;
    private static final int NAME_TO_HANDLE_AT = 303;
    private static final int IO_URING_SETUP = 425;
    private static final int OPENAT2 = 437;

    // Offsets in struct user_regs_struct.
    private static final long R10 = 7 * 8;
    private static final long RAX = 10 * 8;
    private static final long RDX = 12 * 8;
    private static final long RSI = 13 * 8;
    private static final long RDI = 14 * 8;
    private static final long ORIG_RAX = 15 * 8;
    private static final long RIP = 16 * 8;

    private static final long RESOLVE_NO_XDEV = 0x01;
    private static final long RESOLVE_BENEATH = 0x08;
    private static final long RESOLVE_IN_ROOT = 0x10;

    private static final long PATH = 0x1000;
    private static final long PATH2 = 0x2000;
    private static final long BUFFER = 0x5000;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final Ptrace ptrace = kernel.ptrace;
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();
    private final FileSystems fileSystems = new FileSystems();
    private final List<MountRequest> requests = new ArrayList<>();

    @BeforeEach
    void setUp() {
        host.dir("/usr/bin").file("/usr/bin/tool")
                .file("/mnt/plain/x").file("/mnt/secret/file")
                .dir("/host/src/dir").file("/host/src/file").file("/host/src/bin/tool")
                .file("/host/other/target")
                .link("/proc/" + PROGRAM + "/cwd", "/usr")
                .link("/proc/" + PROGRAM + "/fd/3", "/mnt")
                .link("/proc/" + PROGRAM + "/fd/4", "/usr")
                .link("/proc/" + PROGRAM + "/fd/7", "/host/src")
                .link("/proc/" + PROGRAM + "/fd/9", "/host/src/file")
                .link("/proc/" + PROGRAM + "/fd/11", "pipe:[77]");
        host.stub(kernel.libc);
    }

    private void addMounts() {
        mounts.add(entry("/mnt/move", move("/host/src")));
        mounts.add(entry("/mnt/secret", hide()));
    }

    private void registerTestType(VirtualMount result) {
        fileSystems.register("fixture", new FileSystemType() {
            @Override
            public String name() {
                return "testfs";
            }

            @Override
            public VirtualMount mount(MountRequest request) {
                requests.add(request);
                return result;
            }
        });
    }

    private void registerFailingType(RuntimeException runtime, ServiceException checked) {
        fileSystems.register("fixture", new FileSystemType() {
            @Override
            public String name() {
                return "testfs";
            }

            @Override
            public VirtualMount mount(MountRequest request) throws ServiceException {
                if (checked != null) {
                    throw checked;
                }
                throw runtime;
            }
        });
    }

    /** Runs the script, with the program exiting at the end. */
    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        Dispatcher dispatcher = new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, fileSystems, KMVIEW_PID);
        dispatcher.trapSocketNamesWith(socketNamesTrapped::add);
        kernel.run(dispatcher);
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    private void verifySkipped(long result) {
        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, ORIG_RAX, -1);
        order.verify(ptrace).pokeUser(PROGRAM, RAX, result);
        order.verify(ptrace).cont(PROGRAM, 0);
        verify(ptrace, never()).resumeToSyscallExit(anyInt(), anyInt());
    }

    private void verifyUntouched() {
        verify(ptrace, never()).pokeUser(anyInt(), anyLong(), anyLong());
        verify(ptrace, never()).resumeToSyscallExit(anyInt(), anyInt());
        assertEquals(List.of(), kernel.writes());
    }

    private static byte[] terminated(String value) {
        byte[] raw = value.getBytes(StandardCharsets.ISO_8859_1);
        return Arrays.copyOf(raw, raw.length + 1);
    }

    @Test
    void pingReturnsKmviewPid() {
        kernel.seccompStop(PROGRAM, ManagementCall.PING);
        run();

        verifySkipped(KMVIEW_PID);
    }

    @Test
    void otherManagementCallEnosys() {
        kernel.seccompStop(PROGRAM, ManagementCall.BASE - ManagementCall.COUNT + 1);
        run();

        verifySkipped(-Errno.ENOSYS.number());
    }

    @Test
    void viewIdIsZero() {
        kernel.seccompStop(PROGRAM, ManagementCall.VIEWID);
        run();

        verifySkipped(0);
    }

    @Test
    void setViewNameThenGet() {
        ViewIdentity identity = new ViewIdentity(KMVIEW_PID, "");
        kernel.string(PATH, "lab").seccompStop(PROGRAM, ManagementCall.SET_VIEWNAME, PATH)
                .seccompStop(PROGRAM, ManagementCall.GET_VIEWNAME, PATH2, 64)
                .waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, fileSystems, identity, true));

        assertEquals("lab", identity.name());
        assertEquals("lab\0", kernel.writes().get(0).text());
        assertEquals(PATH2, kernel.writes().get(0).address());
    }

    @Test
    void getViewNameTooSmallBuffer() {
        ViewIdentity identity = new ViewIdentity(KMVIEW_PID, "a-long-name");
        kernel.seccompStop(PROGRAM, ManagementCall.GET_VIEWNAME, PATH2, 4).waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, fileSystems, identity, true));

        verifySkipped(-Errno.ERANGE.number());
    }

    @Test
    void noMountsUntouched() {
        kernel.string(PATH, "/mnt/move/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0);
        run();

        verifyUntouched();
        verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void pathOutsideMountsUntouched() {
        addMounts();
        kernel.string(PATH, "/usr/bin/tool").seccompStop(PROGRAM, NEWFSTATAT, AT_FDCWD, PATH, BUFFER, 0);
        run();

        verifyUntouched();
    }

    @Test
    void openatRewritesPath() {
        addMounts();
        kernel.string(PATH, "/mnt/move/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0)
                .syscallExit(PROGRAM, 3);
        run();

        ScriptedKernel.Write write = kernel.writes().get(0);
        assertArrayEquals(terminated("/host/src/file"), write.data());
        assertTrue(write.address() + write.data().length <= ScriptedKernel.STACK_POINTER - 128, "in red zone");
        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, write.address());
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, PATH);
        order.verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void hiddenPathFailsEnoent() {
        addMounts();
        kernel.string(PATH, "/mnt/secret/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0);
        run();

        verifySkipped(-Errno.ENOENT.number());
        assertEquals(List.of(), kernel.writes());
    }

    @Test
    void dirfdRelativeRewritten() {
        // dirfd 3 is /mnt: "move/file" enters the move mount, which the kernel would not.
        addMounts();
        kernel.string(PATH, "move/file").seccompStop(PROGRAM, OPENAT, 3, PATH, 0).syscallExit(PROGRAM, 3);
        run();

        assertEquals("/host/src/file\0", kernel.writes().get(0).text());
    }

    @Test
    void dirfdInsideMountPasses() {
        // dirfd 7 is the move's host root: the kernel reaches the same file without a rewrite.
        addMounts();
        kernel.string(PATH, "file").seccompStop(PROGRAM, OPENAT, 7, PATH, 0);
        run();

        verifyUntouched();
    }

    @Test
    void renameRewritesBoth() {
        addMounts();
        kernel.string(PATH, "/mnt/move/file").string(PATH2, "/mnt/move/new")
                .seccompStop(PROGRAM, RENAME, PATH, PATH2).syscallExit(PROGRAM, 0);
        run();

        List<ScriptedKernel.Write> writes = kernel.writes();
        assertEquals("/host/src/file\0", writes.get(0).text());
        assertEquals("/host/src/new\0", writes.get(1).text());
        assertTrue(writes.get(1).address() + writes.get(1).data().length <= writes.get(0).address(), "overlap");
        verify(ptrace).pokeUser(PROGRAM, RDI, writes.get(0).address());
        verify(ptrace).pokeUser(PROGRAM, RSI, writes.get(1).address());
        verify(ptrace).pokeUser(PROGRAM, RDI, PATH);
        verify(ptrace).pokeUser(PROGRAM, RSI, PATH2);
    }

    @Test
    void secondPathHiddenFails() {
        addMounts();
        kernel.string(PATH, "/mnt/move/file").string(PATH2, "/mnt/secret/new")
                .seccompStop(PROGRAM, RENAME, PATH, PATH2);
        run();

        verifySkipped(-Errno.ENOENT.number());
    }

    @Test
    void secondPathHiddenRestoresFirst() {
        // The first path was rewritten before the second failed: the process gets its RDI back.
        addMounts();
        kernel.string(PATH, "/mnt/move/file").string(PATH2, "/mnt/secret/new")
                .seccompStop(PROGRAM, RENAME, PATH, PATH2);
        run();

        verify(ptrace).pokeUser(PROGRAM, RDI, PATH);
    }

    @Test
    void execveRewritesPath() {
        addMounts();
        kernel.string(PATH, "/mnt/move/bin/tool").seccompStop(PROGRAM, EXECVE, PATH, 0x1100, 0x1200)
                .syscallExit(PROGRAM, -Errno.ENOEXEC.number());
        run();

        assertEquals("/host/src/bin/tool\0", kernel.writes().get(0).text());
        verify(ptrace).pokeUser(PROGRAM, RDI, PATH);
    }

    @Test
    void unreadablePathUntouched() {
        addMounts();
        kernel.seccompStop(PROGRAM, OPENAT, AT_FDCWD, 0xdead000, 0);
        run();

        verifyUntouched();
    }

    @Test
    void getcwdInViewTerms() {
        addMounts();
        host.link("/proc/" + PROGRAM + "/cwd", "/host/src/dir");
        kernel.seccompStop(PROGRAM, GETCWD, BUFFER, 4096);
        run();

        assertEquals("/mnt/move/dir\0", kernel.writes().get(0).text());
        assertEquals(BUFFER, kernel.writes().get(0).address());
        verifySkipped("/mnt/move/dir".length() + 1);
    }

    @Test
    void getcwdSmallBufferErange() {
        addMounts();
        host.link("/proc/" + PROGRAM + "/cwd", "/host/src/dir");
        kernel.seccompStop(PROGRAM, GETCWD, BUFFER, 5);
        run();

        verifySkipped(-Errno.ERANGE.number());
        assertEquals(List.of(), kernel.writes());
    }

    @Test
    void getcwdOutsideMountsUntouched() {
        addMounts();
        kernel.seccompStop(PROGRAM, GETCWD, BUFFER, 4096);
        run();

        verifyUntouched();
    }

    @Test
    void readlinkProcFdInViewTerms() {
        addMounts();
        kernel.string(PATH, "/proc/self/fd/9").seccompStop(PROGRAM, READLINK, PATH, BUFFER, 4096);
        run();

        assertEquals("/mnt/move/file", kernel.writes().get(0).text());
        assertEquals(BUFFER, kernel.writes().get(0).address());
        verifySkipped("/mnt/move/file".length());
    }

    @Test
    void readlinkTruncatedToBuffer() {
        addMounts();
        kernel.string(PATH, "/proc/self/fd/9").seccompStop(PROGRAM, READLINK, PATH, BUFFER, 4);
        run();

        assertEquals("/mnt", kernel.writes().get(0).text());
        verifySkipped(4);
    }

    @Test
    void readlinkPipeUntouched() {
        addMounts();
        kernel.string(PATH, "/proc/self/fd/11").seccompStop(PROGRAM, READLINK, PATH, BUFFER, 4096);
        run();

        verifyUntouched();
    }

    @Test
    void mountRegisteredType() {
        addMounts();
        registerTestType(move("/host/other"));
        kernel.string(PATH, "/mnt/move/dir").string(PATH2, "/data").string(0x3000, "testfs")
                .string(0x4000, "move,ro")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0x4000);
        run();

        verifySkipped(0);
        MountRequest request = requests.get(0);
        assertEquals("/mnt/move/dir", request.source());
        assertEquals(Optional.of("/host/src/dir"), request.hostSource());
        assertEquals("/data", request.mountPoint());
        assertTrue(request.options().has("ro"));
        MountTable.Entry added = mounts.entries().get(mounts.entries().size() - 1);
        assertEquals("/data", added.mountPoint());
        assertEquals("testfs", added.type());
        assertEquals("fixture", added.service());
    }

    @Test
    void mountNoneSourceEmptyHost() {
        registerTestType(hide());
        kernel.string(PATH, "none").string(PATH2, "/mnt/plain").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        assertEquals(Optional.empty(), requests.get(0).hostSource());
        assertEquals("/mnt/plain", requests.get(0).mountPoint());
    }

    @Test
    void mountRelativeTargetInView() {
        addMounts();
        registerTestType(hide());
        host.link("/proc/" + PROGRAM + "/cwd", "/host/src");
        kernel.string(PATH, "none").string(PATH2, "dir").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        assertEquals("/mnt/move/dir", requests.get(0).mountPoint());
    }

    @Test
    void mountTargetMissingParent() {
        // Neither /newdir nor /newdir/sub exists: the mount must not land on /newdir.
        registerTestType(hide());
        kernel.string(PATH, "none").string(PATH2, "/newdir/sub").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        List<String> points = mounts.entries().stream().map(MountTable.Entry::mountPoint).toList();
        assertFalse(points.contains("/newdir"), "mounted on " + points);
    }

    @Test
    void mountUnknownTypePasses() {
        registerTestType(hide());
        kernel.string(PATH, "/dev/sda1").string(PATH2, "/mnt/plain").string(0x3000, "ext4")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        verifyUntouched();
        assertEquals(List.of(), requests);
        assertTrue(mounts.isEmpty());
    }

    @Test
    void mountServiceErrno() {
        registerFailingType(null, new ServiceException(Errno.EACCES, "no access to /x"));
        kernel.string(PATH, "/x").string(PATH2, "/mnt/plain").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        verifySkipped(-Errno.EACCES.number());
        assertTrue(mounts.isEmpty());
    }

    @Test
    void mountServiceCrashEio() {
        registerFailingType(new IllegalStateException("broken on purpose"), null);
        kernel.string(PATH, "/x").string(PATH2, "/mnt/plain").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        verifySkipped(-Errno.EIO.number());
        assertTrue(mounts.isEmpty());
    }

    @Test
    void mountBadOptionsEinval() {
        registerTestType(hide());
        kernel.string(PATH, "none").string(PATH2, "/mnt/plain").string(0x3000, "testfs")
                .string(0x4000, "move,,ro")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0x4000);
        run();

        verifySkipped(-Errno.EINVAL.number());
        assertEquals(List.of(), requests);
    }

    @Test
    void mountOnHiddenEnoent() {
        addMounts();
        registerTestType(hide());
        kernel.string(PATH, "none").string(PATH2, "/mnt/secret/in").string(0x3000, "testfs")
                .seccompStop(PROGRAM, MOUNT, PATH, PATH2, 0x3000, 0, 0);
        run();

        verifySkipped(-Errno.ENOENT.number());
        assertEquals(List.of(), requests);
    }

    @Test
    void umountRemovesVirtual() {
        AtomicInteger released = new AtomicInteger();
        mounts.add(entry("/mnt/other", new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.host("/host/other" + (relative.isEmpty() ? "" : "/" + relative));
            }

            @Override
            public void unmount() {
                released.incrementAndGet();
            }
        }));
        kernel.string(PATH, "/mnt/other").seccompStop(PROGRAM, UMOUNT2, PATH, 0);
        run();

        verifySkipped(0);
        assertTrue(mounts.isEmpty());
        assertEquals(1, released.get());
    }

    @Test
    void umountRealPathPasses() {
        addMounts();
        kernel.string(PATH, "/usr").seccompStop(PROGRAM, UMOUNT2, PATH, 0);
        run();

        verifyUntouched();
        assertEquals(2, mounts.entries().size());
    }

    @Test
    void getdentsHidesNames() {
        addMounts();
        byte[] dot = dirent64(1, ".", (byte) 4);
        byte[] plain = dirent64(3, "plain", (byte) 4);
        byte[] batch = concat(dot, dirent64(2, "secret", (byte) 4), plain);
        kernel.memory(BUFFER, batch).seccompStop(PROGRAM, GETDENTS64, 3, BUFFER, 4096)
                .syscallExit(PROGRAM, batch.length);
        run();

        byte[] expected = concat(dot, plain);
        assertArrayEquals(expected, kernel.writes().get(0).data());
        assertEquals(BUFFER, kernel.writes().get(0).address());
        InOrder order = inOrder(ptrace);
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RAX, expected.length);
        order.verify(ptrace).cont(PROGRAM, 0);
    }

    @Test
    void getdentsAllHiddenRestarts() {
        addMounts();
        byte[] batch = dirent64(2, "secret", (byte) 4);
        kernel.memory(BUFFER, batch).seccompStop(PROGRAM, GETDENTS64, 3, BUFFER, 4096)
                .syscallExit(PROGRAM, batch.length);
        run();

        verify(ptrace).pokeUser(PROGRAM, RIP, ScriptedKernel.INSTRUCTION_POINTER - 2);
        verify(ptrace).pokeUser(PROGRAM, RAX, GETDENTS64);
        assertEquals(List.of(), kernel.writes());
    }

    @Test
    void getdentsOtherDirUntouched() {
        addMounts();
        kernel.seccompStop(PROGRAM, GETDENTS64, 4, BUFFER, 4096);
        run();

        verifyUntouched();
    }

    @Test
    void getdentsEndOfDirectoryKept() {
        addMounts();
        kernel.seccompStop(PROGRAM, GETDENTS64, 3, BUFFER, 4096).syscallExit(PROGRAM, 0);
        run();

        verify(ptrace, never()).pokeUser(anyInt(), anyLong(), anyLong());
        assertEquals(List.of(), kernel.writes());
    }

    /** The processes made to trap the calls that return socket names. */
    private final List<Integer> socketNamesTrapped = new java.util.ArrayList<>();

    @Test
    void connectUnixPathRewritten() {
        host.dir("/run");
        mounts.add(entry("/run/app", move("/host/src")));
        byte[] address = sockaddrUnix("/run/app/sock");
        kernel.memory(PATH, address).seccompStop(PROGRAM, CONNECT, 5, PATH, address.length)
                .syscallExit(PROGRAM, 0);
        run();

        byte[] expected = sockaddrUnix("/host/src/sock");
        ScriptedKernel.Write write = kernel.writes().get(0);
        assertArrayEquals(expected, write.data());
        verify(ptrace).pokeUser(PROGRAM, RSI, write.address());
        verify(ptrace).pokeUser(PROGRAM, RDX, expected.length);
        verify(ptrace).pokeUser(PROGRAM, RSI, PATH);
        verify(ptrace).pokeUser(PROGRAM, RDX, address.length);
        assertEquals(List.of(PROGRAM), socketNamesTrapped, "the process must trap getpeername and the like");
    }

    @Test
    void connectAbstractUntouched() {
        addMounts();
        byte[] address = sockaddrUnix("\0mnt/move/sock");
        kernel.memory(PATH, address).seccompStop(PROGRAM, CONNECT, 5, PATH, address.length);
        run();

        verifyUntouched();
    }

    @Test
    void connectHiddenEnoent() {
        addMounts();
        byte[] address = sockaddrUnix("/mnt/secret/sock");
        kernel.memory(PATH, address).seccompStop(PROGRAM, CONNECT, 5, PATH, address.length);
        run();

        verifySkipped(-Errno.ENOENT.number());
    }

    /** struct sockaddr_un with AF_UNIX and a NUL-terminated path. */
    private static byte[] sockaddrUnix(String path) {
        byte[] raw = path.getBytes(StandardCharsets.ISO_8859_1);
        byte[] address = new byte[2 + raw.length + 1];
        address[0] = 1;
        System.arraycopy(raw, 0, address, 2, raw.length);
        return address;
    }

    @Test
    void ioUringRefusedWithService() {
        registerTestType(hide());
        kernel.seccompStop(PROGRAM, IO_URING_SETUP, 8, BUFFER);
        run();

        verifySkipped(-Errno.ENOSYS.number());
    }

    @Test
    void ioUringAllowedWithoutService() {
        kernel.seccompStop(PROGRAM, IO_URING_SETUP, 8, BUFFER);
        run();

        verifyUntouched();
    }

    @Test
    void handleRefusedWithService() {
        registerTestType(hide());
        kernel.seccompStop(PROGRAM, NAME_TO_HANDLE_AT, AT_FDCWD, PATH, BUFFER, 0x6000, 0);
        run();

        verifySkipped(-Errno.EOPNOTSUPP.number());
    }

    /** struct open_how: flags, mode, resolve, each a u64. */
    private static byte[] openHow(long flags, long resolve) {
        return ByteBuffer.allocate(24).order(ByteOrder.nativeOrder()).putLong(flags).putLong(0).putLong(resolve)
                .array();
    }

    @Test
    void openat2ClearsResolveFlags() {
        addMounts();
        kernel.string(PATH, "move/file").memory(0x3000, openHow(0, RESOLVE_BENEATH))
                .seccompStop(PROGRAM, OPENAT2, 3, PATH, 0x3000, 24).syscallExit(PROGRAM, 3);
        run();

        List<ScriptedKernel.Write> writes = kernel.writes();
        assertEquals("/host/src/file\0", writes.get(0).text());
        assertArrayEquals(openHow(0, 0), writes.get(1).data());
        verify(ptrace).pokeUser(PROGRAM, RDX, writes.get(1).address());
        verify(ptrace).pokeUser(PROGRAM, RDX, 0x3000L);
    }

    @Test
    void openat2NoXdevAcrossMount() {
        addMounts();
        kernel.string(PATH, "/mnt/move/file").memory(0x3000, openHow(0, RESOLVE_NO_XDEV))
                .seccompStop(PROGRAM, OPENAT2, AT_FDCWD, PATH, 0x3000, 24);
        run();

        verifySkipped(-Errno.EXDEV.number());
    }

    @Test
    void openat2BeneathEscapeExdev() {
        addMounts();
        kernel.string(PATH, "../plain/x").memory(0x3000, openHow(0, RESOLVE_BENEATH))
                .seccompStop(PROGRAM, OPENAT2, 7, PATH, 0x3000, 24);
        run();

        verifySkipped(-Errno.EXDEV.number());
    }

    @Test
    void openat2BeneathAbsoluteExdev() {
        // RESOLVE_BENEATH rejects an absolute path with EXDEV, whatever it names.
        addMounts();
        kernel.string(PATH, "/mnt/move/file").memory(0x3000, openHow(0, RESOLVE_BENEATH))
                .seccompStop(PROGRAM, OPENAT2, 7, PATH, 0x3000, 24);
        run();

        verifySkipped(-Errno.EXDEV.number());
    }

    @Test
    void openat2InRootDotDotClamped() {
        // Under RESOLVE_IN_ROOT, ".." at dirfd stays at dirfd: "../file" from /mnt/move is /mnt/move/file.
        addMounts();
        kernel.string(PATH, "../file").memory(0x3000, openHow(0, RESOLVE_IN_ROOT))
                .seccompStop(PROGRAM, OPENAT2, 7, PATH, 0x3000, 24);
        run();

        verify(ptrace, never()).pokeUser(PROGRAM, RAX, -Errno.EXDEV.number());
        verify(ptrace, never()).pokeUser(PROGRAM, ORIG_RAX, -1);
    }

    @Test
    void openat2InRootAbsoluteInDirfd() {
        // Under RESOLVE_IN_ROOT an absolute path starts at dirfd: "/mnt/move/file" from /mnt/move
        // names /mnt/move/mnt/move/file, never the host file /host/src/file.
        addMounts();
        kernel.string(PATH, "/mnt/move/file").memory(0x3000, openHow(0, RESOLVE_IN_ROOT))
                .seccompStop(PROGRAM, OPENAT2, 7, PATH, 0x3000, 24);
        run();

        List<String> written = kernel.writes().stream().map(ScriptedKernel.Write::text).toList();
        assertFalse(written.contains("/host/src/file\0"), "rewritten to " + written);
    }

    @Test
    void openat2HiddenEnoent() {
        addMounts();
        kernel.string(PATH, "/mnt/secret/file").memory(0x3000, openHow(0, 0))
                .seccompStop(PROGRAM, OPENAT2, AT_FDCWD, PATH, 0x3000, 24);
        run();

        verifySkipped(-Errno.ENOENT.number());
    }

    @Test
    void fullStackFailsEfault() {
        addMounts();
        when(kernel.libc.writeMemory(anyInt(), anyLong(), any(), anyInt())).thenReturn(-14);
        kernel.string(PATH, "/mnt/move/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0);
        run();

        verify(ptrace).pokeUser(PROGRAM, RAX, -Errno.EFAULT.number());
        verify(ptrace, never()).pokeUser(eq(PROGRAM), eq(RSI), anyLong());
    }

    @Test
    void unmountAllNewestFirst() {
        List<String> order = new ArrayList<>();
        for (String point : List.of("/a", "/b", "/c")) {
            mounts.add(entry(point, new VirtualMount() {
                @Override
                public PathMapping map(String relative) {
                    return PathMapping.hidden();
                }

                @Override
                public void unmount() {
                    order.add(point);
                }
            }));
        }
        Dispatcher dispatcher = new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, fileSystems, KMVIEW_PID);

        dispatcher.unmountAll();

        assertEquals(List.of("/c", "/b", "/a"), order);
        assertTrue(mounts.isEmpty());
    }

    @Test
    void openatTouchesOnlyPathRegister() {
        // A rewritten openat touches only its path register: not the flags in RDX or R10.
        addMounts();
        kernel.string(PATH, "/mnt/move/file").seccompStop(PROGRAM, OPENAT, AT_FDCWD, PATH, 0, 0)
                .syscallExit(PROGRAM, 3);
        run();

        verify(ptrace, never()).pokeUser(eq(PROGRAM), eq(RDX), anyLong());
        verify(ptrace, never()).pokeUser(eq(PROGRAM), eq(R10), anyLong());
        verify(ptrace, never()).pokeUser(eq(PROGRAM), eq(RDI), anyLong());
    }
}
