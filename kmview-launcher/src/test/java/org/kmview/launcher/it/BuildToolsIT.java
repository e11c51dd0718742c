package org.kmview.launcher.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * With no service loaded, gcc with make and git write in a view exactly what they write outside:
 * the same objects and binary from a parallel build, and the same commits in a new repository.
 */
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BuildToolsIT {

    private static final String MAKEFILE = """
            CC = gcc
            CFLAGS = -O2 -Wall -Wextra
            OBJECTS = main.o words.o numbers.o table.o

            calc: $(OBJECTS)
            \t$(CC) $(CFLAGS) -o $@ $(OBJECTS)

            %.o: %.c calc.h
            \t$(CC) $(CFLAGS) -c -o $@ $<

            check: calc
            \t./calc 10 > result.txt
            \tcat result.txt

            .PHONY: check
            """;

    private static final String HEADER = """
            #ifndef CALC_H
            #define CALC_H
            unsigned long fibonacci(unsigned n);
            unsigned long primes_below(unsigned long limit);
            const char *number_word(unsigned n);
            void print_table(unsigned rows);
            #endif
            """;

    private static final String MAIN = """
            #include <stdio.h>
            #include <stdlib.h>
            #include "calc.h"

            int main(int argc, char **argv)
            {
                unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 5;
                printf("fibonacci(%u) = %lu\\n", n, fibonacci(n));
                printf("primes below 10000: %lu\\n", primes_below(10000));
                printf("%s is a word\\n", number_word(n % 10));
                print_table(n < 5 ? n : 5);
                return 0;
            }
            """;

    private static final String NUMBERS = """
            #include "calc.h"

            unsigned long fibonacci(unsigned n)
            {
                unsigned long a = 0, b = 1;
                for (unsigned i = 0; i < n; i++) {
                    unsigned long next = a + b;
                    a = b;
                    b = next;
                }
                return a;
            }

            unsigned long primes_below(unsigned long limit)
            {
                unsigned long count = 0;
                for (unsigned long candidate = 2; candidate < limit; candidate++) {
                    int prime = 1;
                    for (unsigned long d = 2; d * d <= candidate; d++) {
                        if (candidate % d == 0) {
                            prime = 0;
                            break;
                        }
                    }
                    count += prime;
                }
                return count;
            }
            """;

    private static final String WORDS = """
            #include "calc.h"

            static const char *const WORDS[] = {
                "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            };

            const char *number_word(unsigned n)
            {
                return n < 10 ? WORDS[n] : "many";
            }
            """;

    private static final String TABLE = """
            #include <stdio.h>
            #include "calc.h"

            void print_table(unsigned rows)
            {
                for (unsigned row = 1; row <= rows; row++) {
                    for (unsigned column = 1; column <= rows; column++)
                        printf("%4u", row * column);
                    putchar('\\n');
                }
            }
            """;

    @Test
    void makeParallelBuild(@TempDir Path temp) throws IOException {
        Path outside = writeProject(temp.resolve("outside"));
        Path inside = writeProject(temp.resolve("inside"));
        String script = "make -j2 && ./calc 12; echo \"calc exited $?\"; make -j2; make check";

        Run.Result expected = Run.outside("sh", "-c", script).in(outside).result();
        Run.Result actual = Run.inside("sh", "-c", script).in(inside).result();

        assertEquals(0, expected.exitCode(), "build outside:\n" + expected);
        assertTrue(expected.stdout().contains("fibonacci(12) = 144"), "calc outside printed:\n" + expected);
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status of the build inside:\n" + actual);
        // make -j2 runs two compilers at once, so the order of its command lines may vary.
        assertEquals(expected.stdout().lines().sorted().toList(), actual.stdout().lines().sorted().toList(),
                "stdout lines inside versus outside");
        assertEquals(expected.stderr(), actual.stderr(), "stderr inside versus outside");
        assertEquals(calcOutput(expected.stdout()), calcOutput(actual.stdout()), "output of the binary built inside");
        assertEquals(FileTree.describe(outside), FileTree.describe(inside),
                "files made inside versus outside (objects and binary included)");
    }

    @Test
    void gitInitAddCommitLog(@TempDir Path temp) throws IOException {
        Path outside = Files.createDirectories(temp.resolve("outside"));
        Path inside = Files.createDirectories(temp.resolve("inside"));
        String script = """
                set -e
                git init -q -b main repo
                cd repo
                printf 'first\\n' > a.txt
                mkdir -p src && printf 'int x;\\n' > src/x.c
                git add a.txt src
                git commit -q -m 'Add a and x'
                printf 'second\\n' >> a.txt
                ln -s a.txt link
                git add -A
                git commit -q -m 'Extend a, add link'
                git rm -q src/x.c
                git commit -q -m 'Remove x'
                git log --stat --format='%H %an <%ae> %ad %s' --date=iso-strict
                git rev-parse HEAD HEAD^{tree}
                git cat-file -p HEAD
                git ls-tree -r HEAD~1
                git show --format=%s HEAD~1 -- a.txt
                git status --porcelain=v1 --branch
                git fsck --strict 2>&1
                """;

        Run.Result expected = git(Run.outside("sh", "-c", script).in(outside), outside);
        Run.Result actual = git(Run.inside("sh", "-c", script).in(inside), inside);

        assertEquals(0, expected.exitCode(), "git outside:\n" + expected);
        assertTrue(expected.stdout().contains("Remove x"), "git log outside printed:\n" + expected);
        assertEquals(expected.exitCode(), actual.exitCode(), "exit status of git inside:\n" + actual);
        assertEquals(expected.stdout(), actual.stdout(), "stdout inside versus outside (commit hashes included)");
        assertEquals(expected.stderr(), actual.stderr(), "stderr inside versus outside");
        // The index stores inode numbers and change times, which differ between any two checkouts.
        Map<String, String> expectedFiles = FileTree.describe(outside, false, path -> !path.equals("repo/.git/index"));
        Map<String, String> actualFiles = FileTree.describe(inside, false, path -> !path.equals("repo/.git/index"));
        assertEquals(expectedFiles, actualFiles, "files written by git inside versus outside");
    }

    /** Isolates git from the user's configuration and fixes identities and dates so commit hashes repeat. */
    private static Run.Result git(Run run, Path home) {
        return run.env("HOME", home.toString())
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_AUTHOR_NAME", "Test Author")
                .env("GIT_AUTHOR_EMAIL", "author@example.invalid")
                .env("GIT_COMMITTER_NAME", "Test Committer")
                .env("GIT_COMMITTER_EMAIL", "committer@example.invalid")
                .env("GIT_AUTHOR_DATE", "2020-01-02T03:04:05+00:00")
                .env("GIT_COMMITTER_DATE", "2020-01-02T03:04:05+00:00")
                .result();
    }

    private static Path writeProject(Path directory) {
        Run.write(directory.resolve("Makefile"), MAKEFILE);
        Run.write(directory.resolve("calc.h"), HEADER);
        Run.write(directory.resolve("main.c"), MAIN);
        Run.write(directory.resolve("numbers.c"), NUMBERS);
        Run.write(directory.resolve("words.c"), WORDS);
        Run.write(directory.resolve("table.c"), TABLE);
        return directory;
    }

    private static List<String> calcOutput(String stdout) {
        return stdout.lines().filter(line -> !line.startsWith("gcc ") && !line.startsWith("make")).toList();
    }
}
