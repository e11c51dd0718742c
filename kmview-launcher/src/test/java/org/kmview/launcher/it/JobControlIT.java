package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no service loaded, an interactive bash on a terminal keeps its job control in a view:
 * Ctrl-Z stops the foreground job, {@code jobs} lists it, {@code fg} resumes it and
 * {@code kill %1} ends it. The terminal is a pseudo-terminal driven by pty_session.py.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class JobControlIT {

    /**
     * The keys typed, as steps of pty_session.py. The prompt is set first so that it differs from the
     * echo of the command that sets it. Each Ctrl-Z waits until sleep leads the terminal's foreground
     * process group, and the loop after {@code kill %1} waits until the job is gone, because bash
     * reports job changes asynchronously.
     */
    private static final String STEPS = """
            [{"expect": "[#$] $"}, {"send": "PS1='ready> '\\r"},
             {"expect": "ready> "}, {"send": "sleep 100\\r"},
             {"foreground": "sleep"}, {"send": "\\u001a"},
             {"expect": "Stopped"}, {"expect": "ready> "}, {"send": "echo after-ctrl-z=$?\\r"},
             {"expect": "after-ctrl-z=\\\\d+"}, {"expect": "ready> "}, {"send": "jobs\\r"},
             {"expect": "ready> "}, {"send": "fg\\r"},
             {"foreground": "sleep"}, {"send": "\\u001a"},
             {"expect": "Stopped"}, {"expect": "ready> "}, {"send": "kill %1; echo kill=$?\\r"},
             {"expect": "kill=\\\\d+"}, {"expect": "ready> "},
             {"send": "while kill -0 %1 2>/dev/null; do sleep 0.1; done; echo gone\\r"},
             {"expect": "gone"}, {"expect": "ready> "}, {"send": "echo jobs-left=$(jobs | wc -l)\\r"},
             {"expect": "jobs-left=\\\\d+"}, {"expect": "ready> "}, {"send": "exit 7\\r"}]
            """;

    private static final Pattern PROMPT = Pattern.compile("^ready> (.*)$");
    private static final Pattern JOB_NOTICE = Pattern.compile("^\\[(\\d+)\\][+-]?\\s+(\\w+)\\s+(.*?)\\s*$");
    private static final Pattern VALUE_LINE = Pattern.compile("^[a-z-]+=\\d+$");

    @Test
    void ctrlZJobsFgKill(@TempDir Path temp) throws URISyntaxException {
        Run.Result expected = session(temp, "outside", List.of());
        Run.Result actual = session(temp, "inside", List.of(Run.kmview()));

        assertEquals(7, expected.exitCode(), "bash outside did not run to its exit 7:\n" + expected);
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status of the session inside:\n" + actual);
        assertFalse(actual.stdout().contains("no job control"), "bash inside has no job control:\n" + actual);
        assertEquals(expected.stderr(), actual.stderr(), "stderr of pty_session.py inside versus outside");

        List<String> outside = meaningfulLines(expected.stdout());
        List<String> inside = meaningfulLines(actual.stdout());
        assertEquals(List.of(
                "after-ctrl-z=148",
                "$ jobs",
                "[1] Stopped sleep 100",
                "$ fg",
                "sleep 100",
                "kill=0",
                "gone",
                "jobs-left=0",
                "Ctrl-Z echoed 2 times",
                "job notices: [1] Stopped sleep 100, [1] Terminated sleep 100"), outside,
                "meaningful lines of the session outside; transcript:\n" + expected.stdout());
        assertEquals(outside, inside, "meaningful lines inside versus outside; transcript inside:\n" + actual.stdout()
                + "\ntranscript outside:\n" + expected.stdout());
    }

    private static Run.Result session(Path temp, String name, List<String> prefix) throws URISyntaxException {
        URL helper = JobControlIT.class.getResource("/pty_session.py");
        if (helper == null) {
            throw new AssertionError("pty_session.py is missing from the test resources");
        }
        List<String> command = new ArrayList<>(List.of("python3", Path.of(helper.toURI()).toString(),
                "--timeout", "30"));
        command.addAll(prefix);
        command.addAll(List.of("bash", "--norc", "-i"));
        return Run.outside(command.toArray(String[]::new))
                .in(temp)
                .env("TERM", "dumb")
                .env("HISTFILE", temp.resolve(name + ".history").toString())
                .input(STEPS)
                .timeout(Duration.ofSeconds(90))
                .result();
    }

    /**
     * Reduces a transcript to the lines that do not depend on timing: values printed by the typed
     * commands, the output of {@code jobs}, the command {@code fg} resumed and the set of job notices.
     * When bash prints a notice (before which prompt, or once or twice) depends on when it receives
     * SIGCHLD for the job, even outside a view.
     */
    private static List<String> meaningfulLines(String transcript) {
        List<String> lines = new ArrayList<>();
        Set<String> notices = new TreeSet<>();
        String command = "";
        int ctrlZ = 0;
        for (String line : transcript.lines().toList()) {
            Matcher prompt = PROMPT.matcher(line);
            Matcher notice = JOB_NOTICE.matcher(line);
            if (prompt.matches()) {
                command = prompt.group(1);
                if (command.equals("jobs") || command.equals("fg")) {
                    lines.add("$ " + command);
                }
            } else if (notice.matches()) {
                String job = "[" + notice.group(1) + "] " + notice.group(2) + " " + notice.group(3);
                notices.add(job);
                if (command.equals("jobs")) {
                    lines.add(job);
                }
            } else if (line.equals("^Z")) {
                ctrlZ++;
            } else if (command.equals("fg") && line.equals("sleep 100")) {
                lines.add(line);
            } else if (VALUE_LINE.matcher(line).matches() || line.equals("gone")) {
                lines.add(line);
            }
        }
        lines.add("Ctrl-Z echoed " + ctrlZ + " times");
        lines.add("job notices: " + String.join(", ", notices));
        return lines;
    }
}
