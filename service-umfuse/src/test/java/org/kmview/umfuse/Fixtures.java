package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.kmview.spi.MountRequest;
import org.kmview.spi.Options;
import org.kmview.spi.PathMapping;
import org.kmview.spi.ServiceException;
import org.kmview.spi.VirtualMount;

/** Sample trees, external tools and tree comparison shared by the mount tests. */
final class Fixtures {

    static final FileTime FILE_TIME = FileTime.from(1_600_000_000L, TimeUnit.SECONDS);
    static final FileTime DIRECTORY_TIME = FileTime.from(1_500_000_000L, TimeUnit.SECONDS);

    private Fixtures() {
    }

    /**
     * Creates a tree with directories, files of several modes and sizes (one larger than a
     * zip block and not compressible), an empty file, names with spaces and non-ASCII letters,
     * and, unless {@code withSymlinks} is false, a relative and an absolute symbolic link.
     */
    static Path sampleTree(Path parent, boolean withSymlinks) throws IOException {
        Path root = Files.createDirectories(parent.resolve("original"));
        write(root.resolve("hello.txt"), "hello, world\n", 0644);
        write(root.resolve("run.sh"), "#!/bin/sh\necho run\n", 0755);
        write(root.resolve("empty"), "", 0600);
        write(root.resolve("name with space.txt"), "spaces\n", 0644);
        write(root.resolve("grüße.txt"), "unicode\n", 0644);
        Files.createDirectories(root.resolve("dir/sub/deeper"));
        write(root.resolve("dir/inner.txt"), "inner\n", 0640);
        write(root.resolve("dir/sub/deeper/leaf.txt"), "leaf\n", 0444);
        byte[] random = new byte[300_000];
        new Random(42).nextBytes(random);
        Files.write(root.resolve("dir/random.bin"), random);
        HostFiles.setMode(root.resolve("dir/random.bin"), 0644);
        if (withSymlinks) {
            Files.createSymbolicLink(root.resolve("link"), Path.of("dir/inner.txt"));
            Files.createSymbolicLink(root.resolve("dir/absolute"), Path.of("/umfuse-test/absent-target"));
        }
        HostFiles.setMode(root.resolve("dir/sub"), 0750);
        setTimes(root);
        return root;
    }

    private static void write(Path file, String content, int mode) throws IOException {
        Files.writeString(file, content, StandardCharsets.UTF_8);
        HostFiles.setMode(file, mode);
    }

