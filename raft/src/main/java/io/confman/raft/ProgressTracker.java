package io.confman.raft;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A leader's {@link Progress} for every member, itself included (etcd's tracker/). */
final class ProgressTracker {

    private final String selfId;
    private final int quorum;
    private final Map<String, Progress> progress = new LinkedHashMap<>();

    ProgressTracker(String selfId, List<String> members, long nextIndex, RaftConfig config) {
        this.selfId = selfId;
        this.quorum = config.quorum();
        for (String member : members) {
            progress.put(member, new Progress(nextIndex, config.inflightMessagesMax(), config.inflightBytesMax()));
        }
    }

    Progress get(String member) {
        Progress pr = progress.get(member);
        if (pr == null) {
            throw new IllegalArgumentException("not a member: " + member);
        }
        return pr;
    }

    Progress self() {
        return get(selfId);
    }

    /**
     * The highest index held by a majority (thesis §3.6.2): the quorum-th largest matchIndex.
     * Whether that index may be committed is a separate question (Figure 8).
     */
    long quorumMatchIndex() {
        long[] matches = progress.values().stream().mapToLong(pr -> pr.matchIndex).toArray();
        Arrays.sort(matches);
        return matches[matches.length - quorum];
    }

    /** True if a majority, counting the leader, was heard from since the last reset. */
    boolean quorumActive() {
        long active = progress.entrySet().stream()
                .filter(e -> e.getKey().equals(selfId) || e.getValue().recentActive)
                .count();
        return active >= quorum;
    }

    void resetRecentActive() {
        progress.values().forEach(pr -> pr.recentActive = false);
    }

    Map<String, Status.PeerProgress> view() {
        Map<String, Status.PeerProgress> out = new LinkedHashMap<>();
        progress.forEach((id, pr) -> out.put(id, pr.view()));
        return out;
    }
}
