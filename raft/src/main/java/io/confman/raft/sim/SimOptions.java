package io.confman.raft.sim;

import java.util.SplittableRandom;

/**
 * The fault regime of one seed. Each seed draws its own rates, so that some seeds run on a
 * calm network with many crashes, others on a lossy one that partitions often, and so on
 * (tigerbeetle's VOPR draws its options from the seed the same way). Rates are per mille per
 * tick unless the name says otherwise; durations are in ticks.
 *
 * @param nodeCount                 3 or 5
 * @param preVote                   the core's pre-vote option (thesis §9.6)
 * @param checkQuorum               the core's check-quorum option (thesis §6.2)
 * @param electionTimeoutTicks      the core's minimum election timeout
 * @param heartbeatIntervalTicks    the core's heartbeat interval
 * @param inflightMessagesMax       AppendEntries pipelined to one follower; 1 makes each entry
 *                                  wait a round trip, which widens the windows between entries
 * @param appendEntriesBytesMax     small, so that catching up takes several AppendEntries;
 *                                  1 sends one entry per AppendEntries
 * @param snapshotChunkBytesMax     small, so that InstallSnapshot takes several chunks
 * @param dropPerMille              chance that the network loses a message
 * @param duplicatePerMille         chance that it delivers a message twice
 * @param delayTicksMin             shortest one-way delay
 * @param delayTicksMax             longest one-way delay; different delays reorder messages
 * @param partitionPerMille         chance per tick that the links change (partition, asymmetric
 *                                  link, isolated node, or heal)
 * @param crashPerMille             chance per tick that one running node crashes
 * @param downTicksMax              longest a crashed node stays down
 * @param fsyncTicksMax             longest the simulated disk takes to make a Ready durable
 * @param snapshotPerMille          chance per tick and node that it snapshots and compacts
 * @param proposalPerMille          chance per tick that a client proposes a command
 * @param readPerMille              chance per tick that a client asks for a linearizable read
 * @param transferPerMille          chance per tick that the leader is asked to hand over
 */
public record SimOptions(
        int nodeCount,
        boolean preVote,
        boolean checkQuorum,
        int electionTimeoutTicks,
        int heartbeatIntervalTicks,
        int inflightMessagesMax,
        long appendEntriesBytesMax,
        int snapshotChunkBytesMax,
        int dropPerMille,
        int duplicatePerMille,
        int delayTicksMin,
        int delayTicksMax,
        int partitionPerMille,
        int crashPerMille,
        int downTicksMax,
        int fsyncTicksMax,
        int snapshotPerMille,
        int proposalPerMille,
        int readPerMille,
        int transferPerMille) {

    public SimOptions {
        if (nodeCount != 3 && nodeCount != 5) {
            throw new IllegalArgumentException("the simulator runs 3 or 5 nodes, not " + nodeCount);
        }
        if (delayTicksMin < 1 || delayTicksMax < delayTicksMin) {
            throw new IllegalArgumentException("need 1 <= delayTicksMin <= delayTicksMax: "
                    + delayTicksMin + ", " + delayTicksMax);
        }
    }

    /** Draws a regime from {@code random}; {@code nodeCount} 0 lets the seed choose 3 or 5. */
    public static SimOptions random(SplittableRandom random, int nodeCount) {
        // Drawn even when the caller fixes the count, so that `--nodes N` replays the same run.
        boolean five = random.nextBoolean();
        int nodes = nodeCount != 0 ? nodeCount : (five ? 5 : 3);
        int delayMin = 1 + random.nextInt(2);
        return new SimOptions(
                nodes,
                random.nextInt(4) != 0,
                random.nextInt(4) != 0,
                10,
                1 + random.nextInt(2),
                pick(random, 1, 1, 2, 16, 256),
                random.nextInt(3) == 0 ? 1 : 64L << random.nextInt(4),
                16 << random.nextInt(3),
                pick(random, 0, 0, 10, 50, 200),
                pick(random, 0, 0, 10, 50),
                delayMin,
                delayMin + random.nextInt(5),
                pick(random, 0, 2, 10, 30, 100),
                pick(random, 0, 2, 5, 15, 50),
                5 + random.nextInt(40),
                random.nextInt(4),
                pick(random, 0, 5, 30),
                pick(random, 50, 200, 500),
                pick(random, 0, 50, 200),
                pick(random, 0, 0, 2, 10));
    }

    private static int pick(SplittableRandom random, int... choices) {
        return choices[random.nextInt(choices.length)];
    }

    /** One line for the verbose trace and failure reports. */
    public String describe() {
        return "nodes=" + nodeCount + " preVote=" + preVote + " checkQuorum=" + checkQuorum
                + " drop=" + dropPerMille + "‰ dup=" + duplicatePerMille + "‰ delay=" + delayTicksMin
                + ".." + delayTicksMax + "t partition=" + partitionPerMille + "‰ crash=" + crashPerMille
                + "‰ down<=" + downTicksMax + "t fsync<=" + fsyncTicksMax + "t snapshot="
                + snapshotPerMille + "‰ propose=" + proposalPerMille + "‰ read=" + readPerMille
                + "‰ transfer=" + transferPerMille + "‰ inflight=" + inflightMessagesMax
                + " appendBytes=" + appendEntriesBytesMax
                + " chunkBytes=" + snapshotChunkBytesMax;
    }
}
