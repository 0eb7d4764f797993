package io.confman.jepsen.history;

/**
 * What an event of a history says about its operation, as Jepsen writes it: the client
 * started it ({@code :invoke}), it took effect ({@code :ok}), it certainly did not take
 * effect ({@code :fail}), or nobody knows ({@code :info}: it may take effect at any point
 * after its invocation, or never).
 */
public enum OpType {
    INVOKE("invoke"),
    OK("ok"),
    FAIL("fail"),
    INFO("info");

    private final String keyword;

    OpType(String keyword) {
        this.keyword = keyword;
    }

    /** The keyword's name in the EDN history, without the colon. */
    public String keyword() {
        return keyword;
    }

    /** The type named {@code name} (without the colon), or null if there is none. */
    public static OpType ofKeyword(String name) {
        for (OpType type : values()) {
            if (type.keyword.equals(name)) {
                return type;
            }
        }
        return null;
    }

    /** True for the three kinds of completion. */
    public boolean isCompletion() {
        return this != INVOKE;
    }
}
