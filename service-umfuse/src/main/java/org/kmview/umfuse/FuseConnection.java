package org.kmview.umfuse;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import org.kmview.spi.ControlFile;
import org.kmview.spi.Errno;
import org.kmview.spi.ServiceContext;
import org.kmview.spi.ServiceException;
import org.kmview.umfuse.nativeio.Fifo;

/**
 * One open of the virtual {@code /dev/fuse}: the channel between the view and one FUSE daemon.
 * Requests go to the daemon through a named pipe, which the daemon opened in place of the
 * device and reads as it would read the device. Replies come back as the daemon's writes to its
 * descriptor, which kmview hands to {@link #write}. One request is on its way at a time, so each
 * read of the daemon gets exactly one message, as on the real device.
 *
 * <p>Used on the tracer thread only.
 */
final class FuseConnection implements ControlFile {

    /** A reply: the errno the daemon gave (0 for success), and the whole message the daemon wrote. */
    record Reply(int error, byte[] message) {

        /** Returns a copy of the bytes after the header. */
        byte[] payload() {
            return java.util.Arrays.copyOfRange(message, FuseProtocol.OUT_HEADER, message.length);
        }

        /** Returns the number of bytes after the header. */
        int payloadLength() {
            return message.length - FuseProtocol.OUT_HEADER;
        }
    }

    /** The largest message the pipe takes whole; WRITE requests are cut to fit. */
    static final int MAX_MESSAGE = 60 * 1024;
    private static final int PIPE_CAPACITY = 1 << 20;

    private final ServiceContext context;
    private final Fifo fifo;
    private final Duration timeout;
    private final Map<Long, Reply> replies = new HashMap<>();
    private final Map<Integer, Boolean> holders = new HashMap<>();
    private long nextUnique = 1;
    private long outstanding;
    private boolean mounted;
    private int mounter;
    private boolean initDone;
    private int minor;
    private int maxWrite = 4096;
    private int flags;
    private String daemon = "the daemon";
    private String failure;
    private boolean unmounted;
    /** A descriptor link, {@code /proc/PID/fd/N}, through which a daemon process held the pipe when last looked. */
    private Path holderLink;
    private boolean ended;

    private FuseConnection(ServiceContext context, Fifo fifo, Duration timeout) {
        this.context = context;
        this.fifo = fifo;
        this.timeout = timeout;
    }

    /** Creates the pipe of a new connection at {@code path}. */
    static FuseConnection open(ServiceContext context, Path path, Duration timeout) throws IOException {
        return new FuseConnection(context, Fifo.create(path.toString(), PIPE_CAPACITY), timeout);
    }

    /** Returns the host path of the pipe the daemon keeps open. */
    String path() {
        return fifo.path();
    }

    /** Returns a name of the daemon for log lines: its command and process id. */
    String daemon() {
        return daemon;
    }

    /**
     * Marks the connection mounted by the process {@code callerPid}. INIT, the first message a
     * daemon reads, waits for the first request: by then a daemon that got the device from
     * {@code fusermount} has it open, and can be made to trap its replies first.
     */
    void start(int callerPid) {
        daemon = describe(callerPid);
        mounter = callerPid;
        mounted = true;
    }

    /**
     * Returns the processes that serve the connection: those that hold the device, and the
     * process that mounted it while it runs (fusermount waits there for the daemon to end).
     */
    java.util.Set<Integer> servingProcesses() {
        java.util.Set<Integer> serving = new java.util.TreeSet<>(holderProcesses());
        if (mounter > 0 && Files.isDirectory(Path.of("/proc", Integer.toString(mounter), "fd"))) {
            serving.add(mounter);
        }
        return serving;
    }

    /** Returns whether the connection is still usable; false once the daemon failed or was unmounted. */
    boolean usable() {
        return failure == null && !unmounted;
    }

    /** Returns why the connection is unusable, or null while it is usable. */
    String failure() {
        return failure;
    }

