package io.confman.jepsen.history;

/**
 * The operation a client asked of a compare-and-set register: read it, write a value, or
 * replace an expected value with a new one ({@code :f} in a Jepsen history).
 */
public enum OpFunction {
    READ("read"),
    WRITE("write"),
    CAS("cas");

    private final String keyword;

    OpFunction(String keyword) {
        this.keyword = keyword;
    }

    /** The keyword's name in the EDN history, without the colon. */
    public String keyword() {
        return keyword;
    }

    /** The function named {@code name} (without the colon), or null if there is none. */
    public static OpFunction ofKeyword(String name) {
        for (OpFunction f : values()) {
            if (f.keyword.equals(name)) {
                return f;
            }
        }
        return null;
    }
}
