package io.confman.raft;

/** A message {@link RaftNode#step} refused without acting on it, with the reason. */
public record RejectedMessage(Message message, String reason) {
}
