package io.confman.storage.wal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.confman.storage.wal.WalTesting.await;
import static io.confman.storage.wal.WalTesting.record;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A large damaged frame whose payload is structured little-endian data, full of byte runs
 * that look like frame headers with a large payloadLength, is judged in one cheap pass
 * (FORMAT.md section 4, step 6), not with a CRC over megabytes at every offset.
 */
class LargeDamageTest {
    private static final long SEGMENT_BYTES = 8L << 20;
    private static final int PAYLOAD_BYTES = 7 << 20;

    @Test
    void largeDamagedLastFrameRecoversQuickly(@TempDir Path dir) throws IOException {
        WalOptions options = new WalOptions(SEGMENT_BYTES, 16, 64 * 1024);
        try (SegmentedLog log = SegmentedLog.open(dir, options)) {
            await(log.append(List.of(record(1, 1, "small"))));
            await(log.append(List.of(new LogRecord(2, 1, 1, lookalikeHeaders(PAYLOAD_BYTES)))));
        }
        Format.Frame large = WalTesting.frames(dir).get(1);
        WalTesting.flipBit(WalTesting.openSegment(dir), large.offset() + Format.FRAME_HEADER_BYTES + 5, 0);
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            try (SegmentedLog log = SegmentedLog.open(dir, options)) {
                assertEquals(new TailState.TornTail("open-1.seg", large.offset()), log.recoveredTail());
                assertEquals(1, log.lastIndex());
            }
        });
    }

    /**
     * 32-byte records: u32 1, u32 4 MiB, u64 term 5, u64 index 2^40, u64 0. At every record
     * start the bytes pass the type, flags, reserved and length checks of a frame header.
     */
    private static byte[] lookalikeHeaders(int bytes) {
        ByteBuffer payload = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        while (payload.remaining() >= 32) {
            payload.putInt(1).putInt(4 << 20).putLong(5).putLong(1L << 40).putLong(0);
        }
        return payload.array();
    }
}
