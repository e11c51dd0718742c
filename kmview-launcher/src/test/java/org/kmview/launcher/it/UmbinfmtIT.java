package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.kmview.launcher.it.ViewFsTesting.copyProgram;
import static org.kmview.launcher.it.ViewFsTesting.mkdirs;
import static org.kmview.launcher.it.ViewFsTesting.quote;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.spi.ToolProvider;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code viewmount -t umbinfmt none DIR}: a binfmt_misc-style table of interpreters for one view.
 * Each test runs a script in {@code kmview -p viewfs -p umbinfmt sh -c} that mounts the table,
 * registers entries and runs executables the kernel cannot run itself. Outside the view, the same
 * executables fail with ENOEXEC; inside, with the entries disabled or removed, they fail the same way.
 *
 * <p>The interp_probe fixture serves as the interpreter: it prints its argv, AT_FLAGS,
 * AT_EXECFD and /proc/self/exe, which the tests compare with what binfmt-misc.rst documents.
 */
@Timeout(120)
class UmbinfmtIT {

    /** Four bytes that begin no binary format of the kernel. */
    private static final String MAGIC = "KMVW";
    /** The magic of a 64-bit little-endian aarch64 ELF executable, and its mask, as Debian registers them. */
    private static final String AARCH64_MAGIC =
            "\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00";
    private static final String ELF_MASK =
            "\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff";

    @TempDir
    Path tmp;
    Path table;
    Path probe;

    @BeforeEach
    void createFiles() throws IOException {
        table = tmp.resolve("binfmt");
        probe = tmp.resolve("interpreters/interp_probe");
        copyProgram(Run.fixture("interp_probe"), probe);
        executable(tmp.resolve("prog"), MAGIC + "rest of a program\n");
    }

    @Test
    void freshTableHasRegisterAndStatusOnly() {
        Run.Result view = inView(mount() + " && ls " + quote(table) + " && cat " + quote(table.resolve("status")));
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("register\nstatus\nenabled\n", view.stdout(), view::toString);
    }

    @Test
    void entryFileShowsWhatWasRegistered() {
        String script = mount()
                + " && " + register(":probe:M:2:VW\\x00:\\xff\\xfe\\x00:" + probe + ":POCF")
                + " && " + register(":plain:M::" + MAGIC + "::" + probe + ":")
                + " && " + register(":py:E::py::/usr/bin/python3:")
                + " && ls " + quote(table)
                + " && cat " + quote(table.resolve("probe")) + " " + quote(table.resolve("plain"))
                + " " + quote(table.resolve("py"));
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("plain\nprobe\npy\nregister\nstatus\n"
                + "enabled\ninterpreter " + probe + "\nflags: POCF\noffset 2\nmagic 565700\nmask fffe00\n"
                + "enabled\ninterpreter " + probe + "\nflags: \noffset 0\nmagic 4b4d5657\n"
                + "enabled\ninterpreter /usr/bin/python3\nflags: \nextension .py\n", view.stdout(), view::toString);
    }

    @Test
    void invalidLinesFailWithEinval() throws IOException {
        Path log = tmp.resolve("debug.log");
        List<String> invalid = List.of(
                "::M::" + MAGIC + "::/bin/true:",             // empty name
                ":status:M::" + MAGIC + "::/bin/true:",       // a reserved name
                ":a/b:M::" + MAGIC + "::/bin/true:",          // a slash in the name
                ":t:X::" + MAGIC + "::/bin/true:",            // unknown type
                ":f:M::" + MAGIC + "::/bin/true:Z",           // unknown flag
                ":o:M:120:" + "0123456789::/bin/true:",       // offset plus magic over 128 bytes
                ":m:M::AB:\\xff\\xff\\xff:/bin/true:");       // mask longer than the magic
        StringBuilder script = new StringBuilder(mount());
        for (String line : invalid) {
            script.append("; ").append(register(line)).append(" 2>/dev/null; echo $?");
        }
        script.append("; ls ").append(quote(table));
        Run.Result view = Run.insideWith(List.of("-o", log.toString(), "-p", "umbinfmt"), "sh", "-c", script.toString())
                .in(tmp).result();
        assertEquals("1\n".repeat(invalid.size()) + "register\nstatus\n", view.stdout(), view::toString);
        String logText = Files.readString(log);
        for (String field : List.of("name", "type", "flag", "offset", "mask")) {
            assertTrue(logText.contains(field), () -> "the debug log names no " + field + ":\n" + logText);
        }
        assertTrue(logText.contains("Invalid") || logText.contains("EINVAL") || logText.contains("invalid"),
                () -> "the debug log does not say the line is invalid:\n" + logText);
    }

