package io.confman.bench.load;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * The request bodies and answers of etcd's v3 JSON gateway (etcd's {@code KV} service through
 * gRPC-gateway), for the few calls the driver makes. Keys and values travel in base64; 64-bit
 * revisions as decimal strings; a field at its default ({@code false}, an empty list) is
 * left out of an answer, so a transaction whose comparison failed has no
 * {@code "succeeded"} and a range that found nothing has no {@code "kvs"}.
 */
final class EtcdJson {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    private EtcdJson() {
    }

    /** {@code PutRequest}: write the key. */
    static String put(String key, byte[] value) {
        return "{\"key\":\"" + base64(key) + "\",\"value\":\"" + BASE64.encodeToString(value) + "\"}";
    }

    /**
     * {@code TxnRequest}: write the key only if its {@code mod_revision} is still
     * {@code modRevision}, the revision a read returned (etcd's compare-and-swap).
     */
    static String putIfModRevision(String key, byte[] value, String modRevision) {
        if (!modRevision.chars().allMatch(Character::isDigit) || modRevision.isEmpty()) {
            throw new IllegalArgumentException("a mod_revision is a decimal number, not '" + modRevision + "'");
        }
        String encodedKey = base64(key);
        return "{\"compare\":[{\"key\":\"" + encodedKey + "\",\"target\":\"MOD\",\"result\":\"EQUAL\","
                + "\"mod_revision\":\"" + modRevision + "\"}],\"success\":[{\"request_put\":{\"key\":\""
                + encodedKey + "\",\"value\":\"" + BASE64.encodeToString(value) + "\"}}]}";
    }

    /** {@code RangeRequest} of one key: linearizable, or {@code serializable} (answered locally). */
    static String range(String key, boolean serializable) {
        return "{\"key\":\"" + base64(key) + "\"" + (serializable ? ",\"serializable\":true" : "") + "}";
    }

    /**
     * The answer to a 200 from {@code path}, in Confman's terms: a range finding the key is a
     * 200 with the key's {@code mod_revision} as the ETag and one finding nothing a 404; a
     * transaction that did not succeed is a 412; a put is a 200. An answer that is not the
     * JSON expected counts as no answer (status 0).
     */
    static KvClient.Answer answer(String path, byte[] body) {
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return new KvClient.Answer(0, null);
            }
            boolean succeeded = false;
            String modRevision = null;
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.getCurrentName();
                JsonToken value = parser.nextToken();
                if ("succeeded".equals(field)) {
                    succeeded = value == JsonToken.VALUE_TRUE;
                } else if ("kvs".equals(field) && value == JsonToken.START_ARRAY) {
                    modRevision = firstModRevision(parser);
                } else {
                    parser.skipChildren();
                }
            }
            return switch (path) {
                case "/v3/kv/range" -> modRevision != null ? new KvClient.Answer(200, modRevision)
                        : new KvClient.Answer(404, null);
                case "/v3/kv/txn" -> new KvClient.Answer(succeeded ? 200 : 412, null);
                default -> new KvClient.Answer(200, null);
            };
        } catch (IOException notJson) {
            return new KvClient.Answer(0, null);
        }
    }

    /** Reads the {@code kvs} array (the parser at its start) and returns its first entry's {@code mod_revision}. */
    private static String firstModRevision(JsonParser parser) throws IOException {
        String first = null;
        while (parser.nextToken() == JsonToken.START_OBJECT) {
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.getCurrentName();
                parser.nextToken();
                if (first == null && "mod_revision".equals(field)) {
                    first = parser.getValueAsString();
                } else {
                    parser.skipChildren();
                }
            }
        }
        return first;
    }

    private static String base64(String text) {
        return BASE64.encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
