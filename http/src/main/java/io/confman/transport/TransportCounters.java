package io.confman.transport;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/** The live counters behind {@link TransportStats}; written from any thread. */
final class TransportCounters {

    final LongAdder messagesSent = new LongAdder();
    final LongAdder messagesReceived = new LongAdder();
    final LongAdder messagesDropped = new LongAdder();
    final LongAdder authFailures = new LongAdder();
    final LongAdder connectFailures = new LongAdder();
    final LongAdder linksUp = new LongAdder();
    private final Map<CloseReason, LongAdder> closes = new EnumMap<>(CloseReason.class);

    TransportCounters() {
        for (CloseReason reason : CloseReason.values()) {
            closes.put(reason, new LongAdder());
        }
    }

    void closed(CloseReason reason) {
        closes.get(reason).increment();
    }

    TransportStats snapshot() {
        Map<CloseReason, Long> closeCounts = new EnumMap<>(CloseReason.class);
        closes.forEach((reason, count) -> closeCounts.put(reason, count.sum()));
        return new TransportStats(messagesSent.sum(), messagesReceived.sum(),
                messagesDropped.sum(), authFailures.sum(), connectFailures.sum(), linksUp.sum(),
                closeCounts);
    }
}
