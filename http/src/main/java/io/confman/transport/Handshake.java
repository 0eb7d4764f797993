package io.confman.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The mutual challenge-response that opens every peer connection (TRANSPORT.md section 3).
 * Pure functions over bytes, so the handler stays small and tests can build handshakes by
 * hand. Each side proves it knows the secret with an HMAC-SHA256 over both fresh nonces,
 * both ids, the cluster identity and a label naming its own direction: the nonces make an
 * old proof useless on a new connection, and the label makes a proof useless when
 * reflected back at its author.
 */
final class Handshake {

    /** 2: HELLO carries the sender's client URL. */
    static final int PROTOCOL_VERSION = 2;
    static final int NONCE_BYTES = 32;
    static final int PROOF_BYTES = 32;
    /** Node ids on the wire are at most this many UTF-8 bytes. */
    static final int NODE_ID_BYTES_MAX = 255;
    /** The frame limit before authentication: a HELLO with the longest id fits with room. */
    static final int HANDSHAKE_FRAME_BYTES_MAX = 1024;
    static final String DIALER_LABEL = "confman-transport-v2 dialer";
    static final String ACCEPTOR_LABEL = "confman-transport-v2 acceptor";
    private static final String HMAC_ALGORITHM = "HmacSHA256";

    private Handshake() {
    }

    /**
     * What a HELLO frame carries. {@code clientUrl} is where the sender serves its client HTTP
     * API (empty when it does not say): the live view's page learns the other members from it
     * (LIVEVIEW.md). Both sides' URLs are inside the proofs, so a URL cannot be rewritten on
     * the way without the handshake failing.
     */
    record Hello(int protocolVersion, byte[] nonce, String nodeId, String cluster, String clientUrl) {
    }

    /** A client URL on the wire is at most this many UTF-8 bytes. */
    static final int CLIENT_URL_BYTES_MAX = 255;

    static byte[] newNonce(SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        return nonce;
    }

    static ByteBuf encodeHello(ByteBufAllocator allocator, Hello hello) {
        int bodyBytes = 2 + NONCE_BYTES + 2 + ByteBufUtil.utf8Bytes(hello.nodeId())
                + 2 + ByteBufUtil.utf8Bytes(hello.cluster()) + 2 + ByteBufUtil.utf8Bytes(hello.clientUrl());
        ByteBuf frame = Frame.begin(allocator, FrameType.HELLO, bodyBytes);
        frame.writeShort(hello.protocolVersion());
        frame.writeBytes(hello.nonce());
        MessageCodec.writeString(frame, hello.nodeId());
        MessageCodec.writeString(frame, hello.cluster());
        MessageCodec.writeString(frame, hello.clientUrl());
        return Frame.seal(frame);
    }

    static Hello decodeHello(ByteBuf body) {
        MessageCodec.BodyReader in = new MessageCodec.BodyReader(body);
        int version = in.unsignedShort();
        if (version != PROTOCOL_VERSION) {
            // Checked before the rest, whose layout depends on the version: a node of another
            // version is told apart from a malformed frame.
            throw new FrameException(CloseReason.AUTH_FAILED, "protocol version " + version + ", expected "
                    + PROTOCOL_VERSION);
        }
        byte[] nonce = in.bytes(NONCE_BYTES);
        String nodeId = in.string();
        String cluster = in.string();
        String clientUrl = in.string();
        in.requireEnd(FrameType.HELLO);
        return new Hello(version, nonce, nodeId, cluster, clientUrl);
    }

    static ByteBuf encodeProof(ByteBufAllocator allocator, byte[] proof) {
        ByteBuf frame = Frame.begin(allocator, FrameType.PROOF, PROOF_BYTES);
        frame.writeBytes(proof);
        return Frame.seal(frame);
    }

    static byte[] decodeProof(ByteBuf body) {
        if (body.readableBytes() != PROOF_BYTES) {
            throw new FrameException(CloseReason.MALFORMED, "PROOF body is " + PROOF_BYTES
                    + " bytes, was " + body.readableBytes());
        }
        byte[] proof = new byte[PROOF_BYTES];
        body.readBytes(proof);
        return proof;
    }

    /**
     * HMAC-SHA256 under {@code secret} of the label, the dialer's then the acceptor's nonce,
     * the dialer's then the acceptor's id, the cluster identity, and the dialer's then the
     * acceptor's client URL (so a peer's announced URL is as authentic as its id), every string prefixed
     * with its length so that no two different inputs share an encoding.
     */
    static byte[] proof(byte[] secret, String label, byte[] dialerNonce, byte[] acceptorNonce,
                        String dialerId, String acceptorId, String cluster, String dialerClientUrl,
                        String acceptorClientUrl) {
        ByteBuf input = Unpooled.buffer();
        try {
            MessageCodec.writeString(input, label);
            input.writeBytes(dialerNonce).writeBytes(acceptorNonce);
            MessageCodec.writeString(input, dialerId);
            MessageCodec.writeString(input, acceptorId);
            MessageCodec.writeString(input, cluster);
            MessageCodec.writeString(input, dialerClientUrl);
            MessageCodec.writeString(input, acceptorClientUrl);
            Mac mac = Mac.getInstance(HMAC_ALGORITHM);
            mac.init(new SecretKeySpec(secret, HMAC_ALGORITHM));
            mac.update(input.nioBuffer());
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK provides " + HMAC_ALGORITHM, e);
        } finally {
            input.release();
        }
    }

    /** Constant-time, so the time a check takes does not reveal how many bytes matched. */
    static boolean proofMatches(byte[] expected, byte[] actual) {
        return MessageDigest.isEqual(expected, actual);
    }

    static boolean idFitsOnWire(String nodeId) {
        return ByteBufUtil.utf8Bytes(nodeId) <= NODE_ID_BYTES_MAX;
    }
}
