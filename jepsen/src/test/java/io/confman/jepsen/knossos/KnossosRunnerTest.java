package io.confman.jepsen.knossos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real {@code run.sh}, started by the runner under a PATH the test controls. Where the
 * PATH holds a {@code clojure}, it is a stand-in shell script that answers as the Clojure CLI
 * would: {@code --version}, then {@code -P} (resolve dependencies), then {@code -M:check},
 * printing a chosen output and exiting with a chosen status. That exercises the launcher and
 * the runner for real, on a machine without Clojure or a route to Clojars.
 */
class KnossosRunnerTest {

    private static final Duration TIME_LIMIT = Duration.ofSeconds(7);
    private static final Duration WALL_CLOCK = Duration.ofSeconds(60);

    @TempDir
    Path dir;
    private Path bin;
    private Path history;

    @BeforeEach
    void makeDirectories() throws IOException {
        bin = Files.createDirectory(dir.resolve("bin"));
        history = Files.writeString(dir.resolve("k1.edn"),
                "{:type :invoke, :f :write, :value 1, :process 0, :time 1, :index 0}\n");
    }

    @Test
    void withoutAClojureCommandTheCheckIsUnavailableAndSaysTheClojureCliIsMissing() throws Exception {
        // bin is empty: no clojure, and nothing else either, as run.sh needs only built-ins.
        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNAVAILABLE, outcome.verdict(), outcome.output());
        assertTrue(outcome.reason().contains("Clojure CLI is not installed"), outcome.reason());
        assertTrue(outcome.output().contains("https://clojure.org/guides/install_clojure"), outcome.output());
        assertFalse(outcome.passed());
    }

    @Test
    void aClojureCommandThatIsNotTheCliIsUnavailable() throws Exception {
        writeClojure("""
                echo 'Clojure 1.11.1'
                exit 0
                """);

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNAVAILABLE, outcome.verdict(), outcome.output());
        assertTrue(outcome.reason().contains("is not the Clojure CLI"), outcome.reason());
    }

    @Test
    void unresolvedDependenciesAreUnavailableAndNameClojars() throws Exception {
        fakeCli(0, 1, "");

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNAVAILABLE, outcome.verdict(), outcome.output());
        assertTrue(outcome.reason().contains("Clojars"), outcome.reason());
        assertTrue(outcome.reason().contains("Error building classpath"), outcome.reason());
    }

    @Test
    void allValidIsValidAndTheRunnerPassesTheTimeLimitAndAbsolutePaths() throws Exception {
        Path keys = Files.createDirectory(dir.resolve("keys"));
        fakeCli(0, 0, keys + "/k1.edn :valid? true\n" + keys + "/k2.edn :valid? true\n");

        KnossosOutcome outcome = runner().check(List.of(keys), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.VALID, outcome.verdict(), outcome.output());
        assertTrue(outcome.passed());
        assertEquals(List.of(new KnossosFileVerdict(keys + "/k1.edn", KnossosVerdict.VALID, ""),
                new KnossosFileVerdict(keys + "/k2.edn", KnossosVerdict.VALID, "")), outcome.files());
        assertEquals(List.of("--time-limit", "7", keys.toString()), Files.readAllLines(dir.resolve("args")));
    }

    @Test
    void anInvalidHistoryIsInvalidAndKeepsTheCounterexample() throws Exception {
        fakeCli(1, 0, """
                a.edn :valid? true
                b.edn :valid? false
                  op:          {:process 1, :type :ok, :f :read, :value 3, :index 9}
                  why:         can't read 3 from register 4
                c.edn :valid? :unknown
                """);

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.INVALID, outcome.verdict(), outcome.output());
        assertEquals("1 of 3 histories are not linearizable: b.edn", outcome.reason());
        assertTrue(outcome.output().contains("can't read 3 from register 4"), outcome.output());
    }

    @Test
    void anUnknownVerdictIsInconclusiveNeverAPass() throws Exception {
        fakeCli(2, 0, """
                a.edn :valid? true
                b.edn :valid? :unknown
                  cause:       :timeout
                c.edn :error RuntimeException: EOF while reading
                """);

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNKNOWN, outcome.verdict(), outcome.output());
        assertFalse(outcome.passed());
        assertTrue(outcome.reason().startsWith("2 of 3 histories could not be decided"), outcome.reason());
        assertEquals(new KnossosFileVerdict("c.edn", KnossosVerdict.UNKNOWN, "RuntimeException: EOF while reading"),
                outcome.files().get(2));
    }

    @Test
    void aStatusOfOneWithoutAFalseVerdictIsNotTakenForInvalid() throws Exception {
        // The CLI exits 1 when the program cannot start at all.
        fakeCli(1, 0, "Exception in thread \"main\" java.io.FileNotFoundException: Could not locate"
                + " confman/knossos_check__init.class\n");

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNAVAILABLE, outcome.verdict(), outcome.output());
        assertTrue(outcome.reason().contains("without a verdict"), outcome.reason());
    }

    @Test
    void aStatusOfZeroWithoutVerdictLinesIsNotAPass() throws Exception {
        fakeCli(0, 0, "");

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertFalse(outcome.passed(), outcome.reason());
    }

    @Test
    void aRunPastTheWallClockTimeoutIsKilledAndUnknown() throws Exception {
        writeClojure("""
                case "$1" in
                    --version) echo 'Clojure CLI version 1.11.1.1435' ;;
                    -P) exit 0 ;;
                    *) echo 'a.edn :valid? true'; exec /bin/sleep 60 ;;
                esac
                """);
        long startNanos = System.nanoTime();

        KnossosOutcome outcome = runner().check(List.of(history), TIME_LIMIT, Duration.ofSeconds(2));

        assertEquals(KnossosVerdict.UNKNOWN, outcome.verdict(), outcome.output());
        assertTrue(outcome.reason().contains("wall-clock timeout"), outcome.reason());
        assertTrue(Duration.ofNanos(System.nanoTime() - startNanos).toSeconds() < 30, "the checker was not killed");
    }

    @Test
    void aMissingLauncherIsUnavailable() throws Exception {
        KnossosOutcome outcome = new KnossosRunner(dir).check(List.of(history), TIME_LIMIT, WALL_CLOCK);

        assertEquals(KnossosVerdict.UNAVAILABLE, outcome.verdict());
        assertTrue(outcome.reason().contains("launcher is missing"), outcome.reason());
    }

    private KnossosRunner runner() {
        return new KnossosRunner(projectRoot(), Map.of("PATH", bin.toString()));
    }

    /**
     * A stand-in CLI: {@code -P} exits {@code prepareStatus} (printing the CLI's error when it
     * fails); {@code -M:check} records its arguments, prints {@code output} and exits
     * {@code checkStatus}. Only shell built-ins, since the PATH holds nothing else.
     */
    private void fakeCli(int checkStatus, int prepareStatus, String output) throws IOException {
        String printed = output.lines().map(KnossosRunnerTest::quoted).collect(Collectors.joining(" "));
        writeClojure("""
                case "$1" in
                    --version) echo 'Clojure CLI version 1.11.1.1435' ;;
                    -P) [ %2$d -eq 0 ] || echo 'Error building classpath. Could not transfer artifact knossos:knossos:jar:0.3.8' >&2
                        exit %2$d ;;
                    -M:check) shift; printf '%%s\\n' "$@" > '%3$s'
                        %4$s
                        exit %1$d ;;
                esac
                exit 99
                """.formatted(checkStatus, prepareStatus, dir.resolve("args"),
                printed.isEmpty() ? ":" : "printf '%s\\n' " + printed));
    }

    private void writeClojure(String body) throws IOException {
        Path clojure = bin.resolve("clojure");
        Files.writeString(clojure, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(clojure, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private static String quoted(String line) {
        return "'" + line.replace("'", "'\\''") + "'";
    }

    /** The checkout's root: the nearest directory upward that holds the launcher. */
    static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve(KnossosRunner.SCRIPT))) {
                return p;
            }
        }
        throw new IllegalStateException("no " + KnossosRunner.SCRIPT + " above " + Path.of("").toAbsolutePath());
    }
}
