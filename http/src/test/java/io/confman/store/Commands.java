package io.confman.store;

import io.confman.store.command.Command;
import io.confman.store.command.CommandCodec;
import io.confman.store.command.Precondition;
import io.confman.store.command.RequestId;
import io.confman.store.command.Value;
import java.nio.charset.StandardCharsets;

/** Builds encoded commands for tests, so that tests read like the API calls they stand for. */
final class Commands {
    private Commands() {
    }

    static byte[] put(String namespace, String key, String value) {
        return put(RequestId.NONE, namespace, key, value, Precondition.NONE);
    }

    static byte[] put(RequestId id, String namespace, String key, String value, Precondition precondition) {
        return CommandCodec.encode(new Command.Put(id, namespace, key,
                Value.Inline.copyOf(value.getBytes(StandardCharsets.UTF_8)), precondition));
    }

    static byte[] createOnly(String namespace, String key, String value) {
        return put(RequestId.NONE, namespace, key, value, Precondition.CREATE_ONLY);
    }

    static byte[] putIf(String namespace, String key, String value, long modRevision) {
        return put(RequestId.NONE, namespace, key, value, new Precondition.IfModRevision(modRevision));
    }

    static byte[] delete(String namespace, String key) {
        return CommandCodec.encode(new Command.Delete(RequestId.NONE, namespace, key, Precondition.NONE));
    }

    static byte[] deleteIf(String namespace, String key, long modRevision) {
        return CommandCodec.encode(new Command.Delete(RequestId.NONE, namespace, key,
                new Precondition.IfModRevision(modRevision)));
    }

    static String text(StoredValue stored) {
        return new String(((Value.Inline) stored.value()).copyBytes(), StandardCharsets.UTF_8);
    }
}
