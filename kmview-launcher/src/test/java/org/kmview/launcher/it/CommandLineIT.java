package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * kmview's own options, and how the program's arguments, environment and file descriptors
 * pass through kmview, compared with the same program run natively.
 */
@Timeout(60)
class CommandLineIT {

    private static final int USAGE_ERROR = 2;

    @TempDir
    Path tmp;

    /** Asserts a usage error: exit status 2, nothing on stdout, and no stack trace on stderr. */
    private static void assertUsageError(Run.Result run) {
        assertEquals(USAGE_ERROR, run.exitCode(), run::toString);
        assertEquals("", run.stdout(), run::toString);
        assertNoStackTrace(run);
    }

    private static void assertNoStackTrace(Run.Result run) {
        assertFalse(run.stderr().contains("\tat "), () -> "stderr holds a stack trace:\n" + run);
        assertFalse(run.stderr().contains("Exception"), () -> "stderr names an exception:\n" + run);
    }

    private static void assertOneLine(Run.Result run) {
        assertEquals(1, run.stderr().lines().count(), () -> "stderr must be one line:\n" + run);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-v", "--version"})
    void versionPrintsAndExits(String option) {
        Run.Result run = Run.insideWith(List.of(option)).result();

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stdout().matches("kmview \\d+\\.\\d+.*\\n"), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"-h", "--help"})
    void helpMentionsPreload(String option) {
        Run.Result run = Run.insideWith(List.of(option)).result();

        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(run.stdout().contains("-p, --preload"), run::toString);
        assertTrue(run.stdout().contains("PROGRAM"), run::toString);
        assertEquals("", run.stderr(), run::toString);
    }

    @Test
    void repeatedOptionLastWins() {
        Run.Result run = Run.insideWith(List.of("-V", "first", "-x", "-x", "-V", "second"), "viewname").result();

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("second\n", run.stdout(), run::toString);
    }

    @Test
    void missingProgramIsUsageError() {
        Run.Result run = Run.inside().result();

        assertUsageError(run);
        List<String> lines = run.stderr().lines().toList();
        assertFalse(lines.isEmpty(), "kmview must explain the error on stderr");
        assertTrue(lines.get(0).contains("PROGRAM"), run::toString);
        // One error line, optionally followed by the conventional pointer to --help.
        assertTrue(lines.size() == 1 || lines.size() == 2 && lines.get(1).contains("--help"), run::toString);
    }

    @Test
    void unknownOptionIsUsageError() {
        Path marker = tmp.resolve("ran");
        Run.Result run = Run.insideWith(List.of("--no-such-option"), "touch", marker.toString()).result();

        assertUsageError(run);
        assertTrue(run.stderr().lines().findFirst().orElse("").contains("--no-such-option"), run::toString);
        assertFalse(Files.exists(marker), "the program must not run");
    }

    @Test
    void unknownServiceIsNamed() {
        Run.Result run = Run.insideWith(List.of("-p", "nosuchservice"), "true").result();

        assertUsageError(run);
        assertOneLine(run);
        assertTrue(run.stderr().contains("nosuchservice"), run::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"viewfs,=bad", ",viewfs", ""})
    void malformedServiceSpecIsNamed(String spec) {
        Run.Result run = Run.insideWith(List.of("-p", spec), "true").result();

        assertUsageError(run);
        assertOneLine(run);
        assertTrue(run.stderr().contains("\"" + (spec.equals("viewfs,=bad") ? "=bad" : spec) + "\""), run::toString);
    }

    @Test
    void javaOptionsReachOnlyProgram() {
        // kmview's JVM would fail to start with an agent that does not exist, so a passing run
        // shows that only the program got these variables.
        String script = "printf '%s|%s|%s|%s\\n' \"$JAVA_TOOL_OPTIONS\" \"$JDK_JAVA_OPTIONS\" "
                + "\"${_JAVA_OPTIONS-unset}\" \"${KMVIEW_SAVED_JAVA_TOOL_OPTIONS-unset}\"; env | grep -c JAVA_OPTIONS";
        Run.Result outside = Run.outside("sh", "-c", script)
                .env("JAVA_TOOL_OPTIONS", "-agentlib:no-such-agent-7d3f")
                .env("JDK_JAVA_OPTIONS", "-Dkmview.test=1")
                .env("_JAVA_OPTIONS", "").result();
        Run.Result inside = Run.inside("sh", "-c", script)
                .env("JAVA_TOOL_OPTIONS", "-agentlib:no-such-agent-7d3f")
                .env("JDK_JAVA_OPTIONS", "-Dkmview.test=1")
                .env("_JAVA_OPTIONS", "").result();

        assertEquals(0, outside.exitCode(), outside::toString);
        assertEquals(outside.toString(), inside.toString());
    }

