package io.confman.bench.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * CPU time used by the server processes, from Linux's {@code /proc/PID/stat} (user and
 * system time of every thread of the process, fields 14 and 15, in clock ticks of 1/100 s:
 * the {@code USER_HZ} Linux reports to user space). Read right before and right after the
 * measured operations, so that the figure per request leaves out start-up, the load phase
 * and the driver itself.
 */
final class ProcessCpu {

    /** Linux reports process times to user space in ticks of 1/100 s on every architecture Java runs on. */
    static final long TICKS_PER_SECOND = 100;

    private final List<Long> pids;

    ProcessCpu(List<Long> pids) {
        this.pids = List.copyOf(pids);
    }

    boolean enabled() {
        return !pids.isEmpty();
    }

    /** The processes' user and system time together, in milliseconds. */
    long totalMillis() throws IOException {
        long ticks = 0;
        for (long pid : pids) {
            ticks += ticks(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        }
        return ticks * 1_000 / TICKS_PER_SECOND;
    }

    /** utime + stime of one {@code /proc/PID/stat} line; the command name may hold spaces and parentheses. */
    static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // fields[0] is the state (field 3 of the line), so utime (field 14) is fields[11].
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