    /**
     * Returns whether no process of the daemon has the pipe open any more, because it ended or
     * was killed. Checks the process that had it open at the last check first, then every process.
     */
    boolean ended() {
        if (ended) {
            return true;
        }
        if (!initDone) {
            // The descriptor may be on its way from fusermount to the daemon, held by no process.
            return false;
        }
        if (holderLink != null && linksToPipe(holderLink)) {
            return false;
        }
        holderLink = findHolder();
        ended = holderLink == null;
        if (ended) {
            context.debug(daemon + " no longer has " + fifo.path() + " open, so its file system fails with ENOTCONN");
        }
        return ended;
    }

    /** Returns every process other than kmview that has the pipe open, by scanning /proc. */
    private List<Integer> holderProcesses() {
        List<Integer> found = new java.util.ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (var processes = Files.newDirectoryStream(Path.of("/proc"), entry -> entry.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path process : processes) {
                int pid = Integer.parseInt(process.getFileName().toString());
                if (pid != self && holdingLink(process.resolve("fd")) != null) {
                    found.add(pid);
                }
            }
        } catch (IOException e) {
            context.debug("cannot list /proc: " + e.getMessage());
        }
        return found;
    }

    private Path findHolder() {
        long self = ProcessHandle.current().pid();
        try (var processes = Files.newDirectoryStream(Path.of("/proc"), entry -> entry.getFileName().toString()
                .chars().allMatch(Character::isDigit))) {
            for (Path process : processes) {
                if (!process.getFileName().toString().equals(Long.toString(self))) {
                    Path link = holdingLink(process.resolve("fd"));
                    if (link != null) {
                        return link;
                    }
                }
            }
        } catch (IOException e) {
            context.debug("cannot list /proc: " + e.getMessage());
        }
        return null;
    }

    /** Returns the link in the descriptor directory {@code fds} that leads to the pipe, or null. */
    private Path holdingLink(Path fds) {
        try (var descriptors = Files.newDirectoryStream(fds)) {
            for (Path descriptor : descriptors) {
                if (linksToPipe(descriptor)) {
                    return descriptor;
                }
            }
        } catch (IOException e) {
            // The process ended meanwhile, or its descriptors are not ours to see.
        }
        return null;
    }

    private boolean linksToPipe(Path link) {
        try {
            return Files.readSymbolicLink(link).toString().equals(fifo.path());
        } catch (IOException e) {
            return false;
        }
    }

    /** Returns the protocol minor version both sides speak, valid after the first call. */
    int minor() {
        return minor;
    }

    /** Returns whether the daemon replies to READDIRPLUS, valid after the first call. */
    boolean readdirPlus() {
        return (flags & FuseProtocol.FUSE_DO_READDIRPLUS) != 0;
    }

    /** Returns the largest data a WRITE request carries. */
    int maxWrite() {
        return Math.min(maxWrite, MAX_MESSAGE - FuseProtocol.IN_HEADER - 40);
    }

    /**
     * Sends a request and waits for its reply, letting the daemon's processes run meanwhile.
     *
     * @throws IOException if the daemon ended, stopped replying within the timeout, or replied
     *         with a malformed message; the connection is unusable after that
     */
    Reply call(int opcode, long nodeId, byte[] body) throws IOException {
        awaitInit();
        long unique = send(opcode, nodeId, body);
        outstanding = unique;
        return await(unique, FuseProtocol.opcodeName(opcode));
    }

    /**
     * Sends DESTROY and waits for its reply, as the kernel does at the unmount of a block-device
     * FUSE mount, so the daemon flushes its file system. Its next read then fails with ENODEV. A
     * daemon that failed gets DESTROY too, without a wait, so that a read it blocks in returns.
     */
    void destroy() {
        if (usable() && !ended()) {
            try {
                call(FuseProtocol.DESTROY, 0, new byte[0]);
            } catch (IOException e) {
                context.debug(daemon + ": " + e.getMessage());
            }
        } else if (!ended) {
            try {
                send(FuseProtocol.DESTROY, 0, new byte[0], true);
            } catch (IOException e) {
                context.debug(daemon + ": cannot send DESTROY: " + e.getMessage());
            }
        }
        unmounted = true;
    }

