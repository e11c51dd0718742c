package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * With no service loaded, CPython's own tests of os, posix, shutil, subprocess and signal give the
 * same results in a view as outside, test by test.
 *
 * <p>It uses the {@code python3} on PATH. Its {@code test} package must be complete: Debian's
 * python3 needs the package {@code libpython3.11-testsuite} (or the one matching its version),
 * while a python3 built from source, as pyenv builds it, has the package already.
 */
@Timeout(value = 6, unit = TimeUnit.MINUTES)
class PythonSuiteIT {

    private static final List<String> MODULES = List.of("test_os", "test_posix", "test_shutil", "test_subprocess",
            "test_signal");

    /** A per-module line of regrtest's progress output, such as {@code 0:00:02 load avg: 0.5 [1/5] test_posix passed}. */
    private static final Pattern MODULE_LINE = Pattern.compile("\\[\\s*\\d+/\\d+\\]\\s+(test_\\w+)\\s+(\\w+)");

    /**
     * The closing count, such as {@code Total tests: run=1,028 failures=2 skipped=148}. Python 3.11.7
     * prints it and Debian's 3.11.2 does not, so with 3.11.2 both runs give an empty list here.
     */
    private static final Pattern TOTAL_LINE = Pattern.compile("^Total tests: .*$", Pattern.MULTILINE);

    private static final Pattern RESULT_LINE = Pattern.compile("^Tests result: (.*)$", Pattern.MULTILINE);

    @Test
    void cpythonTestsSameResultsAsOutside(@TempDir Path temp) throws IOException {
        requireTestPackage();
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path inside = Files.createDirectories(temp.resolve("inside"));

        Run.Result expected = Run.outside(regrtest(outside)).in(outside).timeout(Duration.ofMinutes(3)).result();
        Run.Result actual = Run.inside(regrtest(inside)).in(inside).timeout(Duration.ofMinutes(3)).result();

        Map<String, String> expectedModules = moduleResults(expected.stdout());
        Map<String, String> actualModules = moduleResults(actual.stdout());
        assertEquals(new TreeSet<>(MODULES), expectedModules.keySet(), "modules reported outside:\n" + expected);
        assertEquals(expectedModules, actualModules, "result of each test module inside versus outside:\n" + actual);
        assertEquals(summary(TOTAL_LINE, expected.stdout()), summary(TOTAL_LINE, actual.stdout()),
                "total test counts inside versus outside");
        assertEquals(summary(RESULT_LINE, expected.stdout()), summary(RESULT_LINE, actual.stdout()),
                "overall result inside versus outside");
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status of python3 -m test inside:\n" + actual);

        Map<String, String> expectedCases = testCaseOutcomes(outside.resolve("results.xml"));
        Map<String, String> actualCases = testCaseOutcomes(inside.resolve("results.xml"));
        assertTrue(expectedCases.size() > 500, "only " + expectedCases.size() + " test cases ran outside");
        assertEquals(countOutcomes(expectedCases), countOutcomes(actualCases),
                "test cases per outcome inside versus outside; these differ: " + differences(expectedCases, actualCases));
        assertEquals(expectedCases, actualCases, "outcome of each test case inside versus outside");
    }

    /** Fails with the fix when python3's test package or one of the modules is missing. */
    private static void requireTestPackage() {
        Run.Result help = Run.outside("python3", "-m", "test", "--help").result();
        assertEquals(0, help.exitCode(), "python3 -m test --help failed, so python3's test package is missing"
                + " (on Debian install libpython3.11-testsuite, matching python3's version):\n" + help);

        String check = "import importlib.util, sys\n"
                + "missing = [m for m in sys.argv[1:] if importlib.util.find_spec('test.' + m) is None]\n"
                + "print(' '.join(missing))\n";
        List<String> command = new ArrayList<>(List.of("python3", "-c", check));
        command.addAll(MODULES);
        Run.Result missing = Run.outside(command.toArray(String[]::new)).result();
        assertEquals("", missing.stdout().strip(), "python3's test package lacks these modules (on Debian install"
                + " libpython3.11-testsuite, matching python3's version): " + missing);
    }

    /**
     * Builds the regrtest command. Two workers keep the run short on two cores. Both test_closerange
     * cases are ignored because they skip or run depending on which descriptor numbers happen to be
     * free in the worker, which changes from run to run even outside a view.
     */
    private static String[] regrtest(Path directory) {
        List<String> command = new ArrayList<>(List.of("python3", "-m", "test", "-j2",
                "--tempdir", directory.resolve("tmp").toString(),
                "--junit-xml", directory.resolve("results.xml").toString(),
                "--ignore", "test_closerange"));
        command.addAll(MODULES);
        return command.toArray(String[]::new);
    }

    /** Returns module name to the first word of its result (passed, failed, skipped, ...). */
    private static Map<String, String> moduleResults(String output) {
        Map<String, String> results = new TreeMap<>();
        Matcher matcher = MODULE_LINE.matcher(output);
        while (matcher.find()) {
            results.put(matcher.group(1), matcher.group(2));
        }
        return results;
    }

    private static List<String> summary(Pattern line, String output) {
        List<String> found = new ArrayList<>();
        Matcher matcher = line.matcher(output);
        while (matcher.find()) {
            found.add(matcher.group());
        }
        return found;
    }

    /** Returns test case id to passed, skipped, failure or error, from regrtest's JUnit XML file. */
    private static Map<String, String> testCaseOutcomes(Path xml) throws IOException {
        assertTrue(Files.isRegularFile(xml), "regrtest wrote no " + xml);
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            NodeList cases = factory.newDocumentBuilder().parse(xml.toFile()).getElementsByTagName("testcase");
            Map<String, String> outcomes = new TreeMap<>();
            for (int i = 0; i < cases.getLength(); i++) {
                Element testCase = (Element) cases.item(i);
                outcomes.put(testCase.getAttribute("name"), outcome(testCase));
            }
            return outcomes;
        } catch (ParserConfigurationException | SAXException e) {
            throw new AssertionError("failed to parse " + xml, e);
        }
    }

    private static String outcome(Element testCase) {
        for (String kind : List.of("error", "failure", "skipped")) {
            if (testCase.getElementsByTagName(kind).getLength() > 0) {
                return kind;
            }
        }
        return "passed";
    }

    private static Map<String, Integer> countOutcomes(Map<String, String> outcomes) {
        Map<String, Integer> counts = new TreeMap<>();
        outcomes.values().forEach(outcome -> counts.merge(outcome, 1, Integer::sum));
        return counts;
    }

    private static List<String> differences(Map<String, String> expected, Map<String, String> actual) {
        TreeSet<String> names = new TreeSet<>(expected.keySet());
        names.addAll(actual.keySet());
        List<String> differing = new ArrayList<>();
        for (String name : names) {
            if (!Objects.equals(expected.get(name), actual.get(name))) {
                differing.add(name + " outside " + expected.get(name) + ", inside " + actual.get(name));
            }
        }
        return differing;
    }
}
