package io.confman.transport;

import java.util.Map;

/**
 * A snapshot of the transport's counters, for the node to export as metrics. All counts
 * are totals since start except {@code linksUp}, which is the number of outbound links
 * authenticated right now.
 *
 * @param messagesSent      messages written to an authenticated connection
 * @param messagesReceived  messages decoded and handed to the inbound callback
 * @param messagesDropped   messages refused by a full outbound queue
 * @param authFailures      connections closed before both sides proved the secret
 * @param connectFailures   outbound connection attempts that did not connect
 * @param linksUp           outbound links authenticated now (peers times three lanes when healthy)
 * @param closes            connections closed on purpose, by reason
 */
public record TransportStats(long messagesSent, long messagesReceived, long messagesDropped,
                             long authFailures, long connectFailures, long linksUp,
                             Map<CloseReason, Long> closes) {

    /** All zeros: a transport not started yet. */
    public static final TransportStats EMPTY = new TransportStats(0, 0, 0, 0, 0, 0, Map.of());

    public TransportStats {
        closes = Map.copyOf(closes);
    }

    public long closes(CloseReason reason) {
        return closes.getOrDefault(reason, 0L);
    }
}