    @Test
    void openFilesLimitIsCallers() {
        Run.Result outside = Run.outside("sh", "-c", "ulimit -S -n 512 && sh -c 'ulimit -S -n'").result();
        Run.Result inside = Run.outside("sh", "-c", "ulimit -S -n 512 && \"$0\" sh -c 'ulimit -S -n'",
                Run.kmview()).result();

        assertEquals("512\n", outside.stdout(), outside::toString);
        assertEquals(outside.toString(), inside.toString());
    }

    @Test
    void callerSignalStateReachesProgram() {
        // nohup and shells ignore signals for the programs they start, and a caller may block some.
        String setUp = "import os, signal, sys\n"
                + "for ignored in (signal.SIGHUP, signal.SIGPIPE, signal.SIGUSR2, signal.SIGXFSZ):\n"
                + "    signal.signal(ignored, signal.SIG_IGN)\n"
                + "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1, signal.SIGWINCH})\n"
                + "os.execvp(sys.argv[1], sys.argv[1:])\n";
        Run.Result outside = Run.outside("python3", "-c", setUp, "grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status")
                .result();
        Run.Result inside = Run.outside("python3", "-c", setUp, Run.kmview(), "grep", "-E", "^Sig(Ign|Blk)",
                "/proc/self/status").result();

        // The test's own JVM passes on more ignored and blocked signals; those set here must be in.
        long blocked = Long.parseLong(outside.stdout().replaceAll("(?s).*SigBlk:\\s*(\\p{XDigit}+).*", "$1"), 16);
        long ignored = Long.parseLong(outside.stdout().replaceAll("(?s).*SigIgn:\\s*(\\p{XDigit}+).*", "$1"), 16);
        assertEquals(0x8000200L, blocked & 0x8000200L, outside::toString);
        assertEquals(0x1001801L, ignored & 0x1001801L, outside::toString);
        assertEquals(outside.toString(), inside.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cat <&-", "cat /etc/hostname >&-", "cat /etc/hostname 2>&- >&-; echo $? >&3"})
    void closedStandardDescriptorStaysClosed(String command) {
        String withOutput = "exec 3>&1; " + command;
        Run.Result outside = Run.outside("sh", "-c", withOutput).result();
        Run.Result inside = Run.outside("sh", "-c", withOutput.replace("cat ", "\"$0\" cat "), Run.kmview()).result();

        assertEquals(outside.toString(), inside.toString());
    }

    @Test
    void quitSignalKeepsProgramOutput() throws Exception {
        Process kmview = signalDuringRun("-QUIT", "sleep 2; echo done");

        assertEquals(0, kmview.waitFor(), "kmview must go on after SIGQUIT");
        assertEquals("done\n", new String(kmview.getInputStream().readAllBytes(), StandardCharsets.UTF_8),
                "the JVM's thread dump must not reach the program's stdout");
    }

    @Test
    void userSignalReachesProgram() throws Exception {
        Process kmview = signalDuringRun("-USR1", "trap 'echo got-usr1' USR1; sleep 2 & wait; echo end");

        assertEquals(0, kmview.waitFor(), "the program must go on after its trap");
        assertEquals("got-usr1\nend\n", new String(kmview.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    /** Runs {@code script} in a view and sends kmview's own process {@code signal} a second later. */
    private static Process signalDuringRun(String signal, String script) throws InterruptedException {
        Process kmview = Run.inside("sh", "-c", script).start();
        // bin/kmview execs the JVM, so this process is kmview's JVM, and the program runs by then.
        Thread.sleep(1000);
        Run.outside("kill", signal, Long.toString(kmview.pid())).result();
        return kmview;
    }

    @Test
    void debugLogMentionsProgram() throws IOException {
        Path log = tmp.resolve("debug.log");
        Run.Result run = Run.insideWith(List.of("-o", log.toString(), "-p", "viewfs"),
                "sh", "-c", "echo marker-7d3f; exit 3").result();

        assertEquals(3, run.exitCode(), run::toString);
        assertEquals("marker-7d3f\n", run.stdout(), run::toString);
        assertEquals("", run.stderr(), "debug output must go to the file only");
        String text = Files.readString(log);
        assertTrue(text.contains("marker-7d3f"), () -> "the log must name the started program:\n" + text);
        assertTrue(text.contains("viewfs"), () -> "the log must name the loaded service:\n" + text);
    }

    @Test
    void debugLogNamesUsageError() throws IOException {
        Path log = tmp.resolve("debug.log");
        Run.Result run = Run.insideWith(List.of("-o", log.toString(), "-p", "viewfs,,"), "true").result();

        assertUsageError(run);
        assertOneLine(run);
        String text = Files.readString(log);
        assertTrue(text.contains("-p viewfs,,"), () -> "the log must name the invalid option:\n" + text);
    }

    @Test
    void unwritableDebugLogIsUsageError() throws IOException {
        Path plainFile = Files.writeString(tmp.resolve("plain"), "");
        Path log = plainFile.resolve("debug.log");
        Path marker = tmp.resolve("ran");

        Run.Result run = Run.insideWith(List.of("-o", log.toString()), "touch", marker.toString()).result();

        assertUsageError(run);
        assertOneLine(run);
        assertTrue(run.stderr().contains(log.toString()), run::toString);
        assertFalse(Files.exists(marker), "the program must not run without its debug log");
    }

    @Test
    void programOptionsPassThrough() throws IOException {
        Files.writeString(tmp.resolve("file"), "content\n");
        Files.createDirectory(tmp.resolve("dir"));

        for (List<String> command : List.of(
                List.of("ls", "-l", tmp.toString()),
                List.of("ls", "-la", "--", tmp.toString()),
                List.of("printf", "%s\\n", "-p", "viewfs", "-v", "-h", "--", "-o"))) {
            Run.Result nativeRun = Run.outside(command.toArray(String[]::new)).result();
            Run.Result viewRun = Run.inside(command.toArray(String[]::new)).result();

            assertEquals(nativeRun.toString(), viewRun.toString(), "kmview " + command);
        }
    }

    @Test
    void argumentsPassByteExact() {
        String[] command = {"printf", "%s|\\n", "héllo wörld", "", " a  b ", "tab\there", "new\nline", "*", "$HOME"};
        Run.Result nativeRun = Run.outside(command).result();
        Run.Result viewRun = Run.inside(command).result();

        assertEquals(nativeRun.toString(), viewRun.toString());
    }

    @Test
    void invalidUtf8ArgumentsPassByteExact() {
        // bash builds the bytes, so neither the JVM of the test nor kmview's locale can re-encode them.
        String arguments = "printf '%s|\\n' $'\\xff\\xfe' $'caf\\xe9' 'h\u00e9llo' | od -An -tx1";
        Run.Result nativeRun = Run.outside("bash", "-c", arguments).env("LC_ALL", "C").result();
        Run.Result viewRun = Run.outside("bash", "-c", quote(Run.kmview()) + " " + arguments)
                .env("LC_ALL", "C").result();

        assertEquals(nativeRun.toString(), viewRun.toString());
        assertTrue(nativeRun.stdout().contains("ff fe 7c"), nativeRun::toString);
    }

    @Test
    void environmentPassesUnchangedButPath() {
        List<String> environment = List.of("A=1", "B=x  y", "C=h\u00e9", "EMPTY=", "PATH=/usr/bin:/bin",
                javaHome());
        List<String> nativeCommand = new ArrayList<>(List.of("env", "-i"));
        nativeCommand.addAll(environment);
        nativeCommand.addAll(List.of("env", "-0"));
        List<String> viewCommand = new ArrayList<>(nativeCommand);
        viewCommand.add(viewCommand.size() - 2, Run.kmview());

        Run.Result nativeRun = Run.outside(nativeCommand.toArray(String[]::new)).in(tmp).result();
        Run.Result viewRun = Run.outside(viewCommand.toArray(String[]::new)).in(tmp).result();

        List<String> expected = new ArrayList<>(Arrays.asList(nativeRun.stdout().split("\0")));
        expected.replaceAll(entry -> entry.startsWith("PATH=") ? entry + ":" + Run.home().resolve("bin") : entry);
        List<String> actual = new ArrayList<>(Arrays.asList(viewRun.stdout().split("\0")));
        expected.sort(null);
        actual.sort(null);
        assertEquals(expected, actual, viewRun::toString);
        assertEquals(0, viewRun.exitCode(), viewRun::toString);
    }

    /** Returns JAVA_HOME=the test's JDK, so bin/kmview finds java in an environment cleared by env -i. */
    private static String javaHome() {
        return "JAVA_HOME=" + System.getProperty("java.home");
    }

    @Test
    void unusableKmviewJavaIsUsageError() {
        // 126 and 127 are the program's statuses, so a java that cannot start gets 2 and a message.
        for (String java : List.of("/nonexistent/java", System.getProperty("java.home"))) {
            Run.Result run = Run.outside(Run.kmview(), "true").env("KMVIEW_JAVA", java).result();

            assertEquals(USAGE_ERROR, run.exitCode(), run::toString);
            assertEquals(1, run.stderr().lines().count(), () -> "stderr must be one line:\n" + run);
            assertTrue(run.stderr().contains("KMVIEW_JAVA=" + java), () -> "stderr must name the value:\n" + run);
        }
    }

    @Test
    void pathIsSetWhenUnset() {
        Run.Result viewRun = Run.outside("env", "-i", "A=1", javaHome(), Run.kmview(), "/usr/bin/env").result();

        assertTrue(viewRun.stdout().lines().anyMatch(line -> line.startsWith("PATH=")
                && line.endsWith(":" + Run.home().resolve("bin"))), viewRun::toString);
        assertTrue(viewRun.stdout().lines().anyMatch("A=1"::equals), viewRun::toString);
    }

    @Test
    void inheritedFdReachesProgram() throws IOException {
        Path file = Files.writeString(tmp.resolve("five"), "through descriptor 5\n");
        Run.Result run = Run.outside("bash", "-c",
                quote(Run.kmview()) + " sh -c 'cat <&5' 5<" + quote(file)).result();

        assertEquals("through descriptor 5\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void openFdsMatchNative() throws IOException {
        Path file = Files.writeString(tmp.resolve("five"), "five\n");
        String redirections = " 5<" + quote(file) + " 7>>" + quote(tmp.resolve("seven"));
        Run.Result nativeRun = Run.outside("bash", "-c", "ls /proc/self/fd" + redirections).result();
        Run.Result viewRun = Run.outside("bash", "-c",
                quote(Run.kmview()) + " ls /proc/self/fd" + redirections).result();

        assertEquals(nativeRun.toString(), viewRun.toString(), "kmview's own descriptors must not reach the program");
        assertEquals(List.of("0", "1", "2", "3", "5", "7"), nativeRun.stdout().lines().toList(), nativeRun::toString);
    }

    @Test
    void jvmFdsDoNotLeak() {
        Run.Result nativeRun = Run.outside("ls", "-l", "/proc/self/fd").result();
        Run.Result viewRun = Run.inside("ls", "-l", "/proc/self/fd").result();

        assertEquals(fdNumbers(nativeRun), fdNumbers(viewRun), viewRun::toString);
    }

    /** Returns the descriptor numbers from {@code ls -l /proc/self/fd}, whose targets name pipes that differ per run. */
    private static List<String> fdNumbers(Run.Result run) {
        return run.stdout().lines().filter(line -> line.contains(" -> "))
                .map(line -> line.substring(0, line.indexOf(" -> ")).replaceAll(".* ", ""))
                .toList();
    }

    @Test
    void viewNameIsAccepted() {
        Run.Result run = Run.insideWith(List.of("-V", "my-view"), "sh", "-c", "echo ran").result();

        assertEquals("ran\n", run.stdout(), run::toString);
        assertEquals(0, run.exitCode(), run::toString);
    }

    @Test
    void exitStatusOfProgram() {
        assertEquals(7, Run.inside("sh", "-c", "exit 7").result().exitCode());
        assertEquals(128 + 15, Run.inside("sh", "-c", "kill -TERM $$").result().exitCode());
    }

    @Test
    void missingProgramMatchesShellStatus() {
        Run.Result run = Run.inside("no-such-program-5e1c").result();

        assertEquals(127, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("no-such-program-5e1c"), run::toString);
        assertNoStackTrace(run);
    }

    @Test
    void kmviewInsideViewIsRefused() {
        Run.Result run = Run.inside("sh", "-c", Run.kmview() + " true; echo inner=$?").result();

        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("inner=1\n", run.stdout(), run::toString);
        assertOneLine(run);
        assertTrue(run.stderr().contains("already inside the view of kmview"), run::toString);
        assertNoStackTrace(run);
    }

    @Test
    void viewFsServiceOptionsRejected() {
        Run.Result run = Run.insideWith(List.of("-p", "viewfs,bogus=1"), "true").result();

        assertUsageError(run);
        assertOneLine(run);
        assertTrue(run.stderr().contains("bogus=1"), run::toString);
    }

    @Test
    void mountFailureReasonOnStderr() {
        Run.Result run = Run.insideWith(List.of("-p", "viewfs"), "viewmount", "-t", "viewfs", "-o", "mvoe",
                tmp.toString(), tmp.resolve("target").toString()).result();

        assertEquals(1, run.exitCode(), run::toString);
        assertTrue(run.stderr().contains("failed: Invalid argument"), run::toString);
        assertTrue(run.stderr().contains("unknown viewfs option \"mvoe\""), run::toString);
    }

    @Test
    void longViewNameRejected() {
        Run.Result run = Run.insideWith(List.of("-V", "n".repeat(256)), "true").result();

        assertUsageError(run);
        assertOneLine(run);
        assertTrue(run.stderr().contains("longer than 255 bytes"), run::toString);
    }
}
