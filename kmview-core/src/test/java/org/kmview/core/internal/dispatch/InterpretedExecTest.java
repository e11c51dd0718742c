package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.core.internal.dispatch.MountTableTest.entry;
import static org.kmview.core.internal.tracer.ScriptedKernel.INSTRUCTION_POINTER;
import static org.kmview.core.internal.tracer.ScriptedKernel.PROGRAM;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.verify;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.kmview.core.internal.nativeaccess.Ptrace;
import org.kmview.core.internal.syscall.X86_64;
import org.kmview.core.internal.tracer.ScriptedKernel;
import org.kmview.spi.Executable;
import org.kmview.spi.Interpreter;
import org.kmview.spi.PathMapping;
import org.kmview.spi.VirtualMount;
import org.mockito.InOrder;

/**
 * execve of files the kernel cannot run, claimed by a mount's interpreter: the argument list,
 * the openat and restart for the O flag, and the auxiliary vector edits at the exec stop.
 */
class InterpretedExecTest {

    private static final long AT_FDCWD = -100;
    private static final int EXECVE = 59;
    private static final int OPENAT = 257;

    private static final long RSI = 13 * 8;
    private static final long RDI = 14 * 8;
    private static final long RDX = 12 * 8;
    private static final long RAX = 10 * 8;
    private static final long ORIG_RAX = 15 * 8;
    private static final long RIP = 16 * 8;
    private static final long RSP = 19 * 8;

    private static final long PATH = 0x1000;
    private static final long ARGV = 0x3000;
    private static final long ARGV0 = 0x3100;
    private static final long ARGV1 = 0x3200;
    private static final long ENVP = 0x4000;
    /** The new program's stack at its exec stop. */
    private static final long NEW_STACK = 0x7ffd_0000_1000L;

    @TempDir
    Path tmp;

    private final ScriptedKernel kernel = new ScriptedKernel();
    private final Ptrace ptrace = kernel.ptrace;
    private final HostTree host = new HostTree();
    private final MountTable mounts = new MountTable();
    private final List<Executable> offered = new ArrayList<>();
    private String program;

    @BeforeEach
    void setUp() throws IOException {
        Path file = tmp.resolve("prog");
        Files.writeString(file, "KMVW and the rest");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        program = file.toString();
        host.file(program).file("/usr/bin/tool").link("/proc/" + PROGRAM + "/cwd", "/");
        host.stub(kernel.libc);
        kernel.string(PATH, program).string(ARGV0, "prog").string(ARGV1, "one")
                .memory(ARGV, words(ARGV0, ARGV1, 0)).memory(ENVP, words(0));
    }

    private void mountInterpreter(Interpreter interpreter) {
        VirtualMount mount = new VirtualMount() {
            @Override
            public PathMapping map(String relative) {
                return PathMapping.hidden();
            }

            @Override
            public Optional<Interpreter> interpreterFor(Executable executable) {
                offered.add(executable);
                boolean claimed = new String(executable.header(), 0, 4, StandardCharsets.ISO_8859_1).equals("KMVW");
                return claimed ? Optional.of(interpreter) : Optional.empty();
            }
        };
        mounts.add(entry("/binfmt", mount));
    }

    private void run() {
        kernel.waitStatus(PROGRAM, ScriptedKernel.exited(0));
        kernel.run(new Dispatcher(X86_64.INSTANCE, kernel.libc, mounts, new FileSystems(), 4242));
        assertEquals(0, kernel.unreadStops(), "syscall stops left unread");
    }

    @Test
    void claimedFileRunsInterpreterWithBinfmtArguments() {
        mountInterpreter(new Interpreter("/usr/bin/tool", false, false, false));
        kernel.seccompStop(PROGRAM, EXECVE, PATH, ARGV, ENVP).execStop(PROGRAM, NEW_STACK)
                .syscallExit(PROGRAM, 0);
        run();

        assertEquals(1, offered.size());
        assertEquals(program, offered.get(0).filename());
        assertEquals(program, offered.get(0).viewPath());
        List<ScriptedKernel.Write> writes = kernel.writes();
        assertEquals("/usr/bin/tool\0", writes.get(0).text());
        assertEquals(program + "\0", writes.get(1).text());
        assertArrayEquals(words(writes.get(0).address(), writes.get(1).address(), ARGV1, 0), writes.get(2).data());
        assertEquals("/usr/bin/tool\0", writes.get(3).text());
        verify(ptrace).pokeUser(PROGRAM, RDI, writes.get(3).address());
        verify(ptrace).pokeUser(PROGRAM, RSI, writes.get(2).address());
        assertEquals(4, writes.size(), "the auxiliary vector is left alone without P and O");
    }

