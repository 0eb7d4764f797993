package io.confman.jepsen.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EdnTest {

    private static List<Object> readAll(String text) throws IOException {
        Edn.Parser parser = new Edn.Parser(new StringReader(text));
        List<Object> forms = new ArrayList<>();
        while (parser.hasNext()) {
            forms.add(parser.next());
        }
        return forms;
    }

    private static Object read(String text) throws IOException {
        List<Object> forms = readAll(text);
        assertEquals(1, forms.size(), text);
        return forms.get(0);
    }

    @Test
    void readsTheSubsetHistoriesUse() throws IOException {
        assertEquals(42L, read("42"));
        assertEquals(-7L, read("-7"));
        assertEquals(7L, read("+7"));
        assertEquals(Long.MAX_VALUE, read("9223372036854775807"));
        assertEquals(new BigInteger("9223372036854775808"), read("9223372036854775808"));
        assertEquals(12L, read("12N"));
        assertEquals(1.5, read("1.5"));
        assertEquals(2e3, read("2e3"));
        assertEquals(null, read("nil"));
        assertEquals(true, read("true"));
        assertEquals(false, read("false"));
        assertEquals(new Keyword("timeout"), read(":timeout"));
        assertEquals(new Keyword("jepsen/op"), read(":jepsen/op"));
        assertEquals(new Symbol("foo"), read("foo"));
        assertEquals("a \"b\"\n\t\\ é", read("\"a \\\"b\\\"\\n\\t\\\\ \\u00e9\""));
        assertEquals(Arrays.asList(1L, null, "x"), read("[1, nil \"x\"]"));
        assertEquals(List.of(1L, List.of(2L)), read("(1 (2))"));
        Object map = read("{:a 1, :b [2 3] \"c\" {:d nil}}");
        assertTrue(map instanceof Map<?, ?>);
        assertEquals(1L, ((Map<?, ?>) map).get(new Keyword("a")));
        assertEquals(List.of(2L, 3L), ((Map<?, ?>) map).get(new Keyword("b")));
        assertEquals(List.of(1L, 2L), readAll("1 ; a comment\n,,2"));
    }

    /** Jepsen 0.3 writes each event as a tagged record; it reads as the map inside. */
    @Test
    void aTaggedElementReadsAsItsForm() throws Exception {
        assertEquals(readAll("{:type :ok, :f :read, :value 3}"),
                readAll("#jepsen.history.Op{:type :ok, :f :read, :value 3}"));
        List<io.confman.jepsen.history.Op> ops = History.parse(new java.io.StringReader("""
                #jepsen.history.Op{:index 0, :time 1, :type :invoke, :process 0, :f :write, :value 1}
                #jepsen.history.Op{:index 1, :time 2, :type :ok, :process 0, :f :write, :value 1}
                """));
        assertEquals(2, ops.size());
        assertEquals(1L, ops.get(1).value());
    }

    @Test
    void keywordsStringsAndSymbolsAreDifferentValues() throws IOException {
        assertFalse(read(":a").equals(read("\"a\"")));
        assertFalse(read("a").equals(read("\"a\"")));
        assertEquals(read("[1 :x \"y\"]"), read("[1, :x, \"y\"]"));
    }

    @Test
    void writesWhatItReads() throws IOException {
        for (String text : List.of("42", "-3", "nil", "true", ":timeout", "\"a\\\"b\\\\c\\n\"",
                "[1 [2 3] nil]", "{:a 1, :b \"x\"}", "123456789012345678901234567890", "1.5", "sym")) {
            assertEquals(text, Edn.write(read(text)));
            assertEquals(read(text), read(Edn.write(read(text))));
        }
    }

    @Test
    void errorsNameTheLine() {
        assertError("line 3", "{:a 1}\n{:b 2}\n{:c");
        assertError("line 2", "1\n\"no end");
        assertError("unknown escape", "\"\\q\"");
        assertError("unmatched", "[1 2]]");
        assertError("key without a value", "{:a}");
        assertError("twice", "{:a 1 :a 2}");
        assertError("sets", "#{1 2}");
        assertError("symbolic values", "[##Inf 1]");
        assertError("a tag with no element", "#jepsen.history.Op");
        assertError("bad number", "12abc");
    }

    private static void assertError(String expected, String text) {
        MalformedHistoryException e = assertThrows(MalformedHistoryException.class, () -> readAll(text));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
