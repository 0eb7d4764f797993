package io.confman.storage.wal;

import java.util.Arrays;

/**
 * One log entry as the log stores it: Raft's index and term, an entry type the caller
 * defines (1..255; 0 is reserved so that zero bytes never look like a frame), and opaque
 * payload bytes.
 *
 * <p>The payload array is not copied, to keep 1 KiB appends cheap; callers must not
 * modify it after handing it to the log.
 */
public record LogRecord(long index, long term, int type, byte[] payload) {
    public LogRecord {
        if (index < 1) {
            throw new IllegalArgumentException("index must be >= 1, was " + index);
        }
        if (term < 1) {
            throw new IllegalArgumentException("term must be >= 1, was " + term);
        }
        if (type <= Format.TYPE_INVALID || type > Format.TYPE_MAX) {
            throw new IllegalArgumentException("type must be in 1..255, was " + type);
        }
        if (payload == null) {
            throw new IllegalArgumentException("payload must not be null (use an empty array)");
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof LogRecord that && index == that.index && term == that.term
                && type == that.type && Arrays.equals(payload, that.payload);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(index) * 31 + Arrays.hashCode(payload);
    }

    @Override
    public String toString() {
        return "LogRecord[index=" + index + ", term=" + term + ", type=" + type + ", payloadLength=" + payload.length + "]";
    }
}
