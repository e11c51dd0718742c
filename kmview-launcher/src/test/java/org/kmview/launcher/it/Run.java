package org.kmview.launcher.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command inside kmview or natively and collects what it did, so a test can compare the
 * two runs. The distribution comes from the {@code kmview.home} system property that the build
 * sets, and the C fixtures from {@code kmview.fixtures}.
 */
final class Run {

    /** The outcome of one run. */
    record Result(int exitCode, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final List<String> command = new ArrayList<>();
    private Path directory;
    private String input = "";
    private Duration timeout = Duration.ofMinutes(2);
    private final Map<String, String> environment = new java.util.HashMap<>();

    private Run(List<String> command) {
        this.command.addAll(command);
    }

    /** Returns the distribution directory, target/kmview. */
    static Path home() {
        return Path.of(System.getProperty("kmview.home", "target/kmview")).toAbsolutePath();
    }

    /**
     * Copies the distribution to {@code kmview} in a new world-accessible directory below /tmp,
     * for runs as another user: the checkout may sit below a directory that only root can enter.
     * Returns the new directory; the caller removes it.
     */
    static Path shareDistribution(String prefix) throws IOException {
        Path shared = Files.createTempDirectory(Path.of("/tmp"), prefix);
        Files.setPosixFilePermissions(shared, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        Result copy = outside("cp", "-R", home().toString(), shared.resolve("kmview").toString()).result();
        if (copy.exitCode() != 0) {
            throw new IOException("copying the distribution failed:\n" + copy);
        }
        Result readable = outside("chmod", "-R", "a+rX", shared.toString()).result();
        if (readable.exitCode() != 0) {
            throw new IOException("making the distribution readable failed:\n" + readable);
        }
        return shared;
    }

    /** Returns the path of bin/kmview. */
    static String kmview() {
        return home().resolve("bin/kmview").toString();
    }

    /** Returns the path of the C fixture {@code name}. */
    static String fixture(String name) {
        return Path.of(System.getProperty("kmview.fixtures", "../native/target/fixtures"), name)
                .toAbsolutePath().toString();
    }

    /** Creates a command that runs natively. */
    static Run outside(String... command) {
        return new Run(List.of(command));
    }

    /** Creates a command that runs in a view with no options. */
    static Run inside(String... command) {
        return insideWith(List.of(), command);
    }

    /** Creates a command that runs in a view with kmview options, such as {@code -p viewfs}. */
    static Run insideWith(List<String> kmviewOptions, String... command) {
        List<String> full = new ArrayList<>();
        full.add(kmview());
        full.addAll(kmviewOptions);
        full.addAll(List.of(command));
        return new Run(full);
    }

    Run in(Path directory) {
        this.directory = directory;
        return this;
    }

    Run input(String input) {
        this.input = input;
        return this;
    }

    Run timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    Run env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Starts the command without waiting for it. */
    Process start() {
        ProcessBuilder builder = new ProcessBuilder(command);
        if (directory != null) {
            builder.directory(directory.toFile());
        }
        builder.environment().putAll(environment);
        try {
            return builder.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** Runs the command to its end and returns what it did; fails the test on a timeout. */
    Result result() {
        Process process = start();
        CompletableFuture<String> stdout = CompletableFuture.supplyAsync(() -> readAll(process.getInputStream()));
        CompletableFuture<String> stderr = CompletableFuture.supplyAsync(() -> readAll(process.getErrorStream()));
        try {
            process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
        } catch (IOException e) {
            // The command does not read its input; that is fine.
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                throw new AssertionError("timed out after " + timeout + ": " + command);
            }
            return new Result(process.exitValue(), stdout.join(), stderr.join());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted: " + command, e);
        }
    }

    private static String readAll(InputStream stream) {
        try (stream) {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code content} to {@code file}, creating parent directories. */
    static Path write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            return Files.writeString(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
