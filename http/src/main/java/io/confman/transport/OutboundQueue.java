package io.confman.transport;

import io.confman.raft.Message;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The messages waiting for one peer's lane, bounded in count and in encoded bytes. Any number
 * of threads offer (the node loop, the blob layer's thread) and the link's event loop polls;
 * the bounds are reserved by compare-and-set before a message is added, so they hold under
 * concurrent offers, and each thread's messages keep the order it offered them in. A full
 * queue refuses the message: Raft tolerates the loss of any message (Raft paper §5.1 and
 * §5.5: RPCs are retried and idempotent), the node messages are retried by their senders,
 * while an unbounded queue behind a slow peer would eat the heap.
 */
final class OutboundQueue {

    /** A Raft {@link Message} or a {@link NodeMessage}, with its encoded size. */
    record Queued(Object message, long frameBytes) {
        Queued {
            if (!(message instanceof Message) && !(message instanceof NodeMessage)) {
                throw new IllegalArgumentException("not a message the transport encodes: " + message);
            }
        }
    }

    private final int messagesMax;
    private final long bytesMax;
    private final Queue<Queued> queue = new ConcurrentLinkedQueue<>();
    // Invariant: messages <= messagesMax and bytes <= bytesMax; reserved before adding.
    private final AtomicInteger messages = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();

    OutboundQueue(int messagesMax, long bytesMax) {
        this.messagesMax = messagesMax;
        this.bytesMax = bytesMax;
    }

    /** Adds the message unless either bound would be exceeded; true when added. */
    boolean offer(Object message, long frameBytes) {
        if (!reserve(frameBytes)) {
            return false;
        }
        queue.add(new Queued(message, frameBytes));
        return true;
    }

    private boolean reserve(long frameBytes) {
        // Each failed compare-and-set re-reads the counter: the link's event loop polls
        // concurrently, and a stale value would make the loop spin forever.
        int count;
        do {
            count = messages.get();
            if (count >= messagesMax) {
                return false;
            }
        } while (!messages.compareAndSet(count, count + 1));
        long size;
        do {
            size = bytes.get();
            if (size + frameBytes > bytesMax) {
                messages.decrementAndGet();
                return false;
            }
        } while (!bytes.compareAndSet(size, size + frameBytes));
        return true;
    }

    /** The oldest message, or null when empty. */
    Queued poll() {
        Queued next = queue.poll();
        if (next != null) {
            messages.decrementAndGet();
            bytes.addAndGet(-next.frameBytes());
        }
        return next;
    }

    boolean isEmpty() {
        return queue.isEmpty();
    }

    int messages() {
        return messages.get();
    }
}
