package io.confman.jepsen.checker;

import io.confman.jepsen.history.History;
import io.confman.jepsen.history.MalformedHistoryException;
import io.confman.jepsen.history.Op;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code confman jepsen check FILE.edn [--time-limit-s S] [--html DIR]}: checks a history
 * file, of one register or of many ({@code [key value]} values, recognised by their shape),
 * and prints {@code :valid? true}, {@code :valid? false} with the counterexample of each
 * failing key, or {@code :valid? :unknown} with why, then a one-line summary. When a key
 * fails it also writes that key's timeline ({@link HtmlTimeline}) into {@code --html DIR},
 * by default {@code FILE.timeline/} next to the history; a valid history writes nothing.
 *
 * <p>Exit status: 0 linearizable, 1 not linearizable, 2 unknown, or a usage error or a
 * malformed file (one line on stderr).
 */
public final class CheckCommand {

    static final String USAGE = "usage: confman jepsen check FILE.edn [--time-limit-s S] [--html DIR]";

    private CheckCommand() {
    }

    /** Runs the command; returns its exit status (0 valid, 1 invalid, 2 unknown or a usage error). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Path file = null;
        Path htmlDir = null;
        Duration timeLimit = CheckOptions.DEFAULTS.timeLimit();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--time-limit-s") || arg.equals("--html")) {
                if (i + 1 == args.length) {
                    return usage(err, arg + " needs a value");
                }
                String value = args[++i];
                if (arg.equals("--html")) {
                    htmlDir = Path.of(value);
                    continue;
                }
                try {
                    double seconds = Double.parseDouble(value);
                    if (!(seconds > 0) || seconds > 1e9) {
                        return usage(err, "--time-limit-s must be a positive number of seconds, not " + value);
                    }
                    timeLimit = Duration.ofNanos((long) (seconds * 1e9));
                } catch (NumberFormatException e) {
                    return usage(err, "--time-limit-s must be a number of seconds, not " + value);
                }
            } else if (arg.equals("-h") || arg.equals("--help")) {
                out.println(USAGE);
                return 0;
            } else if (arg.startsWith("-")) {
                return usage(err, "unknown option " + arg);
            } else if (file != null) {
                return usage(err, "one history file at a time, not " + file + " and " + arg);
            } else {
                file = Path.of(arg);
            }
        }
        if (file == null) {
            return usage(err, "which history file?");
        }
        List<Op> history;
        try {
            history = History.read(file);
        } catch (NoSuchFileException e) {
            err.println("confman jepsen check: no such file: " + file);
            return 2;
        } catch (IOException e) {
            err.println("confman jepsen check: cannot read " + file + ": " + e.getMessage());
            return 2;
        } catch (MalformedHistoryException e) {
            err.println("confman jepsen check: " + file + ": " + e.getMessage());
            return 2;
        }
        CheckResult result = LinearizabilityChecker.check(history, CheckOptions.DEFAULTS.withTimeLimit(timeLimit));
        if (htmlDir == null) {
            htmlDir = file.resolveSibling(file.getFileName() + ".timeline");
        }
        result.report().forEach(out::println);
        if (htmlDir != null && !result.failedKeys().isEmpty()) {
            try {
                for (Path written : result.writeHtml(htmlDir)) {
                    out.println("; timeline: " + written);
                }
            } catch (IOException e) {
                err.println("confman jepsen check: cannot write the timeline into " + htmlDir + ": " + e.getMessage());
                return 2;
            }
        }
        out.flush();
        return switch (result.verdict()) {
            case TRUE -> 0;
            case FALSE -> 1;
            case UNKNOWN -> 2;
        };
    }

    private static int usage(PrintStream err, String problem) {
        err.println("confman jepsen check: " + problem + " (" + USAGE + ")");
        return 2;
    }

}
