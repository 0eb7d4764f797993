package io.confman.jepsen.knossos;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads what {@code run.sh} printed and how it exited into a {@link KnossosOutcome}.
 *
 * <p>The exit status alone is not trusted with a verdict. The Clojure CLI exits 1 when the
 * program cannot even start (a JVM error, a namespace that fails to load), which is also the
 * status for "not linearizable"; and a pass must rest on Knossos having said {@code true} for
 * at least one file. So a verdict needs both the status and the matching verdict lines:
 * {@code FILE :valid? true|false|:unknown} or {@code FILE :error MESSAGE}.
 */
final class KnossosOutput {

    /** Every history is linearizable. */
    static final int EXIT_VALID = 0;
    /** Some history is not linearizable. */
    static final int EXIT_INVALID = 1;
    /** Some verdict is unknown or some file could not be checked, or a usage error. */
    static final int EXIT_INCONCLUSIVE = 2;
    /** run.sh found no Clojure CLI. */
    static final int EXIT_NO_CLOJURE_CLI = 3;
    /** The Clojure CLI could not resolve Knossos and its dependencies. */
    static final int EXIT_DEPENDENCIES_UNRESOLVED = 4;

    private static final Pattern VERDICT_LINE = Pattern.compile("^(.+) :valid\\? (true|false|:unknown)$");
    private static final Pattern ERROR_LINE = Pattern.compile("^(.+) :error (.*)$");
    /** How run.sh begins the lines it prints itself. */
    private static final String SCRIPT_PREFIX = "run.sh: ";
    /** Files named in a reason, beyond which it says only how many more there are. */
    private static final int REASON_FILES_MAX = 5;

    private KnossosOutput() {
    }

    /** The outcome of a run that exited with {@code exitStatus} after printing {@code output}. */
    static KnossosOutcome interpret(int exitStatus, String output) {
        List<KnossosFileVerdict> files = fileVerdicts(output);
        List<String> invalid = named(files, KnossosVerdict.INVALID);
        List<String> unknown = named(files, KnossosVerdict.UNKNOWN);
        return switch (exitStatus) {
            case EXIT_VALID -> !files.isEmpty() && invalid.isEmpty() && unknown.isEmpty()
                    ? new KnossosOutcome(KnossosVerdict.VALID,
                            "all " + files.size() + " histories are linearizable", files, output)
                    : unavailable("the checker exited 0 but did not report every history valid", files, output);
            case EXIT_INVALID -> !invalid.isEmpty()
                    ? new KnossosOutcome(KnossosVerdict.INVALID, invalid.size() + " of " + files.size()
                            + " histories are not linearizable: " + list(invalid), files, output)
                    : unavailable("the checker exited 1 without a verdict: " + lastLine(output), files, output);
            case EXIT_INCONCLUSIVE -> !unknown.isEmpty()
                    ? new KnossosOutcome(KnossosVerdict.UNKNOWN, unknown.size() + " of " + files.size()
                            + " histories could not be decided (time or memory ran out, or the file could not"
                            + " be read): " + list(unknown), files, output)
                    : unavailable("the checker gave no verdict: " + lastLine(output), files, output);
            case EXIT_NO_CLOJURE_CLI -> unavailable(scriptMessage(output)
                    .orElse("the Clojure CLI (tools.deps, the 'clojure' command) is not installed"), files, output);
            case EXIT_DEPENDENCIES_UNRESOLVED -> unavailable(
                    "the Clojure CLI could not resolve Knossos and its dependencies (is Clojars reachable?)"
                            + cliError(output).map(e -> ": " + e).orElse(""), files, output);
            default -> unavailable("run.sh exited with status " + exitStatus + ": " + lastLine(output),
                    files, output);
        };
    }

    /** The verdict lines in the output, in order; detail lines and launcher output are skipped. */
    static List<KnossosFileVerdict> fileVerdicts(String output) {
        List<KnossosFileVerdict> files = new ArrayList<>();
        for (String line : output.split("\r?\n")) {
            Matcher verdict = VERDICT_LINE.matcher(line);
            Matcher error = ERROR_LINE.matcher(line);
            if (verdict.matches()) {
                files.add(new KnossosFileVerdict(verdict.group(1), switch (verdict.group(2)) {
                    case "true" -> KnossosVerdict.VALID;
                    case "false" -> KnossosVerdict.INVALID;
                    default -> KnossosVerdict.UNKNOWN;
                }, ""));
            } else if (error.matches()) {
                files.add(new KnossosFileVerdict(error.group(1), KnossosVerdict.UNKNOWN, error.group(2)));
            }
        }
        return files;
    }

    static KnossosOutcome unavailable(String reason, List<KnossosFileVerdict> files, String output) {
        return new KnossosOutcome(KnossosVerdict.UNAVAILABLE, reason, files, output);
    }

    private static List<String> named(List<KnossosFileVerdict> files, KnossosVerdict verdict) {
        return files.stream().filter(f -> f.verdict() == verdict).map(KnossosFileVerdict::file).toList();
    }

    private static String list(List<String> files) {
        String shown = files.stream().limit(REASON_FILES_MAX).collect(Collectors.joining(", "));
        return files.size() > REASON_FILES_MAX ? shown + " and " + (files.size() - REASON_FILES_MAX) + " more" : shown;
    }

    /** run.sh's own message, which says what is missing in a person's words. */
    private static Optional<String> scriptMessage(String output) {
        return output.lines().filter(l -> l.startsWith(SCRIPT_PREFIX))
                .map(l -> l.substring(SCRIPT_PREFIX.length()).strip()).findFirst();
    }

    /** The Clojure CLI's first error line, such as "Error building classpath. Could not transfer ...". */
    private static Optional<String> cliError(String output) {
        return output.lines().filter(l -> !l.startsWith(SCRIPT_PREFIX))
                .filter(l -> l.contains("Error") || l.contains("Could not") || l.contains("error"))
                .map(String::strip).findFirst();
    }

    private static String lastLine(String output) {
        List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1).strip();
    }
}
