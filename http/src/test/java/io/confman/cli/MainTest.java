package io.confman.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Dispatch and the usage errors of {@code dev}: status 2, one line, nothing started. */
class MainTest {

    private static String[] run(int expectedStatus, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Main.run(args, new ByteArrayInputStream(new byte[0]), new PrintStream(out, true),
                new PrintStream(err, true));
        String stderr = err.toString(StandardCharsets.UTF_8);
        assertEquals(expectedStatus, status, stderr);
        return new String[] {out.toString(StandardCharsets.UTF_8), stderr};
    }

    @Test
    void noCommandOrAnUnknownOneIsAUsageError() {
        assertEquals(1, run(2)[1].lines().count());
        String stderr = run(2, "serve")[1];
        assertEquals(1, stderr.lines().count(), stderr);
        assertTrue(stderr.contains("unknown command 'serve'"), stderr);
    }

    @Test
    void migrateRefusesBadFlagsWithOneLine() throws Exception {
        java.nio.file.Path token = java.nio.file.Files.createTempFile("token", ".txt");
        java.nio.file.Files.writeString(token, "secret-token\n");
        try {
            for (List<String> args : List.of(List.of("migrate"), List.of("migrate", "--min-size", "10"),
                    List.of("migrate", "--admin-token-file", token.toString()),
                    List.of("migrate", "--admin-token-file", token.toString(), "--min-size", "0"),
                    List.of("migrate", "--admin-token-file", token.toString(), "--min-size", "10", "stray"),
                    List.of("migrate", "--admin-token-file", token.toString(), "--min-size", "10",
                            "--timeout-s", "99999999999999999"),
                    List.of("migrate", "--admin-token-file", "/nonexistent/token", "--min-size", "10"))) {
                String[] output = run(2, args.toArray(String[]::new));
                assertEquals("", output[0], "nothing printed on stdout for " + args);
                assertEquals(1, output[1].lines().count(), args + ": " + output[1]);
                assertTrue(output[1].startsWith("confman migrate: "), output[1]);
            }
        } finally {
            java.nio.file.Files.delete(token);
        }
    }

    @Test
    void devRefusesBadFlagsWithOneLine() {
        for (List<String> args : List.of(List.of("dev", "--nodes", "0"), List.of("dev", "--nodes", "x"),
                List.of("dev", "--nodes", "10"), List.of("dev", "--base-port", "70000"), List.of("dev", "--bogus"),
                List.of("dev", "stray"), List.of("dev", "--data"))) {
            String[] output = run(2, args.toArray(String[]::new));
            assertEquals("", output[0], "nothing started for " + args);
            assertEquals(1, output[1].lines().count(), args + ": " + output[1]);
        }
    }
}
