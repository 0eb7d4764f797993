package io.confman.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/** What the tests that run outside programs (etcd, python3) ask of the machine. */
public final class Programs {

    private Programs() {
    }

    /** Whether an executable {@code program} is on the PATH. */
    public static boolean onPath(String program) {
        for (String entry : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (!entry.isEmpty() && Files.isExecutable(Path.of(entry, program))) {
                return true;
            }
        }
        return false;
    }
}
