package io.confman.transport;

/**
 * A violation of the wire protocol by the other side. It ends the connection; the handler
 * at the tail of the pipeline logs it once and counts it under its {@link CloseReason}.
 */
final class FrameException extends RuntimeException {

    final CloseReason reason;

    FrameException(CloseReason reason, String detail) {
        super(detail);
        this.reason = reason;
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
        // A peer can cause these at will; the reason and detail say everything, and skipping
        // the stack walk keeps a flood of bad connections cheap.
        return this;
    }
}
