package io.confman.jepsen.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.jepsen.report.LatencyPlot.Period;
import io.confman.jepsen.report.LatencyPlot.Point;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The plot is well-formed SVG that draws what it is given, and stays small for long runs. */
class LatencyPlotTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MS = 1_000_000L;

    @Test
    void aRunWithFaultsDrawsOneBandPerPeriodAndOneMarkerPerPoint() throws Exception {
        List<Point> points = List.of(
                new Point(0, 2 * MS, "read", "ok"),
                new Point(SECOND, 5 * MS, "write", "ok"),
                new Point(2 * SECOND, 1000 * MS, "cas", "fail"),
                new Point(3 * SECOND, 5000 * MS, "write", "info"),
                new Point(4 * SECOND, 300_000, "read", "ok"));
        List<Period> periods = List.of(
                new Period(SECOND, 3 * SECOND, "partition halves"),
                new Period(2 * SECOND, 2 * SECOND + 100 * MS, "kill n2"),
                new Period(2 * SECOND + 50 * MS, 4 * SECOND, "pause n1"));

        Document svg = parse(LatencyPlot.svg("register, 3 nodes", points, periods, 5 * SECOND));

        assertEquals(3, elementsWithClass(svg, "rect", "period").size());
        assertEquals(5, markers(svg));
        assertEquals(List.of("partition halves", "kill n2", "pause n1"), texts(svg, "period-label"));
        List<String> allText = texts(svg, null);
        assertTrue(allText.contains("register, 3 nodes"), allText.toString());
        assertTrue(allText.contains("time since the start (s)"), allText.toString());
        assertTrue(allText.contains("latency (ms, log scale)"), allText.toString());
        assertTrue(allText.containsAll(List.of("read ok", "write ok", "write info", "cas fail")), allText.toString());
        assertTrue(allText.contains("fault active"), allText.toString());
        // Log-scale ticks up to the decade above the slowest operation (5 s), and seconds on x.
        assertEquals(List.of("1 ms", "10 ms", "100 ms", "1 s", "10 s",
                        "0", "0.5", "1", "1.5", "2", "2.5", "3", "3.5", "4", "4.5", "5"),
                texts(svg, "tick").stream().sorted((a, b) -> Boolean.compare(isNumber(a), isNumber(b))).toList());
    }

    @Test
    void labelsOfFaultsCloseTogetherAreStaggered() throws Exception {
        List<Period> periods = List.of(
                new Period(SECOND, 2 * SECOND, "partition majorities ring"),
                new Period(SECOND + MS, 2 * SECOND, "kill n2"),
                new Period(SECOND + 2 * MS, 2 * SECOND, "pause n1"));

        Document svg = parse(LatencyPlot.svg("t", List.of(), periods, 60 * SECOND));

        List<Element> labels = elementsWithClass(svg, "text", "period-label");
        assertEquals(3, labels.stream().map(e -> e.getAttribute("y")).distinct().count());
    }

    @Test
    void overTwentyThousandPointsEveryFailureIsKeptAndOkOnesAreSampled() throws Exception {
        Random random = new Random(7);
        List<Point> points = new ArrayList<>();
        int notOk = 0;
        for (int i = 0; i < 100_000; i++) {
            String outcome = i % 50 == 0 ? "fail" : i % 77 == 0 ? "info" : "ok";
            notOk += outcome.equals("ok") ? 0 : 1;
            points.add(new Point(i * 3 * MS, (long) (MS * Math.exp(random.nextDouble() * 8)),
                    List.of("read", "write", "cas").get(i % 3), outcome));
        }

        String text = LatencyPlot.svg("long run", points, List.of(new Period(0, 10 * SECOND, "kill n1")),
                300 * SECOND);
        Document svg = parse(text);

        assertEquals(LatencyPlot.POINTS_MAX, markers(svg));
        List<Point> drawn = LatencyPlot.downSample(points);
        assertEquals(notOk, drawn.stream().filter(p -> !p.outcome().equals("ok")).count());
        assertTrue(texts(svg, null).stream().anyMatch(t -> t.startsWith("showing 20000 of 100000 operations")));
        assertTrue(text.length() < 2_000_000, "the plot is " + text.length() + " characters");
        // The sample spans the run rather than its first minutes.
        assertTrue(drawn.stream().filter(p -> p.outcome().equals("ok"))
                .anyMatch(p -> p.startNanos() > 290 * SECOND));
    }

    @Test
    void atTheLimitNothingIsDropped() throws Exception {
        List<Point> points = new ArrayList<>();
        for (int i = 0; i < LatencyPlot.POINTS_MAX; i++) {
            points.add(new Point(i * MS, MS, "read", "ok"));
        }

        Document svg = parse(LatencyPlot.svg("t", points, List.of(), 20 * SECOND));

        assertEquals(LatencyPlot.POINTS_MAX, markers(svg));
        assertFalse(texts(svg, null).stream().anyMatch(t -> t.startsWith("showing")));
    }

    @Test
    void emptyInputsAndAZeroLengthRunStillMakeAPlot() throws Exception {
        String text = LatencyPlot.svg("nothing yet", List.of(), List.of(), 0);
        Document svg = parse(text);

        assertEquals(0, markers(svg));
        assertEquals(0, elementsWithClass(svg, "rect", "period").size());
        assertTrue(texts(svg, null).contains("no operations"));
        assertFalse(text.contains("NaN") || text.contains("Infinity"), text);
    }

    @Test
    void aZeroLengthRunWithZeroLatenciesAndAnInstantFaultHasNoNaN() throws Exception {
        String text = LatencyPlot.svg("instant", List.of(new Point(0, 0, "read", "ok"), new Point(0, 0, "txn", "ok")),
                List.of(new Period(0, 0, "kill n1")), 0);
        Document svg = parse(text);

        assertEquals(2, markers(svg));
        assertEquals(1, elementsWithClass(svg, "rect", "period").size());
        assertFalse(text.contains("NaN") || text.contains("Infinity"), text);
    }

    @Test
    void titlesAndLabelsAreEscaped() throws Exception {
        Document svg = parse(LatencyPlot.svg("a < b & \"c\"", List.of(new Point(0, MS, "r&w", "o<k")),
                List.of(new Period(0, SECOND, "partition <n1> & n2")), SECOND));

        assertTrue(texts(svg, null).contains("a < b & \"c\""));
        assertEquals(List.of("partition <n1> & n2"), texts(svg, "period-label"));
        assertEquals(1, markers(svg));
    }

    @Test
    void aPeriodEndingBeforeItStartsIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Period(2, 1, "kill n1"));
        assertThrows(IllegalArgumentException.class, () -> new Point(0, -1, "read", "ok"));
    }

    @Test
    void numbersAreWrittenWithOneDecimal() {
        assertEquals("0", LatencyPlot.fmt(0));
        assertEquals("12.5", LatencyPlot.fmt(12.46));
        assertEquals("-0.5", LatencyPlot.fmt(-0.5));
        assertEquals("-3.2", LatencyPlot.fmt(-3.2));
        assertEquals(2.0, LatencyPlot.tickStep(15));
        assertEquals(0.1, LatencyPlot.tickStep(1), 1e-12);
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    /** The {@code <use>} elements inside the points group; the legend's are not points. */
    private static int markers(Document svg) {
        Element group = elementsWithClass(svg, "g", "points").get(0);
        return group.getElementsByTagName("use").getLength();
    }

    private static List<Element> elementsWithClass(Document svg, String tag, String cssClass) {
        NodeList nodes = svg.getElementsByTagName(tag);
        List<Element> found = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element element = (Element) nodes.item(i);
            if (element.getAttribute("class").equals(cssClass)) {
                found.add(element);
            }
        }
        return found;
    }

    /** The text of every {@code <text>} element, or of those with {@code cssClass}. */
    private static List<String> texts(Document svg, String cssClass) {
        NodeList nodes = svg.getElementsByTagName("text");
        List<String> found = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element element = (Element) nodes.item(i);
            if (cssClass == null || element.getAttribute("class").equals(cssClass)) {
                found.add(element.getTextContent());
            }
        }
        return found;
    }

    private static boolean isNumber(String text) {
        return text.chars().allMatch(c -> Character.isDigit(c) || c == '.');
    }
}
