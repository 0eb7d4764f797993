package io.confman.store;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An output stream that stops its writer once {@code gateBytes} have passed, until the test
 * opens the gate, so that a test can act while a snapshot is half written. It also records
 * the largest single write, to show that the writer streams.
 */
final class GatedOutputStream extends OutputStream {
    private static final long GATE_WAIT_SECONDS = 60;

    private final long gateBytes;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream();
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch opened = new CountDownLatch(1);
    private volatile int largestWriteBytes;

    GatedOutputStream(long gateBytes) {
        this.gateBytes = gateBytes;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] bytes, int offset, int length) {
        largestWriteBytes = Math.max(largestWriteBytes, length);
        received.write(bytes, offset, length);
        if (received.size() >= gateBytes && opened.getCount() > 0) {
            reached.countDown();
            await(opened);
        }
    }

    void awaitGate() {
        await(reached);
    }

    void openGate() {
        opened.countDown();
    }

    synchronized byte[] bytes() {
        return received.toByteArray();
    }

    int largestWriteBytes() {
        return largestWriteBytes;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(GATE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                throw new IllegalStateException("gate not reached or opened within " + GATE_WAIT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted at the gate", e);
        }
    }
}