    /** Marks the connection unmounted: the daemon's next read fails with ENODEV. */
    void unmounted() {
        unmounted = true;
    }

    private void awaitInit() throws IOException {
        if (!mounted) {
            throw new IOException("no file system is mounted on this connection");
        }
        if (!initDone) {
            initDone = true;
            List<Integer> holders = holderProcesses();
            if (holders.isEmpty()) {
                ended = true;
                fail(daemon + " ended before it replied to any request");
                throw new IOException(failure);
            }
            for (int pid : holders) {
                // A daemon that got the descriptor from fusermount has not opened the device itself.
                context.trapControlFileWrites(pid);
            }
            daemon = describe(holders.get(0));
            outstanding = send(FuseProtocol.INIT, 0, FuseProtocol.init());
            Reply init = await(outstanding, "INIT");
            if (init.error() != 0) {
                fail(daemon + " refused INIT with errno " + -init.error());
                throw new IOException(failure);
            }
            ByteBuffer reply = ByteBuffer.wrap(init.payload()).order(ByteOrder.nativeOrder());
            if (init.payload().length < 8 || reply.getInt(0) != FuseProtocol.KERNEL_MAJOR) {
                fail(daemon + " replied to INIT with protocol " + (init.payload().length < 4 ? "?" : reply.getInt(0))
                        + ", not " + FuseProtocol.KERNEL_MAJOR);
                throw new IOException(failure);
            }
            minor = Math.min(reply.getInt(4), FuseProtocol.KERNEL_MINOR);
            flags = init.payload().length >= 16 ? reply.getInt(12) : 0;
            if (init.payload().length >= 24 && reply.getInt(20) > 0) {
                maxWrite = reply.getInt(20);
            }
            context.debug(daemon + " speaks FUSE 7." + minor + ", max_write " + maxWrite);
        }
    }

    private long send(int opcode, long nodeId, byte[] body) throws IOException {
        return send(opcode, nodeId, body, false);
    }

    /**
     * Sends a message that gets no reply (BATCH_FORGET, INTERRUPT), and waits until the daemon
     * has read it, so the next message is not read together with it.
     */
    void post(int opcode, long nodeId, byte[] body) throws IOException {
        awaitInit();
        send(opcode, nodeId, body);
        awaitDrained(FuseProtocol.opcodeName(opcode));
    }

    private void awaitDrained(String request) throws IOException {
        ServiceContext.WaitOutcome outcome = context.serveUntil(this::drained, this::holds, timeout);
        if (drained()) {
            return;
        }
        switch (outcome) {
            case NONE_LEFT -> {
                // The daemon ended meanwhile, as it does when it unmounts by itself.
                ended = true;
                throw new IOException(daemon + " ended before it read " + request);
            }
            case CALLER_WAITED_FOR -> throw new IOException(request + " cannot reach " + daemon + " from within its own call");
            default -> {
                fail(daemon + " did not read " + request + " within " + timeout.toSeconds() + " s");
                throw new IOException(failure);
            }
        }
    }

