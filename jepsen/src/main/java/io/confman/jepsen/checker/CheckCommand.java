package io.confman.jepsen.checker;

import java.io.PrintStream;

/** {@code confman jepsen check FILE.edn}. */
public final class CheckCommand {

    private CheckCommand() {
    }

    /** Runs the command; returns its exit status (0 valid, 1 invalid, 2 unknown or a usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        err.println("confman jepsen check: not built yet");
        return 2;
    }
}