    @Test
    void matchingFileRunsThroughInterpreter() {
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":")
                + " && ./prog one 'two words'";
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("argc 4\nargv[0] " + probe + "\nargv[1] ./prog\nargv[2] one\nargv[3] two words\n"
                + "flags 0\nexecfd none\nexe " + probe + "\n", view.stdout(), view::toString);
    }

    @Test
    void preserveFlagKeepsArgv0AndSetsAtFlags() {
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":P")
                + " && " + execv("./prog", "custom-name", "one");
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("argc 4\nargv[0] " + probe + "\nargv[1] ./prog\nargv[2] custom-name\nargv[3] one\n"
                + "flags 1\nexecfd none\nexe " + probe + "\n", view.stdout(), view::toString);
    }

    @Test
    void openFlagPassesADescriptorOfTheBinary() {
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":O")
                + " && ./prog && " + register(":probe2:E::" + "cred" + "::" + probe + ":C")
                + " && cp prog prog.cred && ./prog.cred";
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        String magicHex = "4b4d5657";
        String[] runs = view.stdout().split("(?=argc )");
        assertEquals(2, runs.length, view::toString);
        for (String run : runs) {
            assertTrue(run.matches("(?s).*execfd [0-9]+\nexecfd-head 4 " + magicHex + "\n.*"), view::toString);
        }
    }

    @Test
    void fixedInterpreterSurvivesHiding() {
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":F")
                + " && viewmount -t viewfs -o hide none " + quote(probe.getParent())
                + " && ! ls " + quote(probe) + " 2>/dev/null && ./prog";
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertTrue(view.stdout().startsWith("argc 2\nargv[0] " + probe + "\nargv[1] ./prog\n"), view::toString);
    }

    @Test
    void interpreterMayLieUnderAViewfsMount() {
        Path shown = tmp.resolve("shown");
        String script = "viewmount -t viewfs -o move " + quote(probe.getParent()) + " " + quote(shown)
                + " && " + mount() + " && " + register(":probe:M::" + MAGIC + "::" + shown.resolve("interp_probe") + ":")
                + " && ./prog";
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertTrue(view.stdout().startsWith("argc 2\nargv[0] " + shown.resolve("interp_probe") + "\n"), view::toString);
    }

    @Test
    void pythonFileWithoutShebangRunsByExtension() throws IOException {
        Files.writeString(tmp.resolve("hello.py"), "import sys\nprint('hello from', sys.argv[1:])\n");
        Files.setPosixFilePermissions(tmp.resolve("hello.py"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Run.Result view = inView(mount() + " && " + register(":py:E::py::/usr/bin/python3:") + " && ./hello.py a b");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("hello from ['a', 'b']\n", view.stdout(), view::toString);
    }

    @Test
    void jarRunsDirectlyByMagicAndByExtension() throws IOException {
        Path jar = buildJar();
        Path wrapper = executable(tmp.resolve("interpreters/jar-runner"), "#!/bin/sh\nexec java -jar \"$@\"\n");
        executable(tmp.resolve("by-extension.jar"), Files.readAllBytes(jar));
        executable(tmp.resolve("magic-only"), Files.readAllBytes(jar));
        Run.Result view = inView(mount()
                + " && " + register(":jar-magic:M::PK\\x03\\x04::" + wrapper + ":")
                + " && ./magic-only one && echo 0 > " + quote(table.resolve("jar-magic"))
                + " && " + register(":jar-ext:E::jar::" + wrapper + ":")
                + " && ./by-extension.jar two");
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("Hello [one]\nHello [two]\n", view.stdout(), view::toString);
    }

    @Test
    void disabledEntriesFailWithEnoexec() {
        String attempt = "{ " + execv("./prog", "./prog") + "; echo status $?; }";
        Run.Result outside = Run.outside("sh", "-c", attempt).in(tmp).result();
        assertEquals("status 1\n", outside.stdout(), outside::toString);
        assertTrue(outside.stderr().contains("[Errno 8] Exec format error"), outside::toString);
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":")
                + " && echo 0 > " + quote(table.resolve("probe")) + " && " + attempt
                + " && echo 1 > " + quote(table.resolve("probe")) + " && ./prog >/dev/null && echo ran"
                + " && echo 0 > " + quote(table.resolve("status")) + " && " + attempt
                + " && echo 1 > " + quote(table.resolve("status"))
                + " && echo -1 > " + quote(table.resolve("probe")) + " && " + attempt + " && ls " + quote(table);
        Run.Result view = inView(script);
        assertEquals(outside.stdout() + "ran\n" + outside.stdout() + outside.stdout() + "register\nstatus\n",
                view.stdout(), view::toString);
        assertEquals(outside.stderr().repeat(3), view.stderr(), view::toString);
    }

    @Test
    void sourcePathLimitsScope() throws IOException {
        Path scoped = tmp.resolve("scoped");
        mkdirs(scoped);
        Files.copy(tmp.resolve("prog"), scoped.resolve("prog"));
        String script = "viewmount -t umbinfmt " + quote(scoped) + " " + quote(table)
                + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":")
                + " && scoped/prog | head -1 && { " + execv("./prog", "./prog") + " 2>/dev/null; echo status $?; }";
        Run.Result view = inView(script);
        assertEquals("argc 2\nstatus 1\n", view.stdout(), view::toString);
    }

    @Test
    void aarch64BusyboxRunsThroughQemu() throws IOException {
        Path busybox = foreignBusybox("arm64");
        Path data = tmp.resolve("data");
        Path shown = tmp.resolve("shown");
        mkdirs(data);
        Files.writeString(data.resolve("first"), "1");
        Files.writeString(data.resolve("second"), "2");
        String script = mount() + " && " + register(":qemu-aarch64:M::" + AARCH64_MAGIC + ":" + ELF_MASK
                + ":/usr/bin/qemu-aarch64-static:OCF")
                + " && viewmount -t viewfs -o move " + quote(data) + " " + quote(shown)
                + " && " + quote(busybox) + " uname -m"
                + " && " + quote(busybox) + " sh -c 'echo $((6*7))'"
                + " && " + quote(busybox) + " ls " + quote(shown);
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("aarch64\n42\nfirst\nsecond\n", view.stdout(), view::toString);
        Run.Result outside = Run.outside("sh", "-c", execv(busybox.toString(), "busybox", "true")).result();
        assertEquals(1, outside.exitCode(), () -> "the host runs aarch64 binaries by itself (binfmt_misc has"
                + " an entry for them), so this test cannot tell that the view ran it:\n" + outside);
    }

    @Test
    void debianRegistrationRunsArmhfBusybox() throws IOException {
        // Debian's own line, with P and qemu's argv0-preserving wrapper. cat copies it with
        // copy_file_range, which fails on a control file, so cat falls back to write.
        Path busybox = foreignBusybox("armhf");
        Path data = tmp.resolve("data");
        Path shown = tmp.resolve("shown");
        mkdirs(data);
        Files.writeString(data.resolve("only"), "1");
        String script = mount() + " && cat /usr/lib/binfmt.d/qemu-arm.conf > " + quote(table.resolve("register"))
                + " && viewmount -t viewfs -o move " + quote(data) + " " + quote(shown)
                + " && " + quote(busybox) + " uname -m"
                + " && " + quote(busybox) + " sh -c 'echo $((6*7)) | cat'"
                + " && " + quote(busybox) + " ls " + quote(shown);
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("armv7l\n42\nonly\n", view.stdout(), view::toString);
    }

    @Test
    void fexecveNamesTheDescriptor() {
        String python = "import os; fd = os.open('prog', os.O_RDONLY); os.execve(fd, ['prog', 'x'], {})";
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":")
                + " && python3 -c " + quote(python);
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertTrue(view.stdout().matches("(?s)argc 3\nargv\\[0\\] " + java.util.regex.Pattern.quote(probe.toString())
                + "\nargv\\[1\\] /dev/fd/[0-9]+\nargv\\[2\\] x\n.*"), view::toString);
    }

    @Test
    void interpreterMayLieInsideZipMount() throws IOException {
        Path zipped = tmp.resolve("zipped");
        mkdirs(zipped);
        Files.copy(probe, zipped.resolve("interp_probe"));
        Run.Result zip = Run.outside("sh", "-c", "cd " + quote(zipped) + " && zip -q ../interp.zip interp_probe")
                .in(tmp).result();
        assertEquals(0, zip.exitCode(), zip::toString);
        Path tools = tmp.resolve("tools");
        String script = "viewmount -t umfusezip -o ro interp.zip " + quote(tools) + " && " + mount()
                + " && " + register(":probe:M::" + MAGIC + "::" + tools.resolve("interp_probe") + ":")
                + " && ./prog";
        Run.Result view = Run.insideWith(List.of("-p", "umfuse", "-p", "umbinfmt"), "sh", "-c", script).in(tmp).result();
        assertEquals(0, view.exitCode(), view::toString);
        assertTrue(view.stdout().startsWith("argc 2\nargv[0] " + tools.resolve("interp_probe") + "\nargv[1] ./prog\n"),
                view::toString);
    }

    @Test
    void scriptWithForeignInterpreterRuns() throws IOException {
        Path busybox = foreignBusybox("arm64");
        executable(tmp.resolve("arm-script"), "#!" + busybox + " sh\necho from $(uname -m) \"$@\"\n");
        String script = mount() + " && " + register(":qemu-aarch64:M::" + AARCH64_MAGIC + ":" + ELF_MASK
                + ":/usr/bin/qemu-aarch64-static:")
                + " && " + execv("./arm-script", "./arm-script", "one");
        Run.Result view = inView(script);
        assertEquals(0, view.exitCode(), view::toString);
        assertEquals("from aarch64 one\n", view.stdout(), view::toString);
    }

    @Test
    void tableFilesCannotBeRemovedByName() {
        String script = mount() + " && " + register(":probe:M::" + MAGIC + "::" + probe + ":")
                + " && { rm " + quote(table.resolve("probe")) + " 2>/dev/null; echo rm $?; }"
                + " && { mv " + quote(table.resolve("status")) + " " + quote(tmp.resolve("moved")) + " 2>/dev/null;"
                + " echo mv $?; } && ls " + quote(table) + " && ./prog >/dev/null && echo still registered";
        Run.Result view = inView(script);
        assertEquals("rm 1\nmv 1\nprobe\nregister\nstatus\nstill registered\n", view.stdout(), view::toString);
    }

    @Test
    void mountWithoutServiceNamesIt() {
        Run.Result view = Run.insideWith(List.of("-p", "viewfs"), "sh", "-c", mount()).in(tmp).result();
        assertEquals(1, view.exitCode(), view::toString);
        assertTrue(view.stderr().contains("um_add_service umbinfmt"), view::toString);
    }

    /**
     * Returns a command line that calls execv(2) on {@code path} with {@code argv}, with no fallback
     * of its own: env, sh and bash run a file that fails with ENOEXEC as a shell script. It exits
     * with status 1 and "[Errno 8] Exec format error" on stderr when the exec fails that way.
     */
    private static String execv(String path, String... argv) {
        StringBuilder list = new StringBuilder();
        for (String arg : argv) {
            list.append(list.length() == 0 ? "" : ", ").append("'").append(arg).append("'");
        }
        return "python3 -c " + quote("import os; os.execv('" + path + "', [" + list + "])");
    }

    private String mount() {
        return "viewmount -t umbinfmt none " + quote(table);
    }

    private String register(String line) {
        return "printf '%s\\n' " + quote(line) + " > " + quote(table.resolve("register"));
    }

    private Run.Result inView(String script) {
        return Run.insideWith(List.of("-p", "viewfs", "-p", "umbinfmt"), "sh", "-c", script).in(tmp).result();
    }

    private static Path executable(Path file, String content) throws IOException {
        return executable(file, content.getBytes(StandardCharsets.ISO_8859_1));
    }

    private static Path executable(Path file, byte[] content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, content);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
        return file;
    }

    /** Returns the static busybox of {@code arch} that scripts/fetch-foreign-busybox put in place. */
    private static Path foreignBusybox(String arch) {
        Path busybox = Path.of(System.getProperty("kmview.foreign", "missing"), arch, "busybox");
        assertTrue(Files.isExecutable(busybox), () -> busybox + " is missing: run scripts/fetch-foreign-busybox"
                + " (the README's prerequisites say how)");
        assertTrue(Files.isExecutable(Path.of("/usr/bin/qemu-aarch64-static")),
                "qemu-user-static is missing: apt-get install qemu-user-static");
        return busybox;
    }

    /** Compiles a one-class program that prints "Hello " and its arguments, into an executable jar. */
    private Path buildJar() throws IOException {
        Path source = tmp.resolve("jarsrc/Hello.java");
        Path classes = tmp.resolve("jarclasses");
        Files.createDirectories(source.getParent());
        Files.writeString(source, "public class Hello { public static void main(String[] args) {"
                + " System.out.println(\"Hello \" + java.util.Arrays.toString(args)); } }\n");
        ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
        ToolProvider jarTool = ToolProvider.findFirst("jar").orElseThrow();
        assertEquals(0, javac.run(System.out, System.err, "-d", classes.toString(), source.toString()));
        Path jar = tmp.resolve("app.jar");
        assertEquals(0, jarTool.run(System.out, System.err, "--create", "--file", jar.toString(),
                "--main-class", "Hello", "-C", classes.toString(), "."));
        return jar;
    }
}
