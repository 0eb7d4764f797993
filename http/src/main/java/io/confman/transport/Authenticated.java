package io.confman.transport;

/**
 * The user event the handshake fires down the pipeline once both proofs have checked out;
 * from then on the connection carries messages from and to {@code peerId}.
 */
record Authenticated(String peerId) {
}
