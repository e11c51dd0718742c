package org.kmview.launcher;

import org.kmview.core.View;

import sun.misc.Signal;

/**
 * kmview's own signal handling, as a shell waiting for a foreground job does it. SIGINT and
 * the terminal's stop signals already reach the program (same process group), so kmview does
 * not act on them: the program decides, and when the program stops, the tracer stops kmview.
 * SIGTERM and SIGHUP sent to kmview are passed on to every process of the view, the program
 * first, so the view ends as a machine that shuts down, and its services save their data.
 * SIGUSR1, which would end kmview's JVM, goes to the program alone, as when a user asks dd for
 * its progress.
 */
final class Signals {

    private Signals() {
    }

    static void install(View view) {
        for (String name : new String[] {"INT", "TSTP", "TTIN", "TTOU"}) {
            Signal.handle(new Signal(name), signal -> { });
        }
        for (String name : new String[] {"TERM", "HUP"}) {
            Signal.handle(new Signal(name), signal -> view.signalView(signal.getNumber()));
        }
        Signal.handle(new Signal("USR1"), signal -> view.signalProgram(signal.getNumber()));
    }
}
