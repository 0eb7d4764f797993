package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code confman dev} as a real process: it starts one server process per node with its
 * log in DIR/<id>/node.log and its secrets in files only the owner reads, and SIGTERM stops
 * every one of them, leaving no process behind.
 */
class DevProcessTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path dir;

    @Test
    void startsEveryNodeAndSigtermLeavesNoProcessBehind() throws Exception {
        Path out = dir.resolve("dev.out");
        Process dev = ProcessCluster.startDev(out, "--nodes", "2", "--data", dir.toString());
        List<ProcessHandle> children = List.of();
        try {
            Await.fileContains(dir.resolve("n1").resolve("node.log"), "event=start");
            Await.fileContains(dir.resolve("n2").resolve("node.log"), "event=start");
            children = dev.descendants().toList();
            assertEquals(2, children.size(), "one process per node: " + children);
            String printed = Files.readString(out);
            assertTrue(printed.contains("n1  client http://127.0.0.1:"), printed);
            assertTrue(printed.contains("admin token file: " + dir.resolve("admin-token")), printed);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("cluster-secret"))));
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("admin-token"))));

            dev.destroy();
            assertTrue(dev.waitFor(ProcessCluster.DEADLINE.toSeconds(), TimeUnit.SECONDS), "dev stops on SIGTERM");
            for (ProcessHandle child : children) {
                assertFalse(child.isAlive(), "node process " + child.pid() + " left behind");
            }
            assertTrue(Files.readString(out).contains("stopped 2 node(s)"), Files.readString(out));
            assertTrue(Files.readString(dir.resolve("n1").resolve("node.log")).contains("event=stop"),
                    "each node got SIGTERM and closed itself");
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            dev.destroyForcibly();
            ProcessCluster.untrack(dev);
        }
    }

    @Test
    void killingDevWithSigkillStillStopsEveryNode() throws Exception {
        Process dev = ProcessCluster.startDev(dir.resolve("dev.out"), "--nodes", "1", "--data", dir.toString());
        List<ProcessHandle> children = List.of();
        try {
            Path log = dir.resolve("n1").resolve("node.log");
            Await.fileContains(log, "event=start");
            children = dev.descendants().toList();
            assertEquals(1, children.size(), "one process per node: " + children);
            dev.destroyForcibly().waitFor(); // No shutdown hook runs in dev.
            for (ProcessHandle child : children) {
                assertTrue(child.onExit().get(ProcessCluster.DEADLINE.toSeconds(), TimeUnit.SECONDS) != null);
            }
            assertTrue(Files.readString(log).contains("event=parent-gone"), Files.readString(log));
        } finally {
            children.forEach(ProcessHandle::destroyForcibly);
            ProcessCluster.untrack(dev);
        }
    }
}
