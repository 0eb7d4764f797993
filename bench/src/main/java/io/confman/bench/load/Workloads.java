package io.confman.bench.load;

/**
 * The operations of each workload over a {@link KvClient}. Every choice an operation makes
 * (which key, read or write, which value) is a function of the seed and its number, so two
 * runs with one seed send the same requests whatever the interleaving of their workers.
 */
final class Workloads {

    private final LoadOptions options;
    private final KvClient client;

    Workloads(LoadOptions options, KvClient client) {
        this.options = options;
        this.client = client;
    }

    /** Keys sort in the order of their numbers in a listing. */
    static String keyName(long index) {
        return String.format("k%010d", index);
    }

    /** The value operation {@code index} writes. */
    GeneratedValue value(long index) {
        return new GeneratedValue(Mix.hash(options.seed(), index), options.valueBytes());
    }

    /** The value the load phase writes to key {@code key}, apart from every operation's. */
    GeneratedValue loadValue(long key) {
        return new GeneratedValue(Mix.hash(~options.seed(), key), options.valueBytes());
    }

    /** Writes key {@code index}: one operation of the load phase. */
    Operation load() {
        return (worker, index) -> outcome(client.put(worker, keyName(index), loadValue(index), null));
    }

    /** The measured operations of the workload. */
    Operation measured() {
        long keys = options.keys();
        return switch (options.workload()) {
            case PUT -> (worker, index) -> outcome(client.put(worker, keyName(index % keys), value(index), null));
            case GET -> (worker, index) -> outcome(client.get(worker, keyName(drawKey(index)), options.stale()));
            case MIXED -> (worker, index) -> {
                long draw = Mix.hash(options.seed(), index);
                String key = keyName(drawKey(index));
                return Mix.unit(draw) < options.readFraction() ? outcome(client.get(worker, key, options.stale()))
                        : outcome(client.put(worker, key, value(index), null));
            };
            case CAS -> this::compareAndSet;
        };
    }

    /**
     * The workload's operations with numbers far past the measured ones, run unmeasured before
     * them: the same kinds of requests, other values (and, for reads, other draws of keys).
     */
    Operation warmup() {
        Operation measured = measured();
        return (worker, index) -> measured.run(worker, WARMUP_INDEX_OFFSET + index);
    }

    /** Where warm-up operations are numbered from: beyond any run's operations. */
    static final long WARMUP_INDEX_OFFSET = 1L << 40;

    /** Reads the key's ETag, then writes it only if no one wrote in between. */
    private Outcome compareAndSet(int worker, long index) throws InterruptedException {
        String key = keyName(drawKey(index));
        KvClient.Answer read = client.get(worker, key, false);
        if (!read.success() || read.etag() == null) {
            return Outcome.ERROR;
        }
        KvClient.Answer write = client.put(worker, key, value(index), read.etag());
        return write.status() == 412 ? Outcome.CONFLICT : outcome(write);
    }

    /** A key of the key space, drawn apart from the read-or-write draw of the same operation. */
    private long drawKey(long index) {
        return Math.floorMod(Mix.hash(Mix.hash(options.seed(), index), 0), options.keys());
    }

    private static Outcome outcome(KvClient.Answer answer) {
        return answer.success() ? Outcome.OK : Outcome.ERROR;
    }
}
