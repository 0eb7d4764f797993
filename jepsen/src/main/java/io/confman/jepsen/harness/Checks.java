package io.confman.jepsen.harness;

import io.confman.jepsen.checker.CheckOptions;
import io.confman.jepsen.checker.CheckResult;
import io.confman.jepsen.checker.LinearizabilityChecker;
import io.confman.jepsen.history.Edn;
import io.confman.jepsen.knossos.KnossosOutcome;
import io.confman.jepsen.knossos.KnossosRunner;
import io.confman.jepsen.knossos.KnossosVerdict;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The checks of a run's history: our checker on every key (and the HTML timeline of any
 * key that fails), then, when asked, Knossos on the per-key files through the Clojure CLI.
 */
final class Checks {

    /** The checker's limit for a whole run's history: past it the verdict is unknown, never a pass. */
    static final Duration TIME_LIMIT = Duration.ofMinutes(5);

    private Checks() {
    }

    static Reports.Verdicts run(RunReport report, Path dir, PrintStream out) throws IOException,
            InterruptedException {
        if (report.history().isEmpty()) {
            return new Reports.Verdicts("unknown", ":valid? :unknown (no history)", List.of(), List.of(), 0, null,
                    null);
        }
        CheckResult result = LinearizabilityChecker.check(report.history(), CheckOptions.DEFAULTS
                .withTimeLimit(TIME_LIMIT));
        List<String> invalid = result.failedKeys().stream().map(k -> Edn.write(k.key())).toList();
        List<String> unknown = result.unknownKeys().stream().map(k -> Edn.write(k.key())).toList();
        for (String line : result.report()) {
            out.println("check: " + line);
        }
        if (!result.failedKeys().isEmpty()) {
            for (Path file : result.writeHtml(dir.resolve("timeline"))) {
                out.println("check: timeline of a failing key: " + file);
            }
        }
        String valid = switch (result.verdict()) {
            case TRUE -> "true";
            case FALSE -> "false";
            case UNKNOWN -> "unknown";
        };
        String summary = String.format(Locale.ROOT, "linearizable %s: %d keys, %d operations checked in %.2f s%s",
                valid, result.keys().size(), result.operationCount(), result.elapsedNanos() / 1e9,
                invalid.isEmpty() ? "" : "; not linearizable: " + invalid);
        String knossos = null;
        String knossosDetail = null;
        if (report.options().knossos()) {
            KnossosOutcome outcome = knossos(report, dir);
            knossos = outcome.verdict().name().toLowerCase(Locale.ROOT);
            knossosDetail = outcome.reason() == null ? "" : outcome.reason();
            if (outcome.verdict() == KnossosVerdict.UNAVAILABLE) {
                out.println("check: Knossos could not run here: " + knossosDetail);
            }
        }
        return new Reports.Verdicts(valid, summary, invalid, unknown, result.elapsedNanos() / 1_000_000, knossos,
                knossosDetail);
    }

    private static KnossosOutcome knossos(RunReport report, Path dir) throws InterruptedException {
        Path root = report.options().projectRoot();
        if (root == null) {
            return new KnossosOutcome(KnossosVerdict.UNAVAILABLE,
                    "the project root is not known (run through bin/confman)", List.of(), "");
        }
        return new KnossosRunner(root).check(List.of(dir.resolve("history")), Duration.ofSeconds(60),
                Duration.ofMinutes(30));
    }
}
