package io.confman.devctl;

/**
 * A control call that is refused: a status, a stable code and a message, answered as
 * {@code {"error":{"code":"...","message":"..."}}}.
 */
public final class ControlException extends Exception {

    private final int status;
    private final String code;

    ControlException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    /** 400: the action does not apply to the node's state, e.g. restarting a running node. */
    static ControlException notApplicable(String message) {
        return new ControlException(400, "not_applicable", message);
    }

    /** 404: no such member, no such action, no such path. */
    static ControlException notFound(String message) {
        return new ControlException(404, "not_found", message);
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }
}
