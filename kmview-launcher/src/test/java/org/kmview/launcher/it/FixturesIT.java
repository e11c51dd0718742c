package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no service loaded, the C fixtures for threads, exec, fork and signals behave in a view
 * exactly as outside. Each fixture's header comment in native/src/fixtures describes what it checks.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class FixturesIT {

    @Test
    void threadsDoingFileIo(@TempDir Path temp) throws IOException {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path inside = Files.createDirectories(temp.resolve("inside"));

        Run.Result expected = Run.outside(Run.fixture("threads_io"), outside.toString()).result();
        Run.Result actual = Run.inside(Run.fixture("threads_io"), inside.toString()).result();

        assertEquals(0, expected.exitCode(), "threads_io outside:\n" + expected);
        assertEquals(8, expected.stdout().lines().count(), "threads_io outside:\n" + expected);
        assertSameRun(expected, actual);
        assertEquals(FileTree.describe(outside), FileTree.describe(inside), "files written inside versus outside");
    }

    @Test
    void execveFromNonLeaderThread() {
        String[] command = {Run.fixture("exec_from_thread"), "/bin/sh", "-c", "echo replaced by $0; exit 3"};

        Run.Result expected = Run.outside(command).result();
        Run.Result actual = Run.inside(command).result();

        assertEquals(new Run.Result(3, "replaced by /bin/sh\n", ""), expected, "exec_from_thread outside");
        assertSameRun(expected, actual);
    }

    @Test
    void vforkThenExec() {
        for (String script : List.of("echo from the child; exit 9", "kill -KILL $$")) {
            String[] command = {Run.fixture("vfork_exec"), "/bin/sh", "-c", script};

            Run.Result expected = Run.outside(command).result();
            Run.Result actual = Run.inside(command).result();

            assertEquals(0, expected.exitCode(), "vfork_exec outside:\n" + expected);
            assertSameRun(expected, actual);
        }
    }

    @Test
    void vforkOfMissingProgram() {
        String[] command = {Run.fixture("vfork_exec"), "/nonexistent/program"};

        Run.Result expected = Run.outside(command).result();
        Run.Result actual = Run.inside(command).result();

        assertEquals("child exited with status 127\n", expected.stdout(), "vfork_exec outside:\n" + expected);
        assertSameRun(expected, actual);
    }

    @Test
    void thousandSequentialForks() {
        Run.Result expected = Run.outside(Run.fixture("fork_loop"), "1000").result();
        Run.Result actual = Run.inside(Run.fixture("fork_loop"), "1000").result();

        assertEquals(new Run.Result(0, "1000 forks ok\n", ""), expected, "fork_loop outside");
        assertSameRun(expected, actual);
    }

    @Test
    void childIgnoringSigterm() {
        Run.Result expected = Run.outside(Run.fixture("ignore_sigterm")).result();
        Run.Result actual = Run.inside(Run.fixture("ignore_sigterm")).result();

        assertEquals(0, expected.exitCode(), "ignore_sigterm outside:\n" + expected);
        assertSameRun(expected, actual);
    }

    @Test
    void killedBySigsegv() {
        Run.Result expected = Run.outside(Run.fixture("segv")).result();
        Run.Result actual = Run.inside(Run.fixture("segv")).result();
        Run.Result shell = Run.outside("sh", "-c", Run.fixture("segv") + " 2>/dev/null; echo $?").result();

        assertEquals(128 + 11, expected.exitCode(), "segv outside:\n" + expected);
        assertEquals("writing through a NULL pointer\n139\n", shell.stdout(), "status the shell reports for segv");
        assertSameRun(expected, actual);
    }

    @Test
    void stopAndContinueFromOutside(@TempDir Path temp) throws Exception {
        StopContinueRun expected = stopAndContinue(Run.outside(stopContCommand(temp, "outside")), temp, "outside");
        StopContinueRun actual = stopAndContinue(Run.inside(stopContCommand(temp, "inside")), temp, "inside");

        assertEquals(new Run.Result(0, "done\n", ""), expected.result(), "stop_cont outside");
        assertEquals(expected.result(), actual.result(), "stop_cont inside versus outside");
        assertEquals(actual.ticksAfterStop(), actual.ticksLater(),
                "ticks written while stopped inside: the fixture kept running after SIGSTOP");
        List<Long> ticks = actual.ticks();
        assertTrue(ticks.size() > actual.ticksLater(), "no tick after SIGCONT inside: " + ticks.size() + " ticks");
        assertEquals(LongStream.rangeClosed(1, ticks.size()).boxed().toList(), ticks, "tick numbers written inside");
    }

    private static String[] stopContCommand(Path temp, String name) {
        return new String[] {Run.fixture("stop_cont"), temp.resolve(name + ".pid").toString(),
            temp.resolve(name + ".ticks").toString(), "3000"};
    }

    /** What {@link #stopAndContinue} observed: tick counts right after the stop and 500 ms later. */
    private record StopContinueRun(Run.Result result, long ticksAfterStop, long ticksLater, List<Long> ticks) {
    }

    /** Follows the steps in stop_cont.c's header: start, SIGSTOP, watch the ticks stand still, SIGCONT, end. */
    private static StopContinueRun stopAndContinue(Run run, Path temp, String name) throws Exception {
        Path pidFile = temp.resolve(name + ".pid");
        Path tickFile = temp.resolve(name + ".ticks");
        Process process = run.start();
        try {
            waitUntil(() -> Files.exists(pidFile) && Files.exists(tickFile) && lineCount(tickFile) >= 5,
                    "stop_cont " + name + " to write its pid and 5 ticks");
            long pid = Long.parseLong(Files.readString(pidFile).strip());

            signal("STOP", pid);
            // A traced process in a group-stop may show t instead of T, as the fixture's header notes.
            waitUntil(() -> isStopped(pid), "stop_cont " + name + " (pid " + pid + ") to stop after SIGSTOP");
            long afterStop = lineCount(tickFile);
            Thread.sleep(500);
            long later = lineCount(tickFile);
            assertTrue(isStopped(pid), "stop_cont " + name + " no longer stopped 500 ms after SIGSTOP, state "
                    + processState(pid));

            signal("CONT", pid);
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "stop_cont " + name + " did not end after SIGCONT");
            Run.Result result = new Run.Result(process.exitValue(),
                    new String(process.getInputStream().readAllBytes()),
                    new String(process.getErrorStream().readAllBytes()));
            List<Long> ticks = Files.readAllLines(tickFile).stream().map(Long::parseLong).toList();
            return new StopContinueRun(result, afterStop, later, ticks);
        } finally {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    private static void signal(String name, long pid) {
        Run.Result kill = Run.outside("kill", "-" + name, Long.toString(pid)).timeout(Duration.ofSeconds(10)).result();
        assertEquals(0, kill.exitCode(), "kill -" + name + " " + pid + ":\n" + kill);
    }

    private static boolean isStopped(long pid) {
        String state = processState(pid);
        return state.equals("T") || state.equals("t");
    }

    /** Returns the state letter from /proc/PID/stat, or "gone". */
    private static String processState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // The command name in brackets may contain spaces, so the state is found after its closing bracket.
            return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        } catch (IOException e) {
            return "gone";
        }
    }

    private static long lineCount(Path file) {
        try {
            return Files.readAllLines(file).size();
        } catch (IOException e) {
            return 0;
        }
    }

    interface Condition {
        boolean holds() throws Exception;
    }

    private static void waitUntil(Condition condition, String description) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.holds()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after 30 s waiting for " + description);
            }
            Thread.sleep(10);
        }
    }

    private static void assertSameRun(Run.Result expected, Run.Result actual) {
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status inside:\n" + actual);
        assertEquals(expected.stdout(), actual.stdout(), "stdout inside versus outside");
        assertEquals(expected.stderr(), actual.stderr(), "stderr inside versus outside");
    }
}
