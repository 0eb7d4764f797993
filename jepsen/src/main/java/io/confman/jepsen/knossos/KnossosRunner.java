package io.confman.jepsen.knossos;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Knossos, Jepsen's own linearizability checker, on histories the harness wrote, for
 * {@code confman jepsen --knossos}: a second opinion from an independent implementation.
 *
 * <p>Knossos is a Clojure library, so it runs in its own process through
 * {@code jepsen/knossos/run.sh} and the Clojure CLI, which fetches it from Clojars. Nothing
 * of it is on the Maven build's classpath: a machine without the CLI, or without a route to
 * Clojars, still builds and tests Confman, and the run reports
 * {@link KnossosVerdict#UNAVAILABLE} with the reason instead of a verdict.
 *
 * <p>Each history file holds one register's history; Knossos does not split a history by
 * key, so the harness writes one file a key, as Jepsen's {@code independent} checker does.
 * The run has a wall-clock bound on top of Knossos's own per-file time limit, because a JVM
 * that stops making progress (a full heap, a stuck dependency download) answers nothing;
 * past the bound the process and its children are killed and the verdict is
 * {@link KnossosVerdict#UNKNOWN}.
 */
public final class KnossosRunner {

    /** The launcher, relative to the project root. */
    public static final Path SCRIPT = Path.of("jepsen", "knossos", "run.sh");
    /** Output kept for the report; Knossos's counterexamples are clipped well below this. */
    static final int OUTPUT_BYTES_MAX = 4 * 1024 * 1024;
    /** How long a killed process is given to go before the runner stops waiting for it. */
    private static final long KILL_WAIT_MS = 5_000;

    private final Path script;
    private final Map<String, String> environment;

    /** A runner for the project at {@code projectRoot}, with this process's environment. */
    public KnossosRunner(Path projectRoot) {
        this(projectRoot, Map.of());
    }

    /**
     * A runner whose process has this process's environment with {@code environment} laid
     * over it, for example a PATH that names where the Clojure CLI is installed.
     */
    public KnossosRunner(Path projectRoot, Map<String, String> environment) {
        this.script = projectRoot.toAbsolutePath().resolve(SCRIPT);
        this.environment = Map.copyOf(environment);
    }

    /**
     * Checks each history file, and each {@code .edn} file directly in each directory, giving
     * Knossos up to {@code timeLimitPerFile} for each (rounded up to whole seconds) and the
     * whole run up to {@code wallClockTimeout}, which should cover the files' limits and a
     * JVM start.
     */
    public KnossosOutcome check(List<Path> historiesOrDirectories, Duration timeLimitPerFile,
            Duration wallClockTimeout) throws InterruptedException {
        if (historiesOrDirectories.isEmpty()) {
            throw new IllegalArgumentException("no history file or directory to check");
        }
        if (timeLimitPerFile.isNegative() || timeLimitPerFile.isZero()) {
            throw new IllegalArgumentException("timeLimitPerFile must be positive, was " + timeLimitPerFile);
        }
        if (wallClockTimeout.isNegative() || wallClockTimeout.isZero()) {
            throw new IllegalArgumentException("wallClockTimeout must be positive, was " + wallClockTimeout);
        }
        if (!Files.isRegularFile(script)) {
            return KnossosOutput.unavailable("the Knossos launcher is missing: " + script, List.of(), "");
        }
        Path outputFile;
        try {
            outputFile = Files.createTempFile("knossos-", ".out");
        } catch (IOException e) {
            return KnossosOutput.unavailable("cannot make a file for the checker's output: " + e, List.of(), "");
        }
        try {
            return run(command(historiesOrDirectories, timeLimitPerFile), outputFile, wallClockTimeout);
        } finally {
            try {
                Files.deleteIfExists(outputFile);
            } catch (IOException e) {
                // A leftover temporary file does not change the verdict; say so and go on.
                System.getLogger(KnossosRunner.class.getName())
                        .log(System.Logger.Level.WARNING, "cannot delete " + outputFile + ": " + e);
            }
        }
    }

    private List<String> command(List<Path> paths, Duration timeLimitPerFile) {
        long seconds = Math.max(1, (timeLimitPerFile.toMillis() + 999) / 1000);
        List<String> command = new ArrayList<>();
        // Through /bin/sh rather than the file's own mode, so that a checkout that lost the
        // executable bit still runs it.
        command.add("/bin/sh");
        command.add(script.toString());
        command.add("--time-limit");
        command.add(Long.toString(seconds));
        for (Path path : paths) {
            command.add(path.toAbsolutePath().toString());
        }
        return command;
    }

    private KnossosOutcome run(List<String> command, Path outputFile, Duration wallClockTimeout)
            throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(script.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(outputFile.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
        builder.environment().putAll(environment);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            return KnossosOutput.unavailable("cannot start " + script + ": " + e.getMessage(), List.of(), "");
        }
        boolean exited;
        try {
            exited = process.waitFor(wallClockTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(process);
            throw e;
        }
        if (!exited) {
            kill(process);
            String output = read(outputFile);
            return new KnossosOutcome(KnossosVerdict.UNKNOWN, "no verdict within the wall-clock timeout of "
                    + wallClockTimeout.toSeconds() + " s; the checker was killed",
                    KnossosOutput.fileVerdicts(output), output);
        }
        return KnossosOutput.interpret(process.exitValue(), read(outputFile));
    }

    /** Kills the launcher and what it started: the CLI and Knossos's JVM. */
    private static void kill(Process process) throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS);
    }

    private static String read(Path outputFile) {
        try (InputStream in = Files.newInputStream(outputFile)) {
            byte[] bytes = in.readNBytes(OUTPUT_BYTES_MAX);
            String text = new String(bytes, StandardCharsets.UTF_8);
            return in.read() < 0 ? text : text + "\n[output cut at " + OUTPUT_BYTES_MAX + " bytes]\n";
        } catch (IOException e) {
            return "[cannot read the checker's output: " + e.getMessage() + "]\n";
        }
    }
}
