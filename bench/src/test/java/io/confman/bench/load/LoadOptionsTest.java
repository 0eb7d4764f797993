package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.cli.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class LoadOptionsTest {

    private static LoadOptions parse(String line) throws UsageException {
        return LoadOptions.parse(line.isEmpty() ? new String[0] : line.split(" "), null);
    }

    @Test
    void theContractsCommandLine() throws UsageException {
        LoadOptions options = parse("--url http://127.0.0.1:8081,http://127.0.0.1:8082/ --workload put --ops 10000"
                + " --concurrency 16 --value-size 100");
        assertEquals(List.of(URI.create("http://127.0.0.1:8081"), URI.create("http://127.0.0.1:8082")),
                options.urls());
        assertEquals(Workload.PUT, options.workload());
        assertEquals(10_000, options.operations());
        assertEquals(16, options.concurrency());
        assertEquals(100, options.valueBytes());
        assertEquals(10_000, options.keys(), "put writes key i for operation i");
        assertInstanceOf(Schedule.ClosedLoop.class, options.schedule());
        assertEquals(LoadOptions.SEED_DEFAULT, options.seed());
        assertFalse(options.stale());
    }

    @Test
    void workloadDefaults() throws UsageException {
        assertEquals(1_000, parse("--workload get --ops 5000").keys());
        assertEquals(300, parse("--workload mixed --ops 300").keys(), "no more keys loaded than operations");
        assertEquals(0.9, parse("--workload mixed --ops 300").readFraction());
        assertEquals(0.5, parse("--workload mixed --ops 300 --read-fraction 0.5").readFraction());
        assertEquals(LoadOptions.CAS_KEYS_DEFAULT, parse("--workload cas --ops 300").keys());
        assertEquals(50, parse("--workload put --ops 300 --keys 50").keys());
        assertTrue(parse("--workload get --ops 300 --stale").stale());
        assertEquals(new Schedule.OpenLoop(500), parse("--workload put --ops 300 --rate 500").schedule());
        assertEquals(100L * 1024 * 1024, parse("--workload put --ops 3 --value-size 104857600").valueBytes());
        assertEquals(List.of(URI.create(LoadOptions.URL_DEFAULT)), parse("--workload put --ops 1").urls());
        assertEquals(Api.CONFMAN, parse("--workload put --ops 1").api());
        assertEquals(Api.ETCD, parse("--workload put --ops 1 --api etcd --value-size 1048576").api());
        assertEquals(60, parse("--workload put --ops 1").intervalS());
        assertEquals(5, parse("--workload put --ops 1 --interval-s 5").intervalS());
        assertEquals(List.of(URI.create("http://10.0.0.1:9000")),
                LoadOptions.parse(new String[]{"--workload", "put", "--ops", "1"}, "http://10.0.0.1:9000").urls());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "--ops 10",
        "--workload put",
        "--workload scan --ops 10",
        "--workload put --ops 0",
        "--workload put --ops ten",
        "--workload put --ops 10 --concurrency 0",
        "--workload put --ops 10 --concurrency 5000",
        "--workload put --ops 10 --rate 0",
        "--workload put --ops 10 --value-size -1",
        "--workload put --ops 10 --keys 0",
        "--workload put --ops 10 --read-fraction 0.5",
        "--workload mixed --ops 10 --read-fraction 1.5",
        "--workload mixed --ops 10 --read-fraction NaN",
        "--workload put --ops 10 --stale",
        "--workload cas --ops 10 --stale",
        "--workload put --ops 10 --url ftp://host",
        "--workload put --ops 10 --url http://127.0.0.1:8080/v1",
        "--workload put --ops 10 --url http://a:1,",
        "--workload put --ops 10 --namespace .blobs",
        "--workload put --ops 10 --ops 20",
        "--workload put --ops 10 --verbose",
        "--workload put --ops 10 extra",
        "--workload put --ops 10 --api consul",
        "--workload put --ops 10 --api etcd --value-size 1048577",
        "--workload put --ops 10 --interval-s 0",
        "--workload put --ops 10 --cpu-pids abc",
        "--workload put --ops 10 --warmup-ops -1",
        "--workload put --ops 10 --warmup-ops 5 --namespace nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",
        "--workload put --ops 10 --cpu-pids 0",
        "--workload put --ops 10 --cpu-pids 1,",
        "--workload put --ops 10 --cpu-pids 2147483646",
    })
    void refusedWithExitTwoAndOneLine(String line) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = BenchCommand.run(line.isEmpty() ? new String[0] : line.split(" "), null,
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, status, message);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
        assertTrue(message.startsWith("confman bench: "), message);
        assertEquals(1, message.lines().count(), message);
    }
}
