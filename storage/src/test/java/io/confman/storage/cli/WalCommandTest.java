package io.confman.storage.cli;

import io.confman.storage.wal.LogRecord;
import io.confman.storage.wal.SegmentedLog;
import io.confman.storage.wal.WalOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code confman wal dump}, run in-process. */
class WalCommandTest {
    private static final WalOptions OPTIONS = new WalOptions(8192, 16, 64 * 1024);

    private record Result(int exit, String out, String err) {
        List<String> lines() {
            return out.lines().toList();
        }
    }

    private static Result run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = WalCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Three records, each appended and awaited alone, so that each starts a write batch. */
    private static void writeLog(Path dir) throws Exception {
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS)) {
            for (LogRecord record : List.of(new LogRecord(1, 1, 1, "hello".getBytes(StandardCharsets.UTF_8)),
                    new LogRecord(2, 1, 2, new byte[] {0, 1, (byte) 0xff, 'k'}),
                    new LogRecord(3, 2, 1, "a payload longer than thirty-two bytes is cut short"
                            .getBytes(StandardCharsets.UTF_8)))) {
                log.append(List.of(record)).get(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void cleanLogPrintsEveryRecordThenTheTail(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Result result = run("dump", dir.toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals(List.of(
                "segment=open-1.seg offset=32 index=1 term=1 type=1 length=5 payload=\"hello\"",
                "segment=open-1.seg offset=72 index=2 term=1 type=2 length=4 payload=\"...k\"",
                "segment=open-1.seg offset=104 index=3 term=2 type=1 length=51"
                        + " payload=\"a payload longer than thirty-two\"...",
                "tail: clean"), result.lines());
        assertEquals("", result.err());
    }

    @Test
    void tornTailIsReportedButNotRepaired(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Path segment = dir.resolve("open-1.seg");
        byte[] bytes = Files.readAllBytes(segment);
        java.util.Arrays.fill(bytes, 104 + 40, bytes.length, (byte) 0);
        Files.write(segment, bytes);
        TreeMap<String, String> before = digests(dir);
        Result result = run("dump", dir.toString());
        assertEquals(0, result.exit());
        List<String> lines = result.lines();
        assertEquals(3, lines.size(), result.out());
        assertTrue(lines.get(2).startsWith("tail: torn tail truncated at segment open-1.seg offset 104"), lines.get(2));
        assertEquals(before, digests(dir), "dump must not modify the directory");
    }

    @Test
    void corruptionExitsOneWithOneLineOnStderr(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Path segment = dir.resolve("open-1.seg");
        byte[] bytes = Files.readAllBytes(segment);
        bytes[72 + 30] ^= 0x10;
        Files.write(segment, bytes);
        TreeMap<String, String> before = digests(dir);
        Result result = run("dump", dir.toString());
        assertEquals(1, result.exit());
        assertTrue(result.out().contains("tail: corrupt at segment open-1.seg offset 72"), result.out());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().contains("open-1.seg offset 72"), result.err());
        assertEquals(before, digests(dir));
    }

    @Test
    void usageErrorsAndNonLogsExitTwo(@TempDir Path dir) throws IOException {
        assertEquals(2, run().exit());
        assertEquals(2, run("dump").exit());
        assertEquals(2, run("list", dir.toString()).exit());
        Result missing = run("dump", dir.resolve("missing").toString());
        assertEquals(2, missing.exit());
        assertEquals(1, missing.err().lines().count());
        Result empty = run("dump", dir.toString());
        assertEquals(2, empty.exit());
        assertTrue(empty.err().contains("not a write-ahead log"), empty.err());
        Files.writeString(dir.resolve("notes.txt"), "not a segment");
        assertEquals(2, run("dump", dir.toString()).exit());
    }

    /** Twenty digits above Long.MAX_VALUE are not a segment's name: ignored, as any other file. */
    @Test
    void segmentNameAboveLongMaxIsIgnoredByDumpAndOpen(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Files.write(dir.resolve("99999999999999999999-99999999999999999999.seg"), new byte[64]);
        Result result = run("dump", dir.toString());
        assertEquals(0, result.exit(), result.err());
        assertEquals("tail: clean", result.lines().get(result.lines().size() - 1));
        try (SegmentedLog log = SegmentedLog.open(dir, OPTIONS)) {
            assertEquals(3, log.lastIndex());
        }
    }

    @Test
    void directoryWithOnlyPreparedSegmentsIsNotALog(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("prepared-3.seg"), new byte[8192]);
        Result result = run("dump", dir.toString());
        assertEquals(2, result.exit());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(result.err().contains("not a write-ahead log"), result.err());
    }

    /** An unexpected runtime error (here a segment that is a directory) is one line and exit 2. */
    @Test
    void unexpectedErrorIsOneLineAndExitTwo(@TempDir Path dir) throws Exception {
        writeLog(dir);
        Files.createDirectory(dir.resolve(String.format("%020d-%020d.seg", 4, 5)));
        Result result = run("dump", dir.toString());
        assertEquals(2, result.exit());
        assertEquals(1, result.err().lines().count(), result.err());
        assertTrue(!result.err().contains("\tat "), result.err());
    }

    private static TreeMap<String, String> digests(Path dir) throws IOException {
        TreeMap<String, String> digests = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                digests.put(file.getFileName().toString(), sha256(Files.readAllBytes(file)) + "/"
                        + Files.getLastModifiedTime(file));
            }
        }
        return digests;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException impossible) {
            throw new AssertionError(impossible);
        }
    }
}
