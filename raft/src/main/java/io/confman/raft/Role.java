package io.confman.raft;

/** The roles of thesis §3.3, plus the pre-candidate of the pre-vote extension (§9.6). */
public enum Role {
    FOLLOWER,
    PRE_CANDIDATE,
    CANDIDATE,
    LEADER
}
