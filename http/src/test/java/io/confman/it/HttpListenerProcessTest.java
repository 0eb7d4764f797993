package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/** The client listener's address in use ends the server with status 2 and one line. */
@Tag("process")
class HttpListenerProcessTest {

    @TempDir(cleanup = CleanupMode.ON_SUCCESS) // A failed run keeps its node logs.
    Path root;

    @Test
    void anHttpAddressInUseIsRefused() throws Exception {
        try (ProcessCluster cluster = new ProcessCluster(root, 1, List.of());
             ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("127.0.0.1", cluster.node("n1").httpPort));
            ProcessCluster.Exited exited = cluster.runUntilExit("http-in-use", cluster.serverArgs("n1"));
            assertEquals(2, exited.status(), exited.stderr());
            assertEquals(1, exited.stderr().lines().count(), exited.stderr());
            assertTrue(exited.stderr().contains("cannot listen on 127.0.0.1:" + cluster.node("n1").httpPort),
                    exited.stderr());
        }
    }
}
