package io.confman.storage.blob;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chronicle in a fresh JVM, as a node starts it: nothing on stdout or stderr (no banner, no
 * SLF4J warning, no INFO lines), and without the JVM flags a failure that names them.
 */
class BlobChronicleQuietTest {

    private static final int EXIT_MISSING_FLAGS = 3;

    @TempDir
    Path dir;

    /** What the child JVM runs: uploads across windows, reads, verifies, deletes. */
    public static final class Child {
        public static void main(String[] args) throws IOException {
            BlobStore store;
            try {
                store = BlobStore.open(Path.of(args[0]), BlobTesting.WINDOW_BYTES,
                        io.confman.storage.wal.StorageIo.fileSystem());
            } catch (IllegalStateException missingFlags) {
                System.err.println(missingFlags.getMessage());
                System.exit(EXIT_MISSING_FLAGS);
                return;
            }
            try (store) {
                byte[] bytes = BlobTesting.randomBytes(1, 3 * BlobTesting.WINDOW_BYTES + 1);
                BlobDigest digest = BlobTesting.upload(store, bytes, 10_000);
                if (!Arrays.equals(bytes, BlobTesting.readAll(store, digest, 10_000)) || !store.verify(digest)
                        || !store.delete(digest)) {
                    throw new AssertionError("the round trip failed");
                }
            }
        }
    }

    @Test
    void aJvmUsingTheStorePrintsNothing() throws Exception {
        Result result = runChild(true);
        assertEquals("", result.output);
        assertEquals(0, result.exitCode);
    }

    @Test
    void withoutTheJvmFlagsTheStoreRefusesToOpenAndNamesThem() throws Exception {
        Result result = runChild(false);
        assertEquals(EXIT_MISSING_FLAGS, result.exitCode, result.output);
        assertTrue(result.output.contains("missing: " + ChronicleRuntime.JVM_FLAGS), result.output);
    }

    private record Result(int exitCode, String output) {
    }

    private Result runChild(boolean withFlags) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx64m");
        if (withFlags) {
            command.addAll(List.of(ChronicleRuntime.JVM_FLAGS.split(" ")));
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the child JVM did not exit");
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
