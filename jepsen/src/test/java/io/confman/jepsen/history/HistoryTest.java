package io.confman.jepsen.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HistoryTest {

    private static final String SINGLE = """
            {:type :invoke, :f :write, :value 19, :process 0, :time 20821276, :index 0}
            {:type :ok, :f :write, :value 19, :process 0, :time 20821300, :index 1}
            {:type :invoke, :f :cas, :value [19 20], :process 1, :time 20821400, :index 2}
            {:type :invoke, :f :read, :value nil, :process 0, :time 20821500, :index 3}
            {:type :info, :f :cas, :value [19 20], :process 1, :time 20821600, :index 4, :error :timeout}
            {:type :ok, :f :read, :value 20, :process 0, :time 20821700, :index 5}
            {:type :invoke, :f :read, :value nil, :process 0, :time 20821800, :index 6}
            {:type :fail, :f :read, :value nil, :process 0, :time 20821900, :index 7, :error "timed out"}
            """;

    private static final String MULTI = """
            {:type :invoke, :f :write, :value ["k1" 1], :process 0, :time 10, :index 0}
            {:type :invoke, :f :read, :value ["k2" nil], :process 1, :time 11, :index 1}
            {:type :ok, :f :write, :value ["k1" 1], :process 0, :time 12, :index 2}
            {:type :ok, :f :read, :value ["k2" nil], :process 1, :time 13, :index 3}
            {:type :invoke, :f :cas, :value ["k1" [1 2]], :process 0, :time 14, :index 4}
            {:type :fail, :f :cas, :value ["k1" [1 2]], :process 0, :time 15, :index 5}
            """;

    private static List<Op> parse(String text) throws IOException {
        return History.parse(new StringReader(text));
    }

    @Test
    void parsesASingleRegisterHistory() throws IOException {
        List<Op> ops = parse(SINGLE);
        assertEquals(8, ops.size());
        assertNull(ops.get(0).key());
        assertEquals(Op.invoke(0, 0, OpFunction.WRITE, null, 19L, 20821276), ops.get(0));
        assertEquals(new CasValue(19L, 20L), ops.get(2).value());
        assertEquals(OpType.INFO, ops.get(4).type());
        assertEquals(new Keyword("timeout"), ops.get(4).error());
        assertEquals(20L, ops.get(5).value());
        assertEquals("timed out", ops.get(7).error());
    }

    @Test
    void recognisesAMultiKeyHistory() throws IOException {
        List<Op> ops = parse(MULTI);
        assertEquals("k1", ops.get(0).key());
        assertEquals(1L, ops.get(0).value());
        assertEquals("k2", ops.get(1).key());
        assertNull(ops.get(3).value());
        assertEquals(new CasValue(1L, 2L), ops.get(4).value());
        assertEquals(Set.of("k1", "k2"), History.byKey(ops).keySet());
    }

    @Test
    void writesExactlyTheLineFormatAndReadsItBack() throws IOException {
        for (String text : List.of(SINGLE, MULTI)) {
            StringWriter out = new StringWriter();
            History.write(parse(text), out);
            assertEquals(text, out.toString());
            assertEquals(parse(text), parse(out.toString()));
        }
    }

    @Test
    void generatedHistoriesSurviveARoundTrip() throws IOException {
        List<Op> ops = HistoryGenerator.generate(7, HistoryGenerator.Config.of(3, 200));
        StringWriter out = new StringWriter();
        History.write(ops, out);
        assertEquals(ops, parse(out.toString()));
    }

    @Test
    void defaultsIndexToThePositionAndSkipsTheNemesis() throws IOException {
        List<Op> ops = parse("""
                {:type :info, :f :start, :process :nemesis}
                {:type :invoke, :f :read, :process 0}
                {:type :ok, :f :read, :value 3, :process 0}
                """);
        assertEquals(2, ops.size());
        assertEquals(1, ops.get(0).index());
        assertEquals(3L, ops.get(1).value());
    }

    @Test
    void malformedHistoriesAreRefusedWithTheIndexAtFault() {
        assertMalformed("completes an operation it never invoked", """
                {:type :ok, :f :write, :value 1, :process 0, :index 0}
                """);
        assertMalformed("invokes again while its operation at :index 0", """
                {:type :invoke, :f :write, :value 1, :process 0, :index 0}
                {:type :invoke, :f :write, :value 2, :process 0, :index 1}
                """);
        assertMalformed("completes a :read but invoked a :write", """
                {:type :invoke, :f :write, :value 1, :process 0, :index 0}
                {:type :ok, :f :read, :value 1, :process 0, :index 1}
                """);
        assertMalformed("completes a :write but invoked a :cas", """
                {:type :invoke, :f :cas, :value [1 2], :process 0, :index 0}
                {:type :fail, :f :write, :value 2, :process 0, :index 1}
                """);
        assertMalformed("after its :info at :index 1", """
                {:type :invoke, :f :write, :value 1, :process 0, :index 0}
                {:type :info, :f :write, :value 1, :process 0, :index 1}
                {:type :invoke, :f :write, :value 2, :process 0, :index 2}
                """);
        assertMalformed("line 2: the event has :type :done", """
                {:type :invoke, :f :write, :value 1, :process 0}
                {:type :done, :f :write, :value 1, :process 0}
                """);
        assertMalformed("line 1: the event has :f :append", "{:type :invoke, :f :append, :value 1, :process 0}");
        assertMalformed("line 1: an event must be a map", "[1 2]");
        assertMalformed("is not [expected next]", "{:type :invoke, :f :cas, :value 3, :process 0}");
        assertMalformed("on key \"k2\" but invoked it on key \"k1\"", """
                {:type :invoke, :f :write, :value ["k1" 1], :process 0}
                {:type :ok, :f :write, :value ["k2" 1], :process 0}
                """);
    }

    private static void assertMalformed(String expected, String text) {
        MalformedHistoryException e = assertThrows(MalformedHistoryException.class, () -> parse(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void splitsIntoOneSingleRegisterFilePerKey(@TempDir Path dir) throws IOException {
        List<Op> ops = parse(MULTI);
        Map<Object, Path> files = History.writePerKey(ops, dir);
        assertEquals(dir.resolve("key-k1.edn"), files.get("k1"));
        List<Op> k1 = History.read(files.get("k1"));
        assertEquals(4, k1.size());
        assertNull(k1.get(0).key());
        assertEquals(List.of(0L, 1L, 2L, 3L), k1.stream().map(Op::index).toList());
        assertEquals(new CasValue(1L, 2L), k1.get(2).value());
        assertEquals("""
                {:type :invoke, :f :read, :value nil, :process 1, :time 11, :index 0}
                {:type :ok, :f :read, :value nil, :process 1, :time 13, :index 1}
                """, Files.readString(files.get("k2")));
        assertEquals("\"k1\"\tkey-k1.edn\n\"k2\"\tkey-k2.edn\n", Files.readString(dir.resolve(History.KEY_INDEX_FILE)));
    }

    @Test
    void fileNamesAreSafeAndDistinct() {
        assertEquals("key-k17.edn", History.fileNameOf("k17"));
        assertEquals("key-_3.edn", History.fileNameOf(3L));
        assertEquals("key-a%2Fb%2E%2E.edn", History.fileNameOf("a/b.."));
        assertNotEquals(History.fileNameOf("K1"), History.fileNameOf("k1"));
        assertNotEquals(History.fileNameOf("3"), History.fileNameOf(3L));
        Set<String> names = List.of("a b", "a_b", "a%20b", "", "é").stream().map(History::fileNameOf)
                .collect(Collectors.toSet());
        assertEquals(5, names.size());
        for (String name : names) {
            assertTrue(name.matches("key-[a-z0-9%A-F_-]*\\.edn"), name);
        }
    }
}
