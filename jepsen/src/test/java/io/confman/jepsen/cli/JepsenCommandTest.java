package io.confman.jepsen.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.cli.UsageException;
import io.confman.jepsen.harness.JepsenRun;
import io.confman.jepsen.harness.Nemesis;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The flags of {@code confman jepsen}: parsed values, and every refusal with exit 2 before anything starts. */
class JepsenCommandTest {

    @Test
    void flagsBecomeTheRunsOptions() throws UsageException {
        JepsenRun.Options options = JepsenCommand.parse(new String[] {"--nodes", "5", "--time=90", "--nemesis",
            "kill,pause", "--seed", "42", "--out", "somewhere", "--knossos", "--workers-per-node", "2"});
        assertEquals(5, options.nodes());
        assertEquals(90, options.time().toSeconds());
        assertEquals(EnumSet.of(Nemesis.Kind.KILL, Nemesis.Kind.PAUSE), options.nemesis());
        assertEquals(42, options.seed());
        assertEquals(Path.of("somewhere"), options.out());
        assertTrue(options.knossos());
        assertEquals(2, options.workload().workersPerNode());
        assertEquals("proxy", options.network());
        assertEquals(Path.of("jepsen-runs/run-7"), JepsenCommand.parse(new String[] {"--seed", "7"}).out());
        assertTrue(JepsenCommand.parse(new String[] {"--nemesis", "none"}).nemesis().isEmpty());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--nodes 10 | --nodes must be in [1, 9]",
        "--nemesis flood | unknown nemesis 'flood'",
        "--network carrier-pigeon | unknown network 'carrier-pigeon'",
        "--bogus | unknown flag --bogus",
        "--time | --time needs a value",
        "stray | unexpected argument 'stray'",
        "--seed x | --seed must be a whole number"})
    void refusesWithExit2AndSaysWhy(String args, String expected) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = JepsenCommand.run(args.strip().split(" "), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, stderr);
        assertTrue(stderr.lines().findFirst().orElse("").contains(expected), stderr);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing started");
    }

    @Test
    void refusesToOverwriteARun(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("history.edn"), "");
        UsageException e = org.junit.jupiter.api.Assertions.assertThrows(UsageException.class,
                () -> JepsenCommand.parse(new String[] {"--out", dir.toString()}));
        assertTrue(e.getMessage().contains("already holds a run"), e.getMessage());
    }
}
