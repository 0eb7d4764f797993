package io.confman.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * The Java entry point behind {@code bin/confman} for the node and its tools:
 * {@code server}, {@code dev}, and the client commands {@code put}, {@code get},
 * {@code delete}, {@code list}, {@code status}, and {@code migrate}.
 *
 * <p>Exit status: 0 success, 1 a failure at run time (an HTTP error, a node that failed),
 * 2 a usage or configuration error, reported in one line on stderr.
 */
public final class Main {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILURE = 1;
    public static final int EXIT_USAGE = 2;

    static final String USAGE = "usage: confman server|dev|put|get|delete|list|status|migrate [ARGS...]";

    private Main() {
    }

    public static void main(String[] args) {
        // Before anything logs: the log manager must survive the JDK's own shutdown hook.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", LineLogManager.class.getName());
        }
        int status;
        try {
            status = run(args, System.in, System.out, System.err);
        } catch (Throwable unexpected) {
            // A bug or a broken installation (a class missing from the classpath): say what in
            // one line, as every other failure does, and end with the failure status.
            System.err.println("confman: " + UsageException.oneLine(String.valueOf(unexpected))
                    + (unexpected.getCause() == null ? "" : " caused by " + unexpected.getCause()));
            status = EXIT_FAILURE;
        }
        System.exit(status);
    }

    /** Runs one command and returns its exit status (tests call this for the commands that return). */
    static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        if (args.length == 0) {
            err.println(USAGE);
            return EXIT_USAGE;
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        return switch (args[0]) {
            case "server" -> ServerCommand.run(rest, out, err);
            case "dev" -> DevCommand.run(rest, out, err);
            case "put", "get", "delete", "list", "status" ->
                    ClientCommand.run(args[0], rest, System.getenv("CONFMAN_URL"), in, out, err);
            case "migrate" -> MigrateCommand.run(rest, System.getenv("CONFMAN_URL"), out, err);
            default -> {
                err.println("confman: unknown command '" + args[0] + "'; " + USAGE);
                yield EXIT_USAGE;
            }
        };
    }
}
