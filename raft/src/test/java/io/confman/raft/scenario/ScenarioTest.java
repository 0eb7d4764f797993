package io.confman.raft.scenario;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every script in src/test/resources/scenarios and compares each command's output with
 * the expectation checked in beside it. Run with {@code -Dscenarios.rewrite=true} to write the
 * actual output into the files instead (then read the diff before committing it).
 */
class ScenarioTest {

    private static final Path DIRECTORY = Path.of("src", "test", "resources", "scenarios");

    @TestFactory
    Stream<DynamicTest> scenarios() throws IOException {
        try (Stream<Path> files = Files.list(DIRECTORY)) {
            List<Path> scripts = files.filter(p -> p.toString().endsWith(".txt")).sorted().toList();
            return scripts.stream().map(p -> DynamicTest.dynamicTest(p.getFileName().toString(), () -> run(p)));
        }
    }

    private static void run(Path path) throws IOException {
        ScenarioFile file = ScenarioFile.parse(path);
        boolean rewrite = Boolean.getBoolean("scenarios.rewrite");
        ScenarioCluster cluster = new ScenarioCluster();
        List<String> actual = new ArrayList<>();
        for (ScenarioFile.Block block : file.blocks()) {
            if (!block.isCommand()) {
                continue;
            }
            String output = cluster.run(block.command());
            actual.add(output);
            if (!rewrite) {
                assertEquals(block.expected(), output, path.getFileName() + ":" + block.line() + ": " + block.command());
            }
        }
        if (rewrite) {
            Files.writeString(path, file.render(actual));
        }
    }
}
