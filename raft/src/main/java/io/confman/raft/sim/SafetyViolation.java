package io.confman.raft.sim;

/**
 * A property the simulator checks did not hold. It carries the property's name and the
 * evidence, so that the report says what broke without a debugger.
 */
public final class SafetyViolation extends RuntimeException {

    private final String property;

    public SafetyViolation(String property, String evidence) {
        super(property + ": " + evidence);
        this.property = property;
    }

    public String property() {
        return property;
    }
}