    /** Gives every node below {@code root} a fixed time, directories last. */
    static void setTimes(Path root) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(root)) {
            paths = new ArrayList<>(walk.toList());
        }
        java.util.Collections.reverse(paths);
        for (Path path : paths) {
            boolean directory = Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS);
            FileTime time = directory ? DIRECTORY_TIME : FILE_TIME;
            HostFiles.setTimes(path, time, time);
        }
    }

    /** Skips the test unless {@code tool} is installed, naming the Debian package to install. */
    static void requireTool(String tool, String debianPackage) {
        boolean found = Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, tool)))
                || Files.isExecutable(Path.of("/usr/sbin", tool)) || Files.isExecutable(Path.of("/sbin", tool));
        assumeTrue(found, tool + " is not installed; apt-get install " + debianPackage);
    }

    /** Runs a command in {@code directory} and returns its output, failing the test on a nonzero exit. */
    static String run(Path directory, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile()).redirectErrorStream(true);
        builder.environment().put("PATH", System.getenv("PATH") + ":/usr/sbin:/sbin");
        builder.environment().put("MTOOLS_SKIP_CHECK", "1");
        // mtools converts names through the locale's character set.
        builder.environment().put("LC_ALL", "C.UTF-8");
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exit = process.waitFor();
        assertEquals(0, exit, String.join(" ", command) + " failed:\n" + output);
        return output;
    }

    /** Mounts {@code source} with the type of that name. */
    static VirtualMount mount(RecordingContext context, Path tempParent, String type, String source,
                              Optional<String> hostSource, String options) throws ServiceException {
        UmfuseType umfuseType = UmfuseType.all(context, tempParent).stream()
                .filter(candidate -> candidate.name().equals(type)).findFirst().orElseThrow();
        return umfuseType.mount(new MountRequest(source, hostSource, "/mnt", Options.parse(options), 0));
    }

    static VirtualMount mount(RecordingContext context, Path tempParent, String type, Path source, String options)
            throws ServiceException {
        return mount(context, tempParent, type, source.toString(), Optional.of(source.toString()), options);
    }

    /** Returns the host path {@code map} gives for {@code relative}, failing if it gives another mapping. */
    static Path hostPath(VirtualMount mount, String relative) {
        PathMapping mapping = mount.map(relative);
        return Path.of(assertInstanceOf(PathMapping.Host.class, mapping, relative + " maps to " + mapping).path());
    }

    /** What a comparison checks of each node. */
    record Checks(boolean modes, boolean symlinks, boolean times) {
        static final Checks ALL = new Checks(true, true, true);
    }

    /**
     * Walks {@code original} and, through {@code map}, the mount, and checks that both have the
     * same names, kinds, sizes, contents and, as {@code checks} selects, modes, symbolic link
     * targets and modification times (to the second).
     */
    static void assertSameTree(Path original, VirtualMount mount, Checks checks) throws IOException {
        Map<String, Path> expected = relativePaths(original);
        Map<String, Path> actual = relativePaths(Path.of(mount.hostRoot().orElseThrow()));
        if (!checks.symlinks()) {
            expected.values().removeIf(path -> Files.isSymbolicLink(path));
        }
        assertEquals(expected.keySet(), actual.keySet(), "names in the mount");

        for (Map.Entry<String, Path> node : expected.entrySet()) {
            String relative = node.getKey();
            Path want = node.getValue();
            Path got = hostPath(mount, relative);
            BasicFileAttributes wantAttributes = Files.readAttributes(want, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            BasicFileAttributes gotAttributes = Files.readAttributes(got, BasicFileAttributes.class,
                    LinkOption.NOFOLLOW_LINKS);
            assertEquals(wantAttributes.isDirectory(), gotAttributes.isDirectory(), relative + " is a directory");
            assertEquals(wantAttributes.isSymbolicLink(), gotAttributes.isSymbolicLink(), relative + " is a link");
            if (wantAttributes.isSymbolicLink()) {
                assertEquals(Files.readSymbolicLink(want), Files.readSymbolicLink(got), relative + " link target");
                continue;
            }
            if (wantAttributes.isRegularFile()) {
                assertEquals(wantAttributes.size(), gotAttributes.size(), relative + " size");
                assertArrayEquals(Files.readAllBytes(want), Files.readAllBytes(got), relative + " content");
            }
            if (checks.modes()) {
                assertEquals(Integer.toOctalString(HostFiles.mode(want)), Integer.toOctalString(HostFiles.mode(got)),
                        relative + " mode");
            }
            if (checks.times() && wantAttributes.isRegularFile()) {
                assertEquals(wantAttributes.lastModifiedTime().to(TimeUnit.SECONDS),
                        gotAttributes.lastModifiedTime().to(TimeUnit.SECONDS), relative + " mtime");
            }
        }
    }

    /** Returns every path below {@code root} by its relative name, not following links. */
    static Map<String, Path> relativePaths(Path root) throws IOException {
        Map<String, Path> paths = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            walk.filter(path -> !path.equals(root))
                    .forEach(path -> paths.put(root.relativize(path).toString(), path));
        }
        return paths;
    }

    /** Returns the entries left directly below {@code tempParent}. */
    static List<Path> leftovers(Path tempParent) throws IOException {
        try (Stream<Path> list = Files.list(tempParent)) {
            return list.toList();
        }
    }

    /** Writes the first {@code length} bytes of {@code source} to a new file {@code name} beside it. */
    static Path truncated(Path source, String name, long length) throws IOException {
        byte[] bytes = Files.readAllBytes(source);
        Path target = source.resolveSibling(name);
        Files.write(target, java.util.Arrays.copyOf(bytes, (int) Math.min(length, bytes.length)));
        return target;
    }

    /** Writes {@code size} pseudo-random bytes to a new file. */
    static Path garbage(Path directory, String name, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        return Files.write(directory.resolve(name), bytes);
    }

    static void assertTrueWithLog(boolean condition, RecordingContext context, String message) {
        assertTrue(condition, message + "; debug log: " + context.debugLines);
    }
}
