package io.confman.store.command;

/**
 * A command's bytes do not form a valid command. Nothing was applied: the decoder reads a
 * command completely before it returns one.
 */
public final class CommandDecodingException extends RuntimeException {
    private final int offset;

    public CommandDecodingException(String problem, int offset) {
        super(problem + " (at offset " + offset + ")");
        this.offset = offset;
    }

    /** Where in the command's bytes the problem was found. */
    public int offset() {
        return offset;
    }
}
