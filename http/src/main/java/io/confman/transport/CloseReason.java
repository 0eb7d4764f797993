package io.confman.transport;

/**
 * Why the transport closed a connection on purpose. Each reason has its own counter in
 * {@link TransportStats}, so an operator can tell an attack (auth failures) from a bug
 * (malformed bodies) from a flaky network (truncated frames).
 */
public enum CloseReason {
    /** The frame's CRC32C did not match its type and body. */
    BAD_CRC,
    /** The type byte was 0 or named no frame type. */
    UNKNOWN_TYPE,
    /** The length field announced more than the frame limit of the connection's phase. */
    OVERSIZE,
    /** The connection ended in the middle of a frame. */
    TRUNCATED,
    /** The frame was intact but its body did not decode to a valid message. */
    MALFORMED,
    /** A valid frame arrived that the protocol does not allow at this point. */
    UNEXPECTED_FRAME,
    /** The peer did not prove the secret, or claimed an id or cluster it does not have. */
    AUTH_FAILED,
    /** The handshake did not finish within the configured time. */
    HANDSHAKE_TIMEOUT,
    /** A socket-level error (reset, broken pipe, ...). */
    IO_ERROR,
    /** A bug on this side, in the transport or the inbound callback; logged with its stack. */
    INTERNAL_ERROR
}
