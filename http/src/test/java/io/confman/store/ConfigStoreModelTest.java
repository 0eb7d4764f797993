package io.confman.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Checks the store against a pure sequential model of etcd's semantics, written as simply
 * as possible: random commands (with a fixed seed) go to both, and every result, every
 * listing and the revision must agree. On failure the message names the seed and step.
 */
class ConfigStoreModelTest {
    private static final long SEED = 7L;
    private static final int STEPS = 20_000;

    /** The model's state of one key. */
    private record ModelKey(long version, long createRevision, long modRevision, long sizeBytes) {
    }

    /**
     * The model: sorted keys per namespace, a revision, and, per client, every result it ever
     * got and the highest firstOutstanding it sent. It forgets nothing, and decides straight
     * from the rule in STORE.md: a request is applied at most once, and its first result is
     * returned to a retry while its sequence is at or above that highest firstOutstanding.
     */
    private static final class Model {
        final Map<String, TreeMap<String, ModelKey>> namespaces = new HashMap<>();
        final Map<List<Long>, ApplyResult> results = new HashMap<>();
        final Map<Long, Long> firstOutstanding = new HashMap<>();
        long revision;
        int retriesAnswered;

        ApplyResult step(Command command) {
            RequestId id = command.requestId();
            if (id.hasSession()) {
                long first = firstOutstanding.getOrDefault(id.clientId(), 0L);
                ApplyResult earlier = results.get(List.of(id.clientId(), id.sequence()));
                if (id.sequence() < first) {
                    return new ApplyResult.StaleRequest(id.clientId(), id.sequence(), first);
                }
                if (earlier != null) {
                    retriesAnswered++;
                    return earlier;
                }
            }
            ApplyResult result = command instanceof Command.Put put ? put(put) : delete((Command.Delete) command);
            if (id.hasSession()) {
                results.put(List.of(id.clientId(), id.sequence()), result);
                firstOutstanding.merge(id.clientId(), id.firstOutstanding(), Math::max);
            }
            return result;
        }

        private ApplyResult put(Command.Put put) {
            TreeMap<String, ModelKey> keys = namespaces.computeIfAbsent(put.namespace(), ns -> new TreeMap<>());
            ModelKey current = keys.get(put.key());
            if (!holds(put.precondition(), current)) {
                return new ApplyResult.PreconditionFailed(put.namespace(), put.key(), modRevision(current));
            }
            revision++;
            ModelKey next = current == null
                    ? new ModelKey(1, revision, revision, put.value().sizeBytes())
                    : new ModelKey(current.version() + 1, current.createRevision(), revision, put.value().sizeBytes());
            keys.put(put.key(), next);
            KeyMeta meta = new KeyMeta(put.namespace(), put.key(), next.version(), next.createRevision(),
                    next.modRevision(), next.sizeBytes(), false);
            return current == null ? new ApplyResult.Created(meta) : new ApplyResult.Updated(meta);
        }

        private ApplyResult delete(Command.Delete delete) {
            TreeMap<String, ModelKey> keys = namespaces.computeIfAbsent(delete.namespace(), ns -> new TreeMap<>());
            ModelKey current = keys.get(delete.key());
            if (current == null && delete.precondition() instanceof Precondition.None) {
                return new ApplyResult.NotFound(delete.namespace(), delete.key());
            }
            if (!holds(delete.precondition(), current)) {
                return new ApplyResult.PreconditionFailed(delete.namespace(), delete.key(), modRevision(current));
            }
            revision++;
            keys.remove(delete.key());
            return new ApplyResult.Deleted(delete.namespace(), delete.key(), revision);
        }

        private static boolean holds(Precondition precondition, ModelKey current) {
            if (precondition instanceof Precondition.CreateOnly) {
                return current == null;
            }
            if (precondition instanceof Precondition.IfModRevision ifModRevision) {
                return current != null && current.modRevision() == ifModRevision.modRevision();
            }
            return true;
        }

        private static long modRevision(ModelKey current) {
            return current == null ? 0 : current.modRevision();
        }

        List<String> keys(String namespace, String prefix) {
            List<String> keys = new ArrayList<>();
            for (String key : namespaces.getOrDefault(namespace, new TreeMap<>()).keySet()) {
                if (key.startsWith(prefix)) {
                    keys.add(key);
                }
            }
            return keys;
        }
    }

    @Test
    void theStoreAgreesWithTheModel() {
        Random random = new Random(SEED);
        Model model = new Model();
        // Enough sessions that the model, which never evicts, and the store agree.
        ConfigStore store = new ConfigStore(new StoreLimits(1_000, 0, 1_000, 50), WaitListener.NONE);
        long[] sequences = new long[50];
        List<Command> sent = new ArrayList<>();
        Map<String, Integer> outcomes = new TreeMap<>();
        for (int step = 1; step <= STEPS; step++) {
            int retry = random.nextInt(20);
            Command command = retry < 2 && !sent.isEmpty()
                    // A retry: of any earlier request (most are superseded), or of a recent one.
                    ? sent.get(retry == 0 ? random.nextInt(sent.size())
                            : Math.max(0, sent.size() - 1 - random.nextInt(20)))
                    : randomCommand(random, sequences, model.revision);
            sent.add(command);
            String where = "seed " + SEED + " step " + step + " " + command;
            ApplyResult expected = model.step(command);
            assertEquals(expected, store.apply(step, CommandCodec.encode(command)), where);
            outcomes.merge(expected.getClass().getSimpleName(), 1, Integer::sum);
            assertEquals(model.revision, store.revision(), where);
            if (step % 500 == 0) {
                checkListings(model, store, where);
            }
        }
        assertEquals(List.of("Created", "Deleted", "NotFound", "PreconditionFailed", "StaleRequest", "Updated"),
                List.copyOf(outcomes.keySet()), "the random commands reach every outcome: " + outcomes);
        assertTrue(model.retriesAnswered > 100, "retries answered with their first result: " + model.retriesAnswered);
    }

    private static void checkListings(Model model, ConfigStore store, String where) {
        for (String namespace : List.of("a", "b")) {
            for (String prefix : List.of("", "k1", "k2/")) {
                List<String> listed = new ArrayList<>();
                String after = null;
                ListPage page;
                do {
                    page = store.list(namespace, prefix, after, 7);
                    page.items().forEach(item -> listed.add(item.key()));
                    after = page.nextAfter();
                } while (page.more());
                assertEquals(model.keys(namespace, prefix), listed, where + " listing " + namespace + "/" + prefix);
            }
        }
    }

    private static Command randomCommand(Random random, long[] sequences, long revision) {
        int client = random.nextInt(sequences.length);
        long sequence = ++sequences[client];
        // Clients with up to eight writes in flight: firstOutstanding trails the sequence.
        RequestId id = client == 0 ? RequestId.NONE
                : new RequestId(client, sequence, Math.max(1, sequence - random.nextInt(8)));
        String namespace = random.nextBoolean() ? "a" : "b";
        String key = (random.nextBoolean() ? "k1" : "k2/") + random.nextInt(30);
        Precondition precondition = switch (random.nextInt(4)) {
            case 0 -> new Precondition.IfModRevision(Math.max(1, revision - random.nextInt(5)));
            case 1 -> Precondition.CREATE_ONLY;
            default -> Precondition.NONE;
        };
        if (random.nextInt(3) == 0) {
            return new Command.Delete(id, namespace, key,
                    precondition instanceof Precondition.CreateOnly ? Precondition.NONE : precondition);
        }
        return new Command.Put(id, namespace, key, Value.Inline.copyOf(new byte[random.nextInt(8)]), precondition);
    }
}
