package io.confman.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.confman.raft.ClusterIdentity;
import io.confman.raft.Message;
import io.confman.transport.NodeMessage.BlobChunk;
import io.confman.transport.NodeMessage.BlobFetch;
import io.confman.transport.NodeMessage.BlobOffer;
import io.confman.transport.NodeMessage.BlobStatus;
import io.confman.transport.NodeMessage.ForwardWrite;
import io.confman.transport.NodeMessage.ForwardWriteResponse;
import io.confman.transport.NodeMessage.Outcome;
import io.confman.transport.NodeMessage.ReadIndexRequest;
import io.confman.transport.NodeMessage.ReadIndexResponse;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which lane each message takes (TRANSPORT.md section 1): the bulk kinds apart, everything else on CONTROL. */
class LaneTest {

    private static final ClusterIdentity CLUSTER = ClusterIdentity.of(List.of("a", "b"));
    private static final byte[] DIGEST = new byte[NodeMessage.DIGEST_BYTES];

    @Test
    void blobChunksTakeTheBlobLaneAndEveryOtherNodeMessageTheControlLane() {
        assertEquals(Lane.BLOB, Lane.of(new BlobChunk(CLUSTER, "a", "b", 1, 1, DIGEST, 4, 0, new byte[4])));
        List<NodeMessage> control = List.of(
                new ForwardWrite(CLUSTER, "a", "b", 1, new byte[1]),
                new ForwardWriteResponse(CLUSTER, "b", "a", 1, 1, 1, Outcome.OK, 1, ""),
                new ReadIndexRequest(CLUSTER, "a", "b", 1, 1),
                new ReadIndexResponse(CLUSTER, "b", "a", 1, 1, Outcome.OK, 1, ""),
                new BlobOffer(CLUSTER, "a", "b", 1, 1, DIGEST, 4),
                new BlobStatus(CLUSTER, "b", "a", 1, 1, DIGEST, BlobStatus.State.NEXT, 0, ""),
                new BlobFetch(CLUSTER, "b", "a", 1, 1, DIGEST, 4));
        for (NodeMessage message : control) {
            assertEquals(Lane.CONTROL, Lane.of(message), message.getClass().getSimpleName());
        }
        // Every kind of node message is decided above, so a new one cannot slip by untested.
        Set<Class<?>> covered = new HashSet<>(Set.of(BlobChunk.class));
        control.forEach(message -> covered.add(message.getClass()));
        assertEquals(Set.of(NodeMessage.class.getPermittedSubclasses()), covered);
    }

    @Test
    void snapshotChunksTakeTheSnapshotLaneAndEveryOtherRaftMessageTheControlLane() {
        Random random = new Random(5);
        for (FrameType type : RandomMessages.MESSAGE_TYPES) {
            Message message = RandomMessages.of(type, random, CLUSTER, "a", "b");
            assertEquals(type == FrameType.INSTALL_SNAPSHOT ? Lane.SNAPSHOT : Lane.CONTROL, Lane.of(message),
                    type.name());
        }
    }
}
