package io.confman.jepsen.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.jepsen.history.History;
import io.confman.jepsen.history.HistoryGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {

    private record Run(int status, String out, String err) {
    }

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = CheckCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    private static void assertOneLineError(Run run, String expected) {
        assertEquals(2, run.status());
        assertEquals("", run.out());
        assertEquals(1, run.err().lines().count(), run.err());
        assertTrue(run.err().contains(expected), run.err());
    }

    @Test
    void usageErrorsExitTwoWithOneLine(@TempDir Path dir) {
        assertOneLineError(run(), "which history file?");
        assertOneLineError(run("--bogus", "x.edn"), "unknown option --bogus");
        assertOneLineError(run("x.edn", "--time-limit-s", "soon"), "must be a number of seconds");
        assertOneLineError(run("x.edn", "--time-limit-s", "0"), "positive");
        assertOneLineError(run("x.edn", "--html"), "--html needs a value");
        assertOneLineError(run("a.edn", "b.edn"), "one history file at a time");
        assertOneLineError(run(dir.resolve("missing.edn").toString()), "no such file");
    }

    @Test
    void malformedFilesExitTwoNamingTheLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("bad.edn");
        Files.writeString(file, "{:type :invoke, :f :write, :value 1, :process 0}\n{:type :ok, :f :write");
        assertOneLineError(run(file.toString()), "line 2: the map begun on line 2 is not closed");
        Files.writeString(file, "{:type :ok, :f :write, :value 1, :process 0, :index 0}\n");
        assertOneLineError(run(file.toString()), "malformed history at :index 0");
    }

    @Test
    void aValidMultiKeyHistory(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("history.edn");
        History.write(HistoryGenerator.generate(1, HistoryGenerator.Config.of(3, 400)), file);
        Run run = run(file.toString(), "--html", dir.resolve("html").toString());
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().startsWith(":valid? true\n"), run.out());
        assertTrue(run.out().contains("; 1200 operations (2400 events) on 3 keys checked in "), run.out());
        assertFalse(Files.exists(dir.resolve("html")), "timelines only of failing keys");
    }

    @Test
    void anInvalidMultiKeyHistoryNamesItsKeysAndWritesTheirTimelines(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("history.edn");
        Files.writeString(file, """
                {:type :invoke, :f :write, :value ["k1" 1], :process 0, :time 1, :index 0}
                {:type :invoke, :f :write, :value ["k2" 1], :process 1, :time 2, :index 1}
                {:type :ok, :f :write, :value ["k1" 1], :process 0, :time 3, :index 2}
                {:type :ok, :f :write, :value ["k2" 1], :process 1, :time 4, :index 3}
                {:type :invoke, :f :read, :value ["k1" nil], :process 0, :time 5, :index 4}
                {:type :invoke, :f :read, :value ["k2" nil], :process 1, :time 6, :index 5}
                {:type :ok, :f :read, :value ["k1" 2], :process 0, :time 7, :index 6}
                {:type :ok, :f :read, :value ["k2" 1], :process 1, :time 8, :index 7}
                """);
        Run run = run(file.toString(), "--html", dir.resolve("html").toString());
        assertEquals(1, run.status(), run.out() + run.err());
        assertTrue(run.out().startsWith(":valid? false\n:failed-keys [\"k1\"]\n"), run.out());
        assertTrue(run.out().contains(":op {:process 0, :f :read, :value 2, :outcome :ok, :invoke-index 4,"
                + " :complete-index 6}"), run.out());
        assertTrue(run.out().contains(":possible-states [1]"), run.out());
        assertTrue(Files.exists(dir.resolve("html").resolve("key-k1.html")));
        assertFalse(Files.exists(dir.resolve("html").resolve("key-k2.html")));
    }

    @Test
    void aSingleRegisterHistoryGetsItsTimelineNextToIt(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("history.edn");
        Files.writeString(file, """
                {:type :invoke, :f :write, :value 1, :process 0, :time 1, :index 0}
                {:type :ok, :f :write, :value 1, :process 0, :time 3, :index 1}
                {:type :invoke, :f :read, :value nil, :process 0, :time 5, :index 2}
                {:type :ok, :f :read, :value 2, :process 0, :time 7, :index 3}
                """);
        Run run = run(file.toString());
        assertEquals(1, run.status());
        assertFalse(run.out().contains(":failed-keys"), run.out());
        assertFalse(run.out().contains(":key"), run.out());
        Path timeline = dir.resolve("history.edn.timeline").resolve("history.html");
        assertTrue(Files.size(timeline) > 0, "the failing register's timeline, by default next to the file");
        assertTrue(run.out().contains("; timeline: " + timeline), run.out());
    }
}
