package io.confman.jepsen.checker;

import io.confman.jepsen.history.Edn;
import io.confman.jepsen.history.History;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The check of a whole history: valid only if every key's history is (P-compositionality,
 * Horn &amp; Kroening 2015), invalid if any key's is not, unknown if none is invalid but the
 * search gave up on some.
 *
 * @param verdict the overall verdict
 * @param keys one result per key, in the order keys first appear in the history
 * @param operationCount operations (invocations) in the history
 * @param eventCount events (lines) in the history
 * @param elapsedNanos wall-clock time of the whole check
 */
public record CheckResult(Verdict verdict, List<KeyResult> keys, int operationCount, int eventCount,
                          long elapsedNanos) {

    /** The keys whose histories are not linearizable. */
    public List<KeyResult> failedKeys() {
        return keys.stream().filter(k -> k.verdict() == Verdict.FALSE).toList();
    }

    /** The keys on which the search gave up. */
    public List<KeyResult> unknownKeys() {
        return keys.stream().filter(k -> k.verdict() == Verdict.UNKNOWN).toList();
    }

    /** True if the history had {@code [key value]} values (every key is non-null). */
    public boolean multiKey() {
        return keys.stream().anyMatch(k -> k.key() != null);
    }

    /** {@code ; 100000 operations (200000 events) on 10 keys checked in 1.234 s}. */
    public String summary() {
        return String.format("; %d operations (%d events) on %d key%s checked in %.3f s", operationCount,
                eventCount, keys.size(), keys.size() == 1 ? "" : "s", elapsedNanos / 1e9);
    }

    /**
     * What {@code confman jepsen check} prints: {@code :valid?} and, when it is not true,
     * which keys and why, then the summary.
     */
    public List<String> report() {
        List<String> lines = new ArrayList<>();
        lines.add(":valid? " + verdict.edn());
        if (multiKey() && !failedKeys().isEmpty()) {
            lines.add(":failed-keys [" + String.join(" ", failedKeys().stream().map(k -> Edn.write(k.key())).toList())
                    + "]");
        }
        if (multiKey() && !unknownKeys().isEmpty()) {
            lines.add(":unknown-keys [" + String.join(" ",
                    unknownKeys().stream().map(k -> Edn.write(k.key())).toList()) + "]");
        }
        for (KeyResult key : failedKeys()) {
            lines.add("");
            lines.addAll(key.counterexample().lines());
        }
        for (KeyResult key : unknownKeys()) {
            String which = key.key() == null ? "" : "key " + Edn.write(key.key()) + ": ";
            lines.add(":why \"" + which + key.unknownReason() + "\"");
        }
        lines.add(summary());
        return lines;
    }

    /**
     * Writes the timeline ({@link HtmlTimeline}) of every key whose history is not
     * linearizable into {@code dir}, named as {@link History#fileNameOf} names the key's
     * history with {@code .html} ({@code history.html} for a single register).
     *
     * @return the files written
     */
    public List<Path> writeHtml(Path dir) throws IOException {
        Files.createDirectories(dir);
        List<Path> written = new ArrayList<>();
        for (KeyResult key : failedKeys()) {
            String name = key.key() == null ? "history.html"
                    : History.fileNameOf(key.key()).replaceAll("\\.edn$", ".html");
            Path file = dir.resolve(name);
            Files.writeString(file, HtmlTimeline.render(key), StandardCharsets.UTF_8);
            written.add(file);
        }
        return written;
    }
}
