package io.confman.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The launcher and the process tests give nodes the same collector settings, so that the
 * stress test measures the JVM configuration that ships (NODE.md, "JVM settings").
 */
class NodeJvmFlagsTest {

    @Test
    void theLauncherAndTheProcessTestsAgreeOnTheNodesCollectorSettings() throws IOException {
        Path launcher = Path.of("..", "bin", "confman");
        List<String> lines = Files.readAllLines(launcher).stream()
                .filter(line -> line.startsWith("node_gc_flags=")).toList();
        assertEquals(1, lines.size(), "one node_gc_flags line in " + launcher);
        String value = lines.get(0).substring("node_gc_flags=".length()).replace("\"", "");
        assertEquals(io.confman.cli.NodeJvm.GC_FLAGS, List.of(value.split(" ")));
    }
}
