package io.confman.faults;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Signals to a process by id, for the faults that pause and resume one: Java itself sends
 * only SIGTERM and SIGKILL, so the others go through {@code kill -SIGNAL pid}. Used by the
 * dev controller and by the fault-injection suite.
 */
public final class Signals {

    private Signals() {
    }

    /** {@code kill -SIGNAL pid}, e.g. {@code STOP} or {@code CONT}; fails with kill's own words. */
    public static void send(long pid, String signal) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (kill.waitFor() != 0) {
            throw new IOException("kill -" + signal + " " + pid + " failed: " + output);
        }
    }
}
