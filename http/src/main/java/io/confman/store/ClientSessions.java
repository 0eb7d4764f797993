package io.confman.store;

import io.confman.store.command.RequestId;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The client-session table of thesis §6.3, in the form LogCabin uses for clients with many
 * requests in flight: per client, the highest {@code firstOutstanding} it has sent, and the
 * result of every applied request at or above it, so that a retried write returns its first
 * result instead of applying twice (STORE.md, "Client sessions").
 *
 * <p>Eviction rule: when a new client would exceed {@code clientSessionsMax}, the session
 * applied least recently is forgotten. Within a session, when more than
 * {@link StoreLimits#RESULTS_PER_SESSION_MAX} results are held, the lowest is forgotten and
 * {@code firstOutstanding} moves past it, so that request becomes stale rather than new.
 * Apply order is the log order, so every replica forgets the same things at the same index.
 */
final class ClientSessions {

    /** One request's result, as a snapshot lists it. */
    record Result(long sequence, ApplyResult result) {
    }

    /** An immutable copy of one session, for a snapshot: results in sequence order. */
    record Session(long clientId, long firstOutstanding, List<Result> results) {
        Session {
            results = List.copyOf(results);
        }
    }

    private static final class Entry {
        long firstOutstanding;
        final TreeMap<Long, ApplyResult> results = new TreeMap<>();

        Entry(long firstOutstanding) {
            this.firstOutstanding = firstOutstanding;
        }
    }

    private final int clientSessionsMax;
    /** Invariant: size() <= clientSessionsMax. Iteration order: least recently applied first. */
    private final LinkedHashMap<Long, Entry> sessions = new LinkedHashMap<>();

    ClientSessions(int clientSessionsMax) {
        this.clientSessionsMax = clientSessionsMax;
    }

    /**
     * What applying {@code id} again would mean: its recorded result for a duplicate,
     * {@code StaleRequest} for a request below the session's first outstanding whose result
     * is forgotten, or null for a request that was never applied.
     */
    ApplyResult lookup(RequestId id) {
        Entry entry = sessions.get(id.clientId());
        if (entry == null) {
            return null;
        }
        ApplyResult recorded = entry.results.get(id.sequence());
        if (recorded != null) {
            return recorded;
        }
        if (id.sequence() < entry.firstOutstanding) {
            return new ApplyResult.StaleRequest(id.clientId(), id.sequence(), entry.firstOutstanding);
        }
        return null;
    }

    /**
     * Records the result of a request that {@link #lookup} found new, making its session the
     * most recently applied, and forgets the session's results below its first outstanding.
     */
    void record(RequestId id, ApplyResult result) {
        Entry entry = sessions.remove(id.clientId());
        if (entry == null) {
            entry = new Entry(id.firstOutstanding());
        }
        if (id.sequence() < entry.firstOutstanding || entry.results.containsKey(id.sequence())) {
            // The message is built only here: this runs for every write.
            throw new IllegalStateException("request " + id + " is not new to its session");
        }
        entry.firstOutstanding = Math.max(entry.firstOutstanding, id.firstOutstanding());
        entry.results.put(id.sequence(), result);
        entry.results.headMap(entry.firstOutstanding).clear();
        if (entry.results.size() > StoreLimits.RESULTS_PER_SESSION_MAX) {
            entry.firstOutstanding = entry.results.pollFirstEntry().getKey() + 1;
        }
        sessions.put(id.clientId(), entry);
        if (sessions.size() > clientSessionsMax) {
            Iterator<Entry> leastRecent = sessions.values().iterator();
            leastRecent.next();
            leastRecent.remove();
        }
        check(sessions.size() <= clientSessionsMax, "more sessions than clientSessionsMax");
    }

    /** Appends a session read from a snapshot, which lists them least recently applied first. */
    void restore(Session session) {
        check(!sessions.containsKey(session.clientId()), "client " + session.clientId() + " appears twice");
        check(sessions.size() < clientSessionsMax, "more sessions than clientSessionsMax");
        check(session.results().size() <= StoreLimits.RESULTS_PER_SESSION_MAX, "more results than RESULTS_PER_SESSION_MAX");
        Entry entry = new Entry(session.firstOutstanding());
        for (Result result : session.results()) {
            check(result.sequence() >= session.firstOutstanding(), "a result below the session's first outstanding");
            check(entry.results.put(result.sequence(), result.result()) == null, "a sequence appears twice");
        }
        sessions.put(session.clientId(), entry);
    }

    /**
     * A copy for a snapshot, least recently applied first. Costs one object per session and
     * one per held result: a few per node that sent writes, since results are forgotten
     * once their sender stops waiting for them.
     */
    List<Session> copy() {
        List<Session> copy = new ArrayList<>(sessions.size());
        for (Map.Entry<Long, Entry> session : sessions.entrySet()) {
            List<Result> results = new ArrayList<>(session.getValue().results.size());
            session.getValue().results.forEach((sequence, result) -> results.add(new Result(sequence, result)));
            copy.add(new Session(session.getKey(), session.getValue().firstOutstanding, results));
        }
        return copy;
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
