package io.confman.transport;

/**
 * The type byte of a frame (TRANSPORT.md section 2). Type 0 is invalid so that a run of
 * zero bytes, the commonest corruption, can never pass for a frame. Handshake types sit
 * below 16 and message types from 16 up, so a glance at a capture tells the phases apart.
 */
enum FrameType {
    HELLO(1),
    PROOF(2),
    PRE_VOTE(16),
    PRE_VOTE_RESPONSE(17),
    REQUEST_VOTE(18),
    REQUEST_VOTE_RESPONSE(19),
    APPEND_ENTRIES(20),
    APPEND_ENTRIES_RESPONSE(21),
    HEARTBEAT(22),
    HEARTBEAT_RESPONSE(23),
    INSTALL_SNAPSHOT(24),
    INSTALL_SNAPSHOT_RESPONSE(25),
    TIMEOUT_NOW(26),
    // Node messages (TRANSPORT.md sections 4.4 and 4.5): between node runtimes, never given to the core.
    FORWARD_WRITE(32),
    FORWARD_WRITE_RESPONSE(33),
    READ_INDEX(34),
    READ_INDEX_RESPONSE(35),
    BLOB_OFFER(36),
    BLOB_CHUNK(37),
    BLOB_STATUS(38),
    BLOB_FETCH(39);

    /** The first code of the node messages; Raft messages sit between 16 and it. */
    static final int NODE_MESSAGE_CODE_MIN = 32;

    private static final FrameType[] BY_CODE = new FrameType[256];

    static {
        for (FrameType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    final int code;

    FrameType(int code) {
        this.code = code;
    }

    /** The type for {@code code} (0..255), or null when no type has that code. */
    static FrameType ofCode(int code) {
        return BY_CODE[code];
    }

    boolean isHandshake() {
        return code < 16;
    }

    /** A message between node runtimes rather than a Raft RPC. */
    boolean isNodeMessage() {
        return code >= NODE_MESSAGE_CODE_MIN;
    }
}
