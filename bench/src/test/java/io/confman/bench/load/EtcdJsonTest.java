package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The etcd gateway's bodies as etcd 3.4 writes and reads them, and its answers in Confman's terms. */
class EtcdJsonTest {

    @Test
    void requestsCarryKeysAndValuesInBase64() {
        assertEquals("{\"key\":\"Zm9v\",\"value\":\"YmFy\"}", EtcdJson.put("foo", bytes("bar")));
        assertEquals("{\"key\":\"Zm9v\"}", EtcdJson.range("foo", false));
        assertEquals("{\"key\":\"Zm9v\",\"serializable\":true}", EtcdJson.range("foo", true));
        assertEquals("{\"compare\":[{\"key\":\"Zm9v\",\"target\":\"MOD\",\"result\":\"EQUAL\",\"mod_revision\":\"17\"}],"
                + "\"success\":[{\"request_put\":{\"key\":\"Zm9v\",\"value\":\"YmFy\"}}]}",
                EtcdJson.putIfModRevision("foo", bytes("bar"), "17"));
        assertThrows(IllegalArgumentException.class, () -> EtcdJson.putIfModRevision("foo", bytes("x"), "\"1\""));
        assertThrows(IllegalArgumentException.class, () -> EtcdJson.putIfModRevision("foo", bytes("x"), ""));
    }

    @Test
    void answersTakeConfmanShape() {
        String header = "\"header\":{\"cluster_id\":\"1\",\"member_id\":\"2\",\"revision\":\"9\",\"raft_term\":\"2\"}";
        assertEquals(new KvClient.Answer(200, "7"), EtcdJson.answer("/v3/kv/range", bytes("{" + header
                + ",\"kvs\":[{\"key\":\"Zm9v\",\"create_revision\":\"5\",\"mod_revision\":\"7\",\"version\":\"2\","
                + "\"value\":\"YmFy\"}],\"count\":\"1\"}")));
        assertEquals(new KvClient.Answer(404, null), EtcdJson.answer("/v3/kv/range", bytes("{" + header + "}")));
        assertEquals(new KvClient.Answer(200, null), EtcdJson.answer("/v3/kv/txn", bytes("{" + header
                + ",\"succeeded\":true,\"responses\":[{\"response_put\":{\"header\":{\"revision\":\"10\"}}}]}")));
        // etcd leaves a false "succeeded" out.
        assertEquals(new KvClient.Answer(412, null), EtcdJson.answer("/v3/kv/txn", bytes("{" + header + "}")));
        assertEquals(new KvClient.Answer(200, null), EtcdJson.answer("/v3/kv/put", bytes("{" + header + "}")));
        assertEquals(new KvClient.Answer(0, null), EtcdJson.answer("/v3/kv/put", bytes("<html>")));
        assertEquals(new KvClient.Answer(0, null), EtcdJson.answer("/v3/kv/range", bytes("{\"kvs\":[{")));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
