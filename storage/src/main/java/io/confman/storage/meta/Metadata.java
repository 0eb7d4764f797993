package io.confman.storage.meta;

import java.nio.charset.StandardCharsets;

/**
 * What a Raft node must remember across restarts besides its log (Raft thesis, figure
 * 3.1): {@code currentTerm} and {@code votedFor}, plus the identity of the cluster and the
 * node the data belongs to, so that a node started on the wrong directory refuses to run.
 *
 * @param clusterId identity of the cluster, 1..1024 UTF-8 bytes
 * @param nodeId this node's id, 1..255 UTF-8 bytes
 * @param currentTerm latest term seen, >= 0
 * @param votedFor candidate voted for in {@code currentTerm}; empty means none
 */
public record Metadata(String clusterId, String nodeId, long currentTerm, String votedFor) {
    public static final int CLUSTER_ID_BYTES_MAX = 1024;
    public static final int NODE_ID_BYTES_MAX = 255;

    public Metadata {
        checkLength("clusterId", clusterId, 1, CLUSTER_ID_BYTES_MAX);
        checkLength("nodeId", nodeId, 1, NODE_ID_BYTES_MAX);
        checkLength("votedFor", votedFor, 0, NODE_ID_BYTES_MAX);
        if (currentTerm < 0) {
            throw new IllegalArgumentException("currentTerm must be >= 0, was " + currentTerm);
        }
    }

    /** A node that has never seen a term or voted. */
    public static Metadata initial(String clusterId, String nodeId) {
        return new Metadata(clusterId, nodeId, 0, "");
    }

    public boolean hasVoted() {
        return !votedFor.isEmpty();
    }

    /** The same node with a new term and vote. */
    public Metadata withTermAndVote(long term, String candidate) {
        return new Metadata(clusterId, nodeId, term, candidate);
    }

    private static void checkLength(String name, String value, int bytesMin, int bytesMax) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes < bytesMin || bytes > bytesMax) {
            throw new IllegalArgumentException(name + " must be " + bytesMin + ".." + bytesMax
                    + " UTF-8 bytes, was " + bytes);
        }
    }
}
