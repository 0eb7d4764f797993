package io.confman.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.http.NodeOutcomes.Kind;
import io.confman.node.NodeException;
import io.confman.store.ValueTooLargeException;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The front's pure parts: ranges, wait durations, path decoding, failure mapping, configuration. */
class HttpPartsTest {

    @Test
    void byteRanges() {
        assertEquals(new ByteRange.Partial(new ByteRange(0, 0)), ByteRange.parse("bytes=0-0", 10));
        assertEquals(new ByteRange.Partial(new ByteRange(5, 9)), ByteRange.parse("bytes=5-100", 10));
        assertEquals(new ByteRange.Partial(new ByteRange(0, 9)), ByteRange.parse("bytes=-20", 10));
        assertEquals(new ByteRange.Partial(new ByteRange(9, 9)), ByteRange.parse("bytes=9-", 10));
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=10-", 10));
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=-0", 10));
        assertInstanceOf(ByteRange.Unsatisfiable.class, ByteRange.parse("bytes=0-", 0));
        for (String ignored : new String[] {null, "items=0-1", "bytes=3-1", "bytes=a-b", "bytes=1-2,4-5", "bytes=",
                "bytes=-", "bytes=99999999999999999999-"}) {
            assertInstanceOf(ByteRange.Whole.class, ByteRange.parse(ignored, 10), String.valueOf(ignored));
        }
    }

    @Test
    void waitDurationsAreConsulsAndCapped() {
        assertEquals(500, WaitDuration.parseMs("500ms", 60_000));
        assertEquals(30_000, WaitDuration.parseMs("30s", 60_000));
        assertEquals(60_000, WaitDuration.parseMs("5m", 60_000), "capped at waitMaxMs");
        assertEquals(60_000, WaitDuration.parseMs(null, 60_000));
        assertEquals(WaitDuration.DEFAULT_WAIT_MS, WaitDuration.parseMs("", 3_600_000));
        for (String bad : new String[] {"30", "s", "1h", "-1s", "1.5s", "9999999999s"}) {
            ApiError error = assertThrows(ApiError.class, () -> WaitDuration.parseMs(bad, 60_000), bad);
            assertEquals(400, error.status().code());
        }
    }

    @Test
    void pathSegmentsArePercentDecodedStrictly() {
        assertEquals("a b/c+d", PathCodec.decode("a%20b%2Fc+d"));
        assertEquals("é", PathCodec.decode("%C3%A9"));
        assertEquals("plain", PathCodec.decode("plain"));
        for (String bad : new String[] {"%", "%2", "%zz", "%ff", "é"}) {
            assertThrows(ApiError.class, () -> PathCodec.decode(bad), bad);
        }
    }

    @Test
    void nodeFailuresMapToTheContractsAnswers() {
        assertEquals(503, NodeOutcomes.toError(new NodeException.NotLeader("n1", null), Kind.WRITE).status().code());
        assertEquals("1", NodeOutcomes.toError(new NodeException.NotLeader("n1", "n2"), Kind.READ).headers()
                .get("Retry-After"));
        ApiError overloaded = NodeOutcomes.toError(new CompletionException(new NodeException.Overloaded("full")),
                Kind.WRITE);
        assertEquals(429, overloaded.status().code());
        assertEquals("1", overloaded.headers().get("Retry-After"));
        for (Throwable uncertain : new Throwable[] {new NodeException.Timeout(5000),
                new NodeException.LeadershipLost("x"), new NodeException.Stopped("x", null), new TimeoutException()}) {
            ApiError write = NodeOutcomes.toError(uncertain, Kind.WRITE);
            assertEquals(504, write.status().code(), uncertain.toString());
            assertEquals("outcome_unknown", write.code(), "a write that may commit is never reported failed");
        }
        assertEquals(504, NodeOutcomes.toError(new NodeException.Timeout(5000), Kind.READ).status().code());
        assertEquals(503, NodeOutcomes.toError(new NodeException.LeadershipLost("x"), Kind.READ).status().code());
        assertEquals(503, NodeOutcomes.toError(new NodeException.Rejected("transfer"), Kind.WRITE).status().code());
        assertEquals(413, NodeOutcomes.toError(new ValueTooLargeException(10, 5), Kind.WRITE).status().code());
        assertEquals(400, NodeOutcomes.toError(new IllegalArgumentException("bad"), Kind.WRITE).status().code());
        assertEquals(501, NodeOutcomes.toError(new UnsupportedOperationException("x"), Kind.OTHER).status().code());
        ApiError bug = NodeOutcomes.toError(new NullPointerException("secret detail"), Kind.OTHER);
        assertEquals(500, bug.status().code());
        assertFalse(bug.getMessage().contains("secret detail"), "no internals on the wire");
    }

    @Test
    void theConfigurationChecksItsRulesAndHidesTheToken() {
        InetSocketAddress any = new InetSocketAddress(0);
        HttpConfig config = HttpConfig.of(any, "a token of enough characters", 1000);
        assertFalse(config.toString().contains("a token of enough"));
        assertTrue(config.toString().contains("adminToken=set"));
        assertThrows(IllegalArgumentException.class, () -> HttpConfig.of(any, "short", 1000));
        assertThrows(IllegalArgumentException.class, () -> HttpConfig.of(any, null, 0));
        assertThrows(IllegalArgumentException.class, () -> new HttpConfig(any, null, 1000, 17 * 1024 * 1024,
                HttpConfig.VALUE_BYTES_MAX_DEFAULT, 1024, 1, 1, 1));
    }
}
