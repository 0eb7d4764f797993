package io.confman.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/** Waiting for a condition under {@link ProcessCluster#DEADLINE}, polling; never a fixed sleep. */
final class Await {

    private Await() {
    }

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + ProcessCluster.DEADLINE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + ProcessCluster.DEADLINE.toSeconds() + " s waiting for "
                        + what);
            }
            Thread.sleep(ProcessCluster.POLL_MS);
        }
    }

    static void fileContains(Path file, String fragment) throws InterruptedException {
        until("'" + fragment + "' in " + file, () -> {
            try {
                return Files.exists(file) && Files.readString(file).contains(fragment);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
