package org.kmview.launcher;

import org.kmview.core.View;

import sun.misc.Signal;

/**
 * kmview's own signal handling, as a shell waiting for a foreground job does it: SIGINT and
 * SIGQUIT from the terminal already reach the program (same process group), so kmview ignores
 * them and lives on while the program decides; SIGTERM and SIGHUP sent to kmview are passed on
 * to the program.
 */
final class Signals {

    private Signals() {
    }

    static void install(View view) {
        Signal.handle(new Signal("INT"), signal -> { });
        for (String name : new String[] {"TERM", "HUP"}) {
            Signal.handle(new Signal(name), signal -> view.signalProgram(signal.getNumber()));
        }
    }
}
