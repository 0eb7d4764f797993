package io.confman.bench.store;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The config store's command codec ({@code CommandCodec}, http/STORE.md "Command format") on a
 * put of a {@code valueBytes}-byte inline value under a session's request id, the bytes a
 * client's {@code PUT} becomes in the log. Every write is encoded once, by the node that takes
 * it (before it is proposed), and decoded on every replica when the entry is applied, so
 * {@code encode} and {@code decode} together are the codec's share of a replicated write:
 *
 * <ul>
 *   <li>{@code encode}: the command to its bytes (version, request id, names, value, CRC32C);</li>
 *   <li>{@code decode}: the bytes back to a command, with every check a replica makes (lengths,
 *       tags, UTF-8 and name rules, CRC32C).</li>
 * </ul>
 *
 * <p>100 bytes is the load driver's default value; 65,536 the node's default
 * {@code --inline-max-bytes}, the largest value kept inline before it goes to the blob store.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CommandCodecBenchmark {

    @Param({"100", "65536"})
    public int valueBytes;

    private Command.Put put;
    private byte[] encoded;

    @Setup(Level.Trial)
    public void build() {
        byte[] value = new byte[valueBytes];
        new Random(42).nextBytes(value);
        put = typicalPut(value);
        encoded = CommandCodec.encode(put);
    }

    /** A put as a client's request makes it: a session's request id, a namespace, a path-like key. */
    public static Command.Put typicalPut(byte[] value) {
        return new Command.Put(new RequestId(7, 1042, 1040), "app", "config/service-42/setting",
                Value.Inline.copyOf(value), Precondition.NONE);
    }

    @Benchmark
    public byte[] encode() {
        return CommandCodec.encode(put);
    }

    @Benchmark
    public Command decode() {
        return CommandCodec.decode(encoded);
    }

    /** The put the benchmarks encode and the bytes they decode, for the smoke test. */
    Command.Put put() {
        return put;
    }

    byte[] encoded() {
        return encoded;
    }
}
