package io.confman.store;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * The client-session table of thesis §6.3: per client, the latest sequence number applied
 * and its result, so that a retried write returns the first result instead of applying
 * twice.
 *
 * <p>Eviction rule: when a new client would exceed {@code clientSessionsMax}, the session
 * applied least recently (lowest log index) is forgotten. Apply order is the log order,
 * so every replica forgets the same session at the same index.
 */
final class ClientSessions {

    record Session(long clientId, long sequence, ApplyResult result) {
    }

    private final int clientSessionsMax;
    /** Invariant: size() <= clientSessionsMax. Iteration order: least recently applied first. */
    private final LinkedHashMap<Long, Session> sessions = new LinkedHashMap<>();

    ClientSessions(int clientSessionsMax) {
        this.clientSessionsMax = clientSessionsMax;
    }

    Session get(long clientId) {
        return sessions.get(clientId);
    }

    /** Records the latest request applied for a client, making it the most recently applied. */
    void record(long clientId, long sequence, ApplyResult result) {
        Session previous = sessions.remove(clientId);
        if (previous != null && previous.sequence() >= sequence) {
            throw new IllegalStateException("client " + clientId + " sequence must grow: " + previous.sequence()
                    + " then " + sequence);
        }
        sessions.put(clientId, new Session(clientId, sequence, result));
        if (sessions.size() > clientSessionsMax) {
            Iterator<Session> leastRecent = sessions.values().iterator();
            leastRecent.next();
            leastRecent.remove();
        }
        check(sessions.size() <= clientSessionsMax, "more sessions than clientSessionsMax");
    }

    /** Appends a session read from a snapshot, which lists them least recently applied first. */
    void restore(Session session) {
        check(!sessions.containsKey(session.clientId()), "client " + session.clientId() + " appears twice");
        check(sessions.size() < clientSessionsMax, "more sessions than clientSessionsMax");
        sessions.put(session.clientId(), session);
    }

    /** A copy for a snapshot, least recently applied first; costs one reference per session. */
    List<Session> copy() {
        return new ArrayList<>(sessions.values());
    }

    int size() {
        return sessions.size();
    }

    int clientSessionsMax() {
        return clientSessionsMax;
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalStateException(message);
        }
    }
}
