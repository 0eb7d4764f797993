package io.confman.cli;

/**
 * A command line or configuration the process refuses to run with: the caller prints the
 * message as one line on stderr and exits with {@link Main#EXIT_USAGE}. The message is
 * kept on one line so that scripts and supervisors see the whole reason in one log record.
 */
public final class UsageException extends Exception {

    public UsageException(String message) {
        super(oneLine(message));
    }

    public UsageException(String message, Throwable cause) {
        super(oneLine(message), cause);
    }

    /** Folds line breaks into spaces: a wrapped message must still read as one line. */
    static String oneLine(String message) {
        return String.valueOf(message).replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
