#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal, type into it step by step and print the transcript.

usage: pty_session.py [--timeout SECONDS] COMMAND [ARG...] < STEPS.json

STEPS.json is a JSON list of steps, run in order. Each step is an object with one key:
  {"expect": REGEX}     wait until the output after the previous match matches REGEX
                        (Python re syntax, MULTILINE), then continue after that match;
  {"send": TEXT}        write TEXT to the terminal as typed keys ("\\r" is Enter, "\\u001a" Ctrl-Z);
  {"foreground": NAME}  wait until the terminal's foreground process group is led by a
                        process whose /proc/PID/comm is NAME, so a key such as Ctrl-Z
                        reaches that program and not the shell;
  {"sleep": SECONDS}    wait that long, reading output meanwhile.
Each waiting step fails after --timeout seconds (default 20).

After the last step the script reads the output until the command exits. It then prints the
whole transcript on stdout, with carriage returns removed and terminal escape sequences
stripped, and exits with the command's status (128+N when a signal N killed it).
A failed step prints the transcript so far and a message naming the step on stderr, kills
the command and exits with status 124.
"""

import json
import os
import pty
import re
import select
import signal
import sys
import time

STEP_FAILED = 124
ESCAPE_SEQUENCE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][0-9A-Za-z]|[=>])")


class Session:
    def __init__(self, command, timeout):
        self.timeout = timeout
        self.output = bytearray()
        self.cursor = 0
        self.exited = False
        self.pid, self.master = pty.fork()
        if self.pid == 0:
            try:
                os.execvp(command[0], command)
            finally:
                os._exit(127)

    def read_available(self, wait_seconds):
        """Append what the command wrote within wait_seconds, or mark the end of output."""
        if self.exited:
            time.sleep(wait_seconds)
            return
        ready, _, _ = select.select([self.master], [], [], wait_seconds)
        if not ready:
            return
        try:
            data = os.read(self.master, 65536)
        except OSError:
            # Linux returns EIO on the master once no process has the terminal open.
            data = b""
        if data:
            self.output.extend(data)
        else:
            self.exited = True

    def text(self, start=0):
        return clean(self.output[start:].decode("utf-8", errors="replace"))

    def wait_for(self, description, condition, until_exit=False):
        deadline = time.monotonic() + self.timeout
        while not condition():
            if time.monotonic() > deadline:
                raise StepFailed(f"timed out after {self.timeout} s waiting for {description}")
            if self.exited and not until_exit:
                raise StepFailed(f"the command closed the terminal while waiting for {description}")
            self.read_available(0.05)

    def expect(self, pattern):
        regex = re.compile(pattern, re.MULTILINE)
        found = {}

        def matched():
            # Escape sequences are removed before matching, so the cursor counts cleaned text.
            match = regex.search(self.text(), self.cursor)
            if match:
                found["end"] = match.end()
            return match is not None

        self.wait_for(f"output matching {pattern!r}", matched)
        self.cursor = found["end"]

    def foreground_is(self, name):
        try:
            group = os.tcgetpgrp(self.master)
            with open(f"/proc/{group}/comm") as comm:
                return comm.read().strip() == name
        except OSError:
            return False

    def run_step(self, step):
        if "expect" in step:
            self.expect(step["expect"])
        elif "send" in step:
            os.write(self.master, step["send"].encode("utf-8"))
        elif "foreground" in step:
            name = step["foreground"]
            self.wait_for(f"foreground process {name!r}", lambda: self.foreground_is(name))
        elif "sleep" in step:
            deadline = time.monotonic() + float(step["sleep"])
            while time.monotonic() < deadline:
                self.read_available(min(0.05, max(0.0, deadline - time.monotonic())))
        else:
            raise StepFailed(f"unknown step {step!r}: expected expect, send, foreground or sleep")

    def finish(self):
        """Read until the command closes the terminal and return its exit status."""
        self.wait_for("the end of output", lambda: self.exited, until_exit=True)
        _, status = os.waitpid(self.pid, 0)
        return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)

    def kill(self):
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


class StepFailed(Exception):
    pass


def clean(text):
    return ESCAPE_SEQUENCE.sub("", text).replace("\r", "")


def main(argv):
    timeout = 20.0
    if len(argv) >= 2 and argv[0] == "--timeout":
        timeout = float(argv[1])
        argv = argv[2:]
    if not argv:
        print("usage: pty_session.py [--timeout SECONDS] COMMAND [ARG...] < STEPS.json", file=sys.stderr)
        return 2
    steps = json.load(sys.stdin)

    session = Session(argv, timeout)

    for index, step in enumerate(steps):
        try:
            session.run_step(step)
        except StepFailed as failure:
            sys.stdout.write(session.text())
            sys.stdout.flush()
            print(f"pty_session.py: step {index} {json.dumps(step)} failed: {failure}", file=sys.stderr)
            session.kill()
            return STEP_FAILED
    try:
        status = session.finish()
    except StepFailed as failure:
        sys.stdout.write(session.text())
        sys.stdout.flush()
        print(f"pty_session.py: {failure}", file=sys.stderr)
        session.kill()
        return STEP_FAILED
    sys.stdout.write(session.text())
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