    @Test
    void unclaimedFileGoesToKernelUnchanged() throws IOException {
        mountInterpreter(new Interpreter("/usr/bin/tool", false, false, false));
        Files.writeString(Path.of(program), "neither ELF nor script");
        kernel.seccompStop(PROGRAM, EXECVE, PATH, ARGV, ENVP);
        run();

        assertEquals(1, offered.size());
        assertEquals(List.of(), kernel.writes());
    }

    @Test
    void nativeElfNeverReachesInterpreters() throws IOException {
        mountInterpreter(new Interpreter("/usr/bin/tool", false, false, false));
        byte[] elf = new byte[64];
        elf[0] = 0x7f;
        elf[1] = 'E';
        elf[2] = 'L';
        elf[3] = 'F';
        elf[18] = 62;
        Files.write(Path.of(program), elf);
        kernel.seccompStop(PROGRAM, EXECVE, PATH, ARGV, ENVP);
        run();

        assertEquals(List.of(), offered);
    }

    @Test
    void openBinaryOpensThenRestartsAsInterpreterExec() {
        mountInterpreter(new Interpreter("/usr/bin/tool", true, true, true));
        kernel.seccompStop(PROGRAM, EXECVE, PATH, ARGV, ENVP).syscallExit(PROGRAM, 7);
        // The restarted execve of the interpreter, with the arguments the openat exit set.
        kernel.seccompStop(PROGRAM, EXECVE, 0, 0, ENVP);
        long[] stack = {2, ARGV0, ARGV1, 0, 0x9000, 0, 6, 4096, AuxiliaryVector.AT_FLAGS, 0, 0, 0};
        kernel.memory(NEW_STACK, words(stack)).execStop(PROGRAM, NEW_STACK).syscallExit(PROGRAM, 0);
        run();

        List<ScriptedKernel.Write> writes = kernel.writes();
        assertEquals("/usr/bin/tool\0", writes.get(0).text(), "argv[0]");
        assertEquals(program + "\0", writes.get(1).text(), "argv[1]");
        assertArrayEquals(words(writes.get(0).address(), writes.get(1).address(), ARGV0, ARGV1, 0),
                writes.get(2).data(), "P keeps the original argv[0]");
        long interpreterAddress = writes.get(3).address();
        long binaryAddress = writes.get(4).address();
        assertEquals(program + "\0", writes.get(4).text());

        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, ORIG_RAX, OPENAT);
        order.verify(ptrace).pokeUser(PROGRAM, RDI, AT_FDCWD);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, binaryAddress);
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RDI, interpreterAddress);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, writes.get(2).address());
        order.verify(ptrace).pokeUser(PROGRAM, RDX, ENVP);
        order.verify(ptrace).pokeUser(PROGRAM, RIP, INSTRUCTION_POINTER - 2);
        order.verify(ptrace).pokeUser(PROGRAM, RAX, EXECVE);
        order.verify(ptrace).pokeUser(PROGRAM, RSP, NEW_STACK - 16);

        ScriptedKernel.Write moved = writes.get(5);
        assertEquals(NEW_STACK - 16, moved.address());
        assertArrayEquals(words(2, ARGV0, ARGV1, 0, 0x9000, 0, 6, 4096, AuxiliaryVector.AT_FLAGS,
                AuxiliaryVector.AT_FLAGS_PRESERVE_ARGV0), moved.data(), "AT_FLAGS gets AT_FLAGS_PRESERVE_ARGV0");
        ScriptedKernel.Write pair = writes.get(6);
        assertEquals(NEW_STACK - 16 + 10 * 8, pair.address(), "the new pair lies just before AT_NULL");
        assertArrayEquals(words(AuxiliaryVector.AT_EXECFD, 7), pair.data());
    }

    @Test
    void openBinaryFailureRestoresArguments() {
        mountInterpreter(new Interpreter("/usr/bin/tool", true, false, true));
        kernel.seccompStop(PROGRAM, EXECVE, PATH, ARGV, ENVP).syscallExit(PROGRAM, -13);
        run();

        InOrder order = inOrder(ptrace);
        order.verify(ptrace).pokeUser(PROGRAM, ORIG_RAX, OPENAT);
        order.verify(ptrace).resumeToSyscallExit(PROGRAM, 0);
        order.verify(ptrace).pokeUser(PROGRAM, RDI, PATH);
        order.verify(ptrace).pokeUser(PROGRAM, RSI, ARGV);
        order.verify(ptrace).pokeUser(PROGRAM, RDX, ENVP);
        order.verify(ptrace).cont(PROGRAM, 0);
        assertTrue(kernel.writes().stream().noneMatch(write -> write.address() >= NEW_STACK - 16
                && write.address() < NEW_STACK + 4096), "no stack edit without an exec");
    }

    private static byte[] words(long... values) {
        ByteBuffer buffer = ByteBuffer.allocate(8 * values.length).order(ByteOrder.nativeOrder());
        Arrays.stream(values).forEach(buffer::putLong);
        return buffer.array();
    }
}
