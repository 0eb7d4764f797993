package io.confman.cli;

import java.util.logging.LogManager;

/**
 * The process's {@link LogManager} for the commands that run a node: it ignores
 * {@link #reset()}. The JDK's LogManager resets itself from its own shutdown hook, which runs
 * alongside the server's, so without this the lines that say how the node stopped (logged
 * from the server's shutdown hook) would be lost. {@link LineLog} configures it once, at
 * start, with {@link #resetForConfiguration()}.
 *
 * <p>Installed by {@link Main} through the system property {@code java.util.logging.manager}
 * before anything logs; it must be public with a public no-argument constructor for that.
 */
public final class LineLogManager extends LogManager {

    public LineLogManager() {
    }

    /** Ignored: the handlers must outlive the JDK's shutdown hook. */
    @Override
    public void reset() {
    }

    void resetForConfiguration() {
        super.reset();
    }
}
