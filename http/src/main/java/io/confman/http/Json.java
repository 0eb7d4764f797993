package io.confman.http;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.confman.store.KeyMeta;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Small JSON bodies written with Jackson's streaming generator; no object mapping. */
final class Json {

    private static final JsonFactory FACTORY = new JsonFactory();

    /** Writes one JSON document. */
    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private Json() {
    }

    static byte[] write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = FACTORY.createGenerator(out, JsonEncoding.UTF8)) {
            body.write(json);
        } catch (IOException e) {
            // A generator over a byte array cannot fail on I/O; if it does, it is a bug.
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        return out.toByteArray();
    }

    static byte[] error(String code, String message) {
        return write(json -> {
            json.writeStartObject();
            json.writeObjectFieldStart("error");
            json.writeStringField("code", code);
            json.writeStringField("message", message);
            json.writeEndObject();
            json.writeEndObject();
        });
    }

    /** The fields of a key's metadata; {@code withNamespace} adds ns (the write answer has it, list items do not). */
    static void keyMetaFields(JsonGenerator json, KeyMeta meta, boolean withNamespace) throws IOException {
        if (withNamespace) {
            json.writeStringField("ns", meta.namespace());
        }
        json.writeStringField("key", meta.key());
        json.writeNumberField("version", meta.version());
        if (withNamespace) {
            json.writeNumberField("create_revision", meta.createRevision());
        }
        json.writeNumberField("mod_revision", meta.modRevision());
        json.writeNumberField("size", meta.sizeBytes());
        json.writeBooleanField("blob", meta.blob());
    }
}
