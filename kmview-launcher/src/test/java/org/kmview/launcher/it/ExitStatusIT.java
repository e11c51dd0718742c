package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * kmview exits with its program's exit status, or 128+N when a signal N killed the program, and a
 * SIGKILL to kmview itself ends every process of the view at once.
 */
@Timeout(value = 1, unit = TimeUnit.MINUTES)
class ExitStatusIT {

    @ParameterizedTest(name = "exit {0}")
    @CsvSource({"0", "1", "42", "255"})
    void programExitStatus(int status) {
        String script = "echo exiting; exit " + status;

        Run.Result expected = Run.outside("sh", "-c", script).result();
        Run.Result actual = Run.inside("sh", "-c", script).result();

        assertEquals(status, expected.exitCode(), "sh outside:\n" + expected);
        assertEquals(expected, actual, "sh -c '" + script + "' inside versus outside");
    }

    @ParameterizedTest(name = "kill -{0} gives {1}")
    @CsvSource({"TERM, 143", "KILL, 137", "HUP, 129", "USR1, 138", "ABRT, 134"})
    void programKilledBySignal(String signal, int status) {
        // No core file for SIGABRT, so the run stays fast and writes nothing.
        String script = "ulimit -c 0; kill -" + signal + " $$";

        Run.Result expected = Run.outside("sh", "-c", script).result();
        Run.Result actual = Run.inside("sh", "-c", script).result();

        assertEquals(status, expected.exitCode(), "sh outside:\n" + expected);
        assertEquals(expected, actual, "sh -c '" + script + "' inside versus outside");
    }

    @Test
    void sigkillOfKmviewEndsTheView() throws Exception {
        Process kmview = Run.inside("sh", "-c", "sleep 1000 & sleep 1000 & wait").start();
        try {
            List<ProcessHandle> sleeps = waitForSleeps(kmview);
            List<ProcessHandle> view = kmview.descendants().toList();

            // bin/kmview execs java, so the started process is kmview's JVM.
            assertTrue(kmview.toHandle().info().command().orElse("").endsWith("java"),
                    "the started process is not a JVM: " + kmview.toHandle().info());
            kmview.destroyForcibly();
            assertTrue(kmview.waitFor(10, TimeUnit.SECONDS), "kmview did not die of SIGKILL");

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            List<ProcessHandle> running = view;
            while (System.nanoTime() < deadline) {
                running = view.stream().filter(ExitStatusIT::isRunning).toList();
                if (running.isEmpty()) {
                    break;
                }
                Thread.sleep(20);
            }
            assertEquals(List.of(), running.stream().map(ExitStatusIT::describe).toList(),
                    "processes of the view still running 2 s after SIGKILL to kmview (sleeps were "
                            + sleeps.stream().map(ProcessHandle::pid).toList() + ")");
        } finally {
            kmview.descendants().forEach(ProcessHandle::destroyForcibly);
            kmview.destroyForcibly();
        }
    }

    private static List<ProcessHandle> waitForSleeps(Process kmview) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            List<ProcessHandle> sleeps = kmview.descendants()
                    .filter(process -> process.info().command().orElse("").endsWith("/sleep"))
                    .toList();
            if (sleeps.size() == 2) {
                return sleeps;
            }
            if (System.nanoTime() > deadline || !kmview.isAlive()) {
                throw new AssertionError("the view did not start two sleep processes within 30 s; descendants: "
                        + kmview.descendants().map(ExitStatusIT::describe).toList());
            }
            Thread.sleep(20);
        }
    }

    /**
     * Tells whether a process still runs. A killed process whose parent died too stays a zombie until
     * init reaps it, and a zombie runs no code, so it counts as ended.
     */
    private static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    private static String describe(ProcessHandle process) {
        return process.pid() + " " + process.info().commandLine().orElse("?");
    }
}
