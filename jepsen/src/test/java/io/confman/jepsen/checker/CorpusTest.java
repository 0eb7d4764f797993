package io.confman.jepsen.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every history of the shared corpus (test resources {@code histories/}, verdicts computed
 * with Knossos and listed in {@code VERDICTS.tsv}) checked the way a person would, through
 * {@code confman jepsen check FILE} in a JVM of its own: exit 0 and {@code :valid? true}
 * for a valid one, exit 1 and {@code :valid? false} for an invalid one.
 */
class CorpusTest {

    private static final long TIMEOUT_PER_FILE_S = 120;

    @TestFactory
    Stream<DynamicTest> everyHistoryHasItsVerdict() throws IOException, URISyntaxException {
        Path dir = Path.of(CorpusTest.class.getResource("/histories/VERDICTS.tsv").toURI()).getParent();
        List<String> lines = Files.readAllLines(dir.resolve("VERDICTS.tsv"), StandardCharsets.UTF_8);
        assertTrue(lines.get(0).startsWith("file\tverdict"), lines.get(0));
        assertTrue(lines.size() > 30, "the corpus is there");
        return lines.stream().skip(1).filter(line -> !line.isBlank()).map(line -> {
            String[] fields = line.split("\t");
            Path file = dir.resolve(fields[0]);
            boolean valid = switch (fields[1]) {
                case "valid" -> true;
                case "invalid" -> false;
                default -> throw new IllegalArgumentException("verdict " + fields[1] + " in " + line);
            };
            return DynamicTest.dynamicTest(fields[0] + " " + fields[1] + " (" + fields[4] + ")",
                    () -> checkInChildJvm(file, valid));
        });
    }

    private static void checkInChildJvm(Path file, boolean valid) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.confman.jepsen.cli.JepsenCommand");
        command.add("check");
        command.add(file.toString());
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(TIMEOUT_PER_FILE_S, TimeUnit.SECONDS), file + " checked in time");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(valid ? 0 : 1, process.exitValue(), text);
        assertTrue(text.startsWith(valid ? ":valid? true\n" : ":valid? false\n"), text);
    }
}