    private boolean drained() {
        try {
            return fifo.unread() == 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** Writes a request into the pipe; {@code evenIfFailed} sends it on a connection that failed. */
    private long send(int opcode, long nodeId, byte[] body, boolean evenIfFailed) throws IOException {
        if (!usable() && !(evenIfFailed && !unmounted)) {
            throw new IOException(failure != null ? failure : daemon + ": the file system is unmounted");
        }
        long unique = nextUnique++;
        ByteBuffer message = FuseProtocol.buffer(FuseProtocol.IN_HEADER + body.length);
        message.putInt(FuseProtocol.IN_HEADER + body.length).putInt(opcode).putLong(unique).putLong(nodeId);
        message.putInt(Fifo.uid()).putInt(Fifo.gid()).putInt(0).putInt(0);
        message.put(body);
        fifo.write(message.array());
        return unique;
    }

    private Reply await(long unique, String request) throws IOException {
        ServiceContext.WaitOutcome outcome = context.serveUntil(() -> replies.containsKey(unique) || failure != null,
                this::holds, timeout);
        outstanding = 0;
        Reply reply = replies.remove(unique);
        if (reply != null) {
            return reply;
        }
        switch (outcome) {
            case CALLER_WAITED_FOR -> {
                // The daemon itself made the call (it unmounts as it ends): it cannot reply, but
                // nothing is wrong with the connection. The request stays unread in the pipe.
                ended = true;
                throw new IOException(request + " cannot reach " + daemon + " from within its own call");
            }
            case NONE_LEFT -> {
                ended = true;
                fail(daemon + " ended without replying to " + request);
            }
            case TIMED_OUT -> {
                fail(daemon + " did not reply to " + request + " within " + timeout.toSeconds()
                        + " s; its file system fails with EIO from now on (umfuse option timeout=SECONDS sets the time)");
                interrupt(unique);
            }
            case DONE -> fail(daemon + " failed while " + request + " waited");
        }
        throw new IOException(failure);
    }

    /** Tells the daemon to give up a request, as the kernel does when the waiting process gets a signal. */
    private void interrupt(long unique) {
        if (drained()) {
            try {
                send(FuseProtocol.INTERRUPT, 0, FuseProtocol.interrupt(unique), true);
            } catch (IOException e) {
                context.debug(daemon + ": cannot send INTERRUPT: " + e.getMessage());
            }
        }
    }

    private void fail(String reason) {
        if (failure == null) {
            failure = reason;
            context.warn(reason);
        }
    }

    /** Returns whether the thread {@code tid} belongs to a process that has the pipe open. */
    private boolean holds(int tid) {
        return holders.computeIfAbsent(tid, this::scanDescriptors);
    }

    private boolean scanDescriptors(int tid) {
        Path link = holdingLink(Path.of("/proc", Integer.toString(tid), "fd"));
        if (link != null) {
            holderLink = link;
        }
        return link != null;
    }

    /**
     * Takes one reply of the daemon. A reply must be one whole message whose length field
     * matches, as on the real device. Anything else fails with EINVAL, and a reply to a request
     * that is not waiting fails with ENOENT.
     */
    @Override
    public int write(byte[] data, Caller caller) throws ServiceException {
        if (data.length < FuseProtocol.OUT_HEADER) {
            throw new ServiceException(Errno.EINVAL, daemon + " wrote " + data.length + " bytes, not a whole reply");
        }
        ByteBuffer header = ByteBuffer.wrap(data).order(ByteOrder.nativeOrder());
        int length = header.getInt(0);
        int error = header.getInt(4);
        long unique = header.getLong(8);
        if (length != data.length || error > 0 || error < -4095) {
            throw new ServiceException(Errno.EINVAL, daemon + " wrote a malformed reply (length field " + length
                    + " for " + data.length + " bytes, error " + error + ")");
        }
        if (unique == 0) {
            // A notification; the view keeps no kernel cache it would invalidate.
            return data.length;
        }
        if (unique != outstanding) {
            throw new ServiceException(Errno.ENOENT, daemon + " replied to request " + unique
                    + ", which is not waiting");
        }
        replies.put(unique, new Reply(error, data));
        return data.length;
    }

    /** Reads of the device fail with ENODEV once the file system is unmounted, which ends the daemon's loop. */
    @Override
    public OptionalInt readError() {
        return unmounted || failure != null ? OptionalInt.of(Errno.ENODEV.number()) : OptionalInt.empty();
    }

    /** Closes the pipe. */
    void close() {
        fifo.close();
    }

    private static String describe(int pid) {
        try {
            String command = Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).strip();
            return "FUSE daemon " + command + " (pid " + pid + ")";
        } catch (IOException e) {
            return "FUSE daemon (pid " + pid + ")";
        }
    }
}
