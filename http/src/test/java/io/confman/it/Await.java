package io.confman.it;

import io.confman.testing.Conditions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waiting for a condition under {@link ProcessCluster#DEADLINE}, polling; never a fixed sleep. */
final class Await {

    private Await() {
    }

    static void until(String what, BooleanSupplier condition) throws InterruptedException {
        Conditions.await(what, ProcessCluster.DEADLINE, Duration.ofMillis(ProcessCluster.POLL_MS),
                () -> condition.getAsBoolean() ? Boolean.TRUE : null);
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
