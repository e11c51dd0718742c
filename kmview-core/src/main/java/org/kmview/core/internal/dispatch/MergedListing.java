package org.kmview.core.internal.dispatch;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.kmview.core.internal.syscall.Arch;
import org.kmview.core.internal.syscall.Syscall;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.PathMapping;

/**
 * Serves getdents and getdents64 on a directory of a mount that merges its listings with what
 * lies below it ({@link org.kmview.spi.VirtualMount#mergesListings}): the mount's host
 * directory, then each name of the layer below that the mount leaves to it.
 *
 * <p>The call is emulated: kmview builds the whole listing, fills the caller's buffer from the
 * descriptor's position, and runs lseek in place of getdents to move that position. An entry's
 * d_off is its index in the listing plus one, so telldir, seekdir and rewinddir work through
 * lseek as on any directory.
 */
final class MergedListing {

    private static final long SEEK_SET = 0;
    private static final int S_IFDIR = 0040000;
    private static final int CACHED_LISTINGS = 64;

    /**
     * Listings by process, descriptor and directory, built when a descriptor reads from position
     * 0 and reused for its later batches, as readdir may show a directory as of opendir or
     * rewinddir. Owned by the tracer thread.
     */
    private static final Map<String, List<DirectoryEntries.Entry>> LISTINGS =
            new LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, List<DirectoryEntries.Entry>> eldest) {
                    return size() > CACHED_LISTINGS;
                }
            };

    private MergedListing() {
    }

    /**
     * Serves the call if the descriptor's directory merges listings, and returns whether it did.
     *
     * @param viewDir the directory's path in the view
     * @param hostDir the host directory the descriptor is open on
     * @param hidden names that hidden mount points remove from the listing
     * @param mountPoints entries of mount points that lie in the directory
     */
    static boolean serve(SyscallStop stop, Syscall syscall, Arch arch, MountTable mounts, int tid, String viewDir,
                         String hostDir, List<String> hidden, List<DirectoryEntries.Entry> mountPoints) {
        Optional<MountTable.Entry> merging = mounts.mergingOwner(viewDir);
        if (merging.isEmpty()) {
            return false;
        }
        MountTable.Entry mount = merging.get();
        if (kernelListingSuffices(mounts, mount, viewDir)) {
            return false;
        }
        int fd = (int) stop.argument(0);
        long position = position(tid, fd);
        if (position < 0) {
            return false;
        }
        String key = stop.tracee().tgid() + " " + tid + " " + fd + " " + hostDir;
        List<DirectoryEntries.Entry> entries = position == 0 ? null : LISTINGS.get(key);
        if (entries == null) {
            entries = listing(mounts, mount, viewDir, hostDir, hidden, mountPoints);
            LISTINGS.put(key, entries);
        }
        DirectoryEntries format = syscall == Syscall.GETDENTS64 ? DirectoryEntries.LINUX_DIRENT64
                : DirectoryEntries.LINUX_DIRENT;
        long capacity = stop.argument(2);
        ByteBuffer batch = ByteBuffer.allocate((int) Math.min(capacity, 1 << 20)).order(ByteOrder.LITTLE_ENDIAN);
        int next = (int) Math.min(position, entries.size());
        while (next < entries.size()) {
            byte[] record = format.record(entries.get(next), next + 1);
            if (record.length > batch.remaining()) {
                break;
            }
            batch.put(record);
            next++;
        }
        if (batch.position() == 0) {
            // The end of the listing returns 0, and a buffer too small for the next entry EINVAL, as in the kernel.
            if (next < entries.size()) {
                stop.fail(org.kmview.spi.Errno.EINVAL.number());
            } else {
                stop.skip(0);
            }
            return true;
        }
        byte[] data = java.util.Arrays.copyOf(batch.array(), batch.position());
        if (!stop.write(stop.argument(1), data)) {
            stop.fail(org.kmview.spi.Errno.EFAULT.number());
            return true;
        }
        stop.replaceSyscall(arch.number(Syscall.LSEEK).orElseThrow(), fd, next, SEEK_SET);
        long[] arguments = stop.arguments();
        stop.atExit(exit -> {
            exit.resetArguments(arguments);
            if (exit.returnValue() >= 0) {
                exit.setReturnValue(data.length);
            }
        });
        return true;
    }

    /**
     * Returns whether the kernel's own listing of the descriptor's directory is already right.
     * That holds when the mount leaves the directory to the layer below and hides nothing there,
     * or when the directory exists only in the mount's tree and is not its root, where a mount may
     * keep files of its own.
     */
    private static boolean kernelListingSuffices(MountTable mounts, MountTable.Entry mount, String viewDir) {
        String relativeDir = MountTable.relative(mount.mountPoint(), viewDir);
        PathMapping own = mount.mount().lookup(relativeDir);
        if (own instanceof PathMapping.Below) {
            return !mount.mount().hidesNamesBelow(relativeDir);
        }
        if (own instanceof PathMapping.Host && !relativeDir.isEmpty()) {
            String below = mounts.mapPast(viewDir, mount);
            return below == null || !Files.isDirectory(Path.of(below));
        }
        return false;
    }

    /** Builds the listing: ".", "..", the mount's entries, then the names the mount leaves to the layer below. */
    private static List<DirectoryEntries.Entry> listing(MountTable mounts, MountTable.Entry mount, String viewDir,
                                                        String hostDir, List<String> hidden,
                                                        List<DirectoryEntries.Entry> mountPoints) {
        Map<String, DirectoryEntries.Entry> byName = new LinkedHashMap<>();
        byName.put(".", entry(".", Path.of(hostDir)));
        byName.put("..", entry("..", Path.of(hostDir).resolve("..")));
        String relativeDir = MountTable.relative(mount.mountPoint(), viewDir);
        // The mount's own directory, if it has one here; the descriptor may be open on the lower one.
        if (mount.mount().lookup(relativeDir) instanceof PathMapping.Host own) {
            for (String name : names(Path.of(own.path()))) {
                // The mount may keep files of its own in its tree (viewfs cow's whiteout store).
                String relative = relativeDir.isEmpty() ? name : relativeDir + "/" + name;
                if (!(mount.mount().lookup(relative) instanceof PathMapping.Hidden)) {
                    byName.putIfAbsent(name, entry(name, Path.of(own.path(), name)));
                }
            }
        }
        String below = mounts.mapPast(viewDir, mount);
        if (below != null) {
            for (String name : names(Path.of(below))) {
                if (byName.containsKey(name)) {
                    continue;
                }
                String relative = relativeDir.isEmpty() ? name : relativeDir + "/" + name;
                if (mount.mount().lookup(relative) instanceof PathMapping.Below) {
                    byName.put(name, entry(name, Path.of(below, name)));
                }
            }
        }
        for (DirectoryEntries.Entry point : mountPoints) {
            byName.putIfAbsent(point.name(), point);
        }
        hidden.forEach(byName::remove);
        return new ArrayList<>(byName.values());
    }

    private static List<String> names(Path directory) {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
            for (Path child : stream) {
                names.add(child.getFileName().toString());
            }
        } catch (IOException | RuntimeException e) {
            // A missing or unreadable layer adds nothing.
        }
        return names;
    }

    private static DirectoryEntries.Entry entry(String name, Path path) {
        try {
            Map<String, Object> attributes = Files.readAttributes(path, "unix:ino,mode", LinkOption.NOFOLLOW_LINKS);
            return new DirectoryEntries.Entry(name, (Long) attributes.get("ino"), (Integer) attributes.get("mode"));
        } catch (IOException | RuntimeException e) {
            return new DirectoryEntries.Entry(name, 0, name.equals(".") || name.equals("..") ? S_IFDIR : 0);
        }
    }

    /** Returns the file position of a descriptor from /proc/TID/fdinfo/FD, or -1 if it cannot be read. */
    private static long position(int tid, int fd) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + tid + "/fdinfo/" + fd), StandardCharsets.ISO_8859_1)) {
                if (line.startsWith("pos:")) {
                    return Long.parseLong(line.substring(4).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            // The descriptor was closed meanwhile.
        }
        return -1;
    }
}
