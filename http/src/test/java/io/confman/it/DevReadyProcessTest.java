package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code confman dev} with the HTTP front: it waits until every node answers {@code /readyz},
 * prints the leader, and SIGTERM still leaves no process behind.
 */
@Tag("process")
class DevReadyProcessTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path dir;

    @Test
    void waitsForEveryNodeAndPrintsTheLeader() throws Exception {
        Path out = dir.resolve("dev.out");
        Process dev = ProcessCluster.startDev(out, "--data", dir.toString());
        List<ProcessHandle> children = List.of();
        try {
            Await.fileContains(out, "ready; leader n");
            children = dev.descendants().toList();
            dev.destroy();
            assertTrue(dev.waitFor(ProcessCluster.DEADLINE.toSeconds(), TimeUnit.SECONDS), "dev stops on SIGTERM");
            for (ProcessHandle child : children) {
                assertFalse(child.isAlive(), "node process " + child.pid() + " left behind");
            }
            assertTrue(Files.readString(out).contains("stopped 3 node(s)"), Files.readString(out));
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            dev.destroyForcibly();
            ProcessCluster.untrack(dev);
        }
    }
}
