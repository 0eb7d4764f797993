package io.confman.jepsen.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * Every operation's latency against the time it started, with the periods when a fault was
 * active shaded behind, as Jepsen's {@code latency-raw} plot draws it. It shows at a glance
 * what each fault did to clients: the timeouts stacked at the top during a partition, the
 * gap while a killed leader's successor is elected, the failures that should not be there.
 *
 * <p>The plot is one self-contained SVG document with no script, fonts or other files, so
 * that it can sit beside a run's history and open in any browser. Above
 * {@value #POINTS_MAX} points the successful operations are sampled evenly, while every
 * failed and indeterminate one is kept: those are what a reader looks for, and a run of
 * hours would otherwise write tens of megabytes.
 */
public final class LatencyPlot {

    /**
     * One operation.
     *
     * @param startNanos   when it was invoked, in nanoseconds since the run began
     * @param latencyNanos how long until its completion (or until it was given up as
     *                     indeterminate)
     * @param f            what it did: {@code read}, {@code write} or {@code cas}
     * @param outcome      {@code ok}, {@code fail} or {@code info} (indeterminate)
     */
    public record Point(long startNanos, long latencyNanos, String f, String outcome) {

        public Point {
            Objects.requireNonNull(f, "f");
            Objects.requireNonNull(outcome, "outcome");
            if (latencyNanos < 0) {
                throw new IllegalArgumentException("latencyNanos must not be negative, was " + latencyNanos);
            }
        }
    }

    /**
     * A period while a fault was active, for example {@code partition halves},
     * {@code kill n2} or {@code pause n1}.
     *
     * @param startNanos when the fault began, in nanoseconds since the run began
     * @param endNanos   when it was healed; not before {@code startNanos}
     * @param label      what the fault was
     */
    public record Period(long startNanos, long endNanos, String label) {

        public Period {
            Objects.requireNonNull(label, "label");
            if (endNanos < startNanos) {
                throw new IllegalArgumentException("a period ends (" + endNanos + ") before it starts (" + startNanos + ")");
            }
        }
    }

    /** Points drawn at most, unless there are more failed and indeterminate ones than that. */
    static final int POINTS_MAX = 20_000;

    private static final int WIDTH = 960;
    private static final int HEIGHT = 540;
    private static final int PLOT_LEFT = 80;
    private static final int PLOT_RIGHT = 790;
    private static final int PLOT_TOP = 90;
    private static final int PLOT_BOTTOM = 480;
    private static final int LABEL_ROWS = 3;
    private static final int LABEL_ROW_HEIGHT = 13;
    /** A rough width of one character of an 11px sans-serif label, to stagger labels. */
    private static final double LABEL_CHAR_WIDTH = 6.2;
    private static final int X_TICKS_TARGET = 10;
    private static final double NANOS_PER_SECOND = 1e9;
    private static final double NANOS_PER_MS = 1e6;

    private static final List<String> F_ORDER = List.of("read", "write", "cas");
    private static final List<String> OUTCOME_ORDER = List.of("ok", "fail", "info");
    private static final Map<String, String> F_COLOURS = Map.of("read", "#1f77b4", "write", "#ff7f0e",
            "cas", "#2ca02c");
    private static final String OTHER_COLOUR = "#7f7f7f";
    /** Fills for the kinds of fault, chosen by the first word of the label. */
    private static final Map<String, String> FAULT_COLOURS = Map.of("partition", "#d62728", "kill", "#9467bd",
            "pause", "#e6b800", "clock", "#17becf", "crash", "#9467bd");
    private static final String OTHER_FAULT_COLOUR = "#8c564b";

    private LatencyPlot() {
    }

    /**
     * The plot as an SVG document.
     *
     * @param runNanos how long the run lasted; the x axis spans at least that, and further
     *                 if a point or period lies beyond it
     */
    public static String svg(String title, List<Point> points, List<Period> periods, long runNanos) {
        List<Point> drawn = downSample(points);
        Scale scale = Scale.of(points, periods, runNanos);
        StringBuilder svg = new StringBuilder(256 + drawn.size() * 48);
        svg.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" xmlns:xlink=\"http://www.w3.org/1999/xlink\"")
                .append(" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        List<String[]> series = series(drawn);
        appendMarkerDefinitions(svg, series);
        svg.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        appendTitle(svg, title, points.size(), drawn.size());
        appendPeriods(svg, periods, scale);
        appendAxes(svg, scale);
        appendPoints(svg, drawn, scale);
        appendLegend(svg, series, !periods.isEmpty());
        return svg.append("</svg>\n").toString();
    }

    /**
     * At most {@value #POINTS_MAX} points: every point that is not {@code ok}, and the
     * {@code ok} ones picked at even steps through the run to fill the rest.
     */
    static List<Point> downSample(List<Point> points) {
        if (points.size() <= POINTS_MAX) {
            return points;
        }
        List<Point> ok = new ArrayList<>();
        List<Point> kept = new ArrayList<>();
        for (Point point : points) {
            (point.outcome().equals("ok") ? ok : kept).add(point);
        }
        ok.sort(Comparator.comparingLong(Point::startNanos));
        int okKept = Math.max(0, POINTS_MAX - kept.size());
        for (int i = 0; i < okKept; i++) {
            kept.add(ok.get((int) ((long) i * ok.size() / okKept)));
        }
        return kept;
    }

    /** The (f, outcome) pairs present, in legend order: read, write, cas, then others by name. */
    private static List<String[]> series(List<Point> points) {
        TreeSet<String> fs = new TreeSet<>(Comparator.comparingInt((String f) -> {
            int i = F_ORDER.indexOf(f);
            return i < 0 ? F_ORDER.size() : i;
        }).thenComparing(Comparator.naturalOrder()));
        Map<String, TreeSet<String>> outcomes = new LinkedHashMap<>();
        for (Point point : points) {
            fs.add(point.f());
            outcomes.computeIfAbsent(point.f(), f -> new TreeSet<>(Comparator.comparingInt((String o) -> {
                int i = OUTCOME_ORDER.indexOf(o);
                return i < 0 ? OUTCOME_ORDER.size() : i;
            }).thenComparing(Comparator.naturalOrder()))).add(point.outcome());
        }
        List<String[]> series = new ArrayList<>();
        for (String f : fs) {
            for (String outcome : outcomes.get(f)) {
                series.add(new String[] {f, outcome});
            }
        }
        return series;
    }

    /**
     * One reusable marker a series, so that each point is a short {@code <use>}: the shape
     * tells the operation (circle read, square write, diamond cas), the colour repeats it,
     * and the fill tells the outcome (ok filled, fail hollow, info a cross).
     */
    private static void appendMarkerDefinitions(StringBuilder svg, List<String[]> series) {
        svg.append("<defs>\n");
        for (String[] s : series) {
            String colour = F_COLOURS.getOrDefault(s[0], OTHER_COLOUR);
            svg.append("<g id=\"").append(markerId(s[0], s[1])).append("\">");
            if (s[1].equals("ok") || s[1].equals("fail")) {
                String paint = s[1].equals("ok")
                        ? "fill=\"" + colour + "\" fill-opacity=\"0.7\" stroke=\"none\""
                        : "fill=\"none\" stroke=\"" + colour + "\" stroke-width=\"1.2\"";
                svg.append(switch (s[0]) {
                    case "write" -> "<rect x=\"-2.5\" y=\"-2.5\" width=\"5\" height=\"5\" " + paint + "/>";
                    case "cas" -> "<path d=\"M0 -3.5L3.5 0L0 3.5L-3.5 0Z\" " + paint + "/>";
                    default -> "<circle r=\"2.8\" " + paint + "/>";
                });
            } else {
                svg.append("<path d=\"M-3 -3L3 3M-3 3L3 -3\" stroke=\"").append(colour)
                        .append("\" stroke-width=\"1.6\"/>");
            }
            svg.append("</g>\n");
        }
        svg.append("</defs>\n");
    }

    private static void appendTitle(StringBuilder svg, String title, int pointCount, int drawnCount) {
        svg.append("<text x=\"").append(WIDTH / 2).append("\" y=\"20\" text-anchor=\"middle\" font-size=\"15\">")
                .append(Markup.escape(title)).append("</text>\n");
        if (drawnCount < pointCount) {
            svg.append("<text x=\"").append(WIDTH / 2)
                    .append("\" y=\"36\" text-anchor=\"middle\" fill=\"#555\">showing ").append(drawnCount)
                    .append(" of ").append(pointCount)
                    .append(" operations: every failed and indeterminate one, successful ones sampled evenly</text>\n");
        }
    }

    /**
     * Each period as a translucent band over the plot's full height, its label above the
     * plot. Labels go in the first of a few rows where they do not run into the previous
     * label, so that faults close together stay readable.
     */
    private static void appendPeriods(StringBuilder svg, List<Period> periods, Scale scale) {
        List<Period> sorted = new ArrayList<>(periods);
        sorted.sort(Comparator.comparingLong(Period::startNanos));
        double[] rowEnds = new double[LABEL_ROWS];
        Arrays.fill(rowEnds, Double.NEGATIVE_INFINITY);
        svg.append("<g class=\"nemesis\">\n");
        for (int i = 0; i < sorted.size(); i++) {
            Period period = sorted.get(i);
            double x1 = scale.x(period.startNanos());
            double width = Math.max(1, scale.x(period.endNanos()) - x1);
            String colour = FAULT_COLOURS.getOrDefault(firstWord(period.label()), OTHER_FAULT_COLOUR);
            svg.append("<rect class=\"period\" x=\"").append(fmt(x1)).append("\" y=\"").append(PLOT_TOP)
                    .append("\" width=\"").append(fmt(width)).append("\" height=\"").append(PLOT_BOTTOM - PLOT_TOP)
                    .append("\" fill=\"").append(colour).append("\" fill-opacity=\"0.15\"><title>")
                    .append(Markup.escape(period.label())).append("</title></rect>\n");
            int row = i % LABEL_ROWS;
            for (int r = 0; r < LABEL_ROWS; r++) {
                if (rowEnds[r] < x1) {
                    row = r;
                    break;
                }
            }
            rowEnds[row] = x1 + 4 + period.label().length() * LABEL_CHAR_WIDTH;
            int y = PLOT_TOP - 6 - (LABEL_ROWS - 1 - row) * LABEL_ROW_HEIGHT;
            svg.append("<line x1=\"").append(fmt(x1)).append("\" y1=\"").append(y + 2).append("\" x2=\"")
                    .append(fmt(x1)).append("\" y2=\"").append(PLOT_TOP).append("\" stroke=\"").append(colour)
                    .append("\" stroke-opacity=\"0.6\"/>");
            svg.append("<text class=\"period-label\" x=\"").append(fmt(x1 + 2)).append("\" y=\"").append(y)
                    .append("\" fill=\"").append(colour).append("\">").append(Markup.escape(period.label()))
                    .append("</text>\n");
        }
        svg.append("</g>\n");
    }

    private static void appendAxes(StringBuilder svg, Scale scale) {
        svg.append("<g class=\"axes\" stroke=\"#333\">\n");
        svg.append("<rect x=\"").append(PLOT_LEFT).append("\" y=\"").append(PLOT_TOP).append("\" width=\"")
                .append(PLOT_RIGHT - PLOT_LEFT).append("\" height=\"").append(PLOT_BOTTOM - PLOT_TOP)
                .append("\" fill=\"none\"/>\n");
        double step = tickStep(scale.xMaxSeconds());
        for (int i = 0; i * step <= scale.xMaxSeconds() * (1 + 1e-9); i++) {
            double seconds = i * step;
            double x = scale.x((long) (seconds * NANOS_PER_SECOND));
            svg.append("<line x1=\"").append(fmt(x)).append("\" y1=\"").append(PLOT_BOTTOM).append("\" x2=\"")
                    .append(fmt(x)).append("\" y2=\"").append(PLOT_BOTTOM + 5).append("\"/>")
                    .append("<text class=\"tick\" x=\"").append(fmt(x)).append("\" y=\"").append(PLOT_BOTTOM + 18)
                    .append("\" text-anchor=\"middle\" stroke=\"none\">").append(tickLabel(seconds, step))
                    .append("</text>\n");
        }
        for (int decade = 0; decade <= scale.decades(); decade++) {
            double y = PLOT_BOTTOM - (double) decade / scale.decades() * (PLOT_BOTTOM - PLOT_TOP);
            svg.append("<line x1=\"").append(PLOT_LEFT - 5).append("\" y1=\"").append(fmt(y)).append("\" x2=\"")
                    .append(PLOT_RIGHT).append("\" y2=\"").append(fmt(y))
                    .append("\" stroke=\"#ddd\"/><line x1=\"").append(PLOT_LEFT - 5).append("\" y1=\"")
                    .append(fmt(y)).append("\" x2=\"").append(PLOT_LEFT).append("\" y2=\"").append(fmt(y))
                    .append("\"/><text class=\"tick\" x=\"").append(PLOT_LEFT - 8).append("\" y=\"")
                    .append(fmt(y + 4)).append("\" text-anchor=\"end\" stroke=\"none\">")
                    .append(latencyLabel(decade)).append("</text>\n");
        }
        svg.append("<text class=\"axis-label\" x=\"").append((PLOT_LEFT + PLOT_RIGHT) / 2).append("\" y=\"")
                .append(PLOT_BOTTOM + 40).append("\" text-anchor=\"middle\" stroke=\"none\" font-size=\"12\">")
                .append("time since the start (s)</text>\n");
        int yMiddle = (PLOT_TOP + PLOT_BOTTOM) / 2;
        svg.append("<text class=\"axis-label\" x=\"20\" y=\"").append(yMiddle)
                .append("\" text-anchor=\"middle\" stroke=\"none\" font-size=\"12\" transform=\"rotate(-90 20 ")
                .append(yMiddle).append(")\">latency (ms, log scale)</text>\n");
        svg.append("</g>\n");
    }

    private static void appendPoints(StringBuilder svg, List<Point> points, Scale scale) {
        svg.append("<g class=\"points\">\n");
        for (Point point : points) {
            svg.append("<use xlink:href=\"#").append(markerId(point.f(), point.outcome())).append("\" x=\"")
                    .append(fmt(scale.x(point.startNanos()))).append("\" y=\"")
                    .append(fmt(scale.y(point.latencyNanos()))).append("\"/>\n");
        }
        svg.append("</g>\n");
    }

    private static void appendLegend(StringBuilder svg, List<String[]> series, boolean hasPeriods) {
        int x = PLOT_RIGHT + 20;
        int y = PLOT_TOP + 8;
        svg.append("<g class=\"legend\">\n");
        if (series.isEmpty()) {
            svg.append("<text x=\"").append(x).append("\" y=\"").append(y).append("\" fill=\"#555\">")
                    .append("no operations</text>\n");
            y += 18;
        }
        for (String[] s : series) {
            svg.append("<use xlink:href=\"#").append(markerId(s[0], s[1])).append("\" x=\"").append(x + 5)
                    .append("\" y=\"").append(y - 4).append("\"/><text x=\"").append(x + 16).append("\" y=\"")
                    .append(y).append("\">").append(Markup.escape(s[0] + " " + s[1])).append("</text>\n");
            y += 18;
        }
        if (hasPeriods) {
            svg.append("<rect x=\"").append(x).append("\" y=\"").append(y - 9).append("\" width=\"10\" height=\"10\"")
                    .append(" fill=\"").append(OTHER_FAULT_COLOUR).append("\" fill-opacity=\"0.3\"/><text x=\"")
                    .append(x + 16).append("\" y=\"").append(y).append("\">fault active</text>\n");
        }
        svg.append("</g>\n");
    }

    /**
     * The axes' ranges. The x axis spans the run (at least a second, so that an empty or
     * zero-length run still has an axis); the y axis spans whole decades from 1 ms to the
     * decade above the slowest operation, at least one decade. Latencies under 1 ms sit on
     * the bottom line.
     */
    private record Scale(double xMaxSeconds, int decades) {

        static Scale of(List<Point> points, List<Period> periods, long runNanos) {
            long xMaxNanos = Math.max(runNanos, 0);
            long latencyMaxNanos = 0;
            for (Point point : points) {
                xMaxNanos = Math.max(xMaxNanos, point.startNanos());
                latencyMaxNanos = Math.max(latencyMaxNanos, point.latencyNanos());
            }
            for (Period period : periods) {
                xMaxNanos = Math.max(xMaxNanos, period.endNanos());
            }
            double xMaxSeconds = Math.max(1.0, xMaxNanos / NANOS_PER_SECOND);
            double latencyMaxMs = latencyMaxNanos / NANOS_PER_MS;
            int decades = latencyMaxMs <= 1 ? 1 : Math.max(1, (int) Math.ceil(Math.log10(latencyMaxMs) - 1e-9));
            return new Scale(xMaxSeconds, decades);
        }

        double x(long nanos) {
            double seconds = Math.min(Math.max(nanos / NANOS_PER_SECOND, 0), xMaxSeconds);
            return PLOT_LEFT + seconds / xMaxSeconds * (PLOT_RIGHT - PLOT_LEFT);
        }

        double y(long latencyNanos) {
            double decadesUp = Math.log10(Math.max(latencyNanos / NANOS_PER_MS, 1.0));
            return PLOT_BOTTOM - Math.min(decadesUp / decades, 1.0) * (PLOT_BOTTOM - PLOT_TOP);
        }
    }

    /** A step of 1, 2 or 5 times a power of ten giving about ten ticks over {@code spanSeconds}. */
    static double tickStep(double spanSeconds) {
        double raw = spanSeconds / X_TICKS_TARGET;
        double power = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double multiple : new double[] {1, 2, 5}) {
            if (multiple * power >= raw) {
                return multiple * power;
            }
        }
        return 10 * power;
    }

    private static String tickLabel(double seconds, double step) {
        return step >= 1 ? Long.toString(Math.round(seconds)) : fmt(seconds);
    }

    private static String latencyLabel(int decade) {
        return switch (decade) {
            case 0 -> "1 ms";
            case 1 -> "10 ms";
            case 2 -> "100 ms";
            case 3 -> "1 s";
            case 4 -> "10 s";
            case 5 -> "100 s";
            default -> "1e" + decade + " ms";
        };
    }

    private static String markerId(String f, String outcome) {
        return "m-" + idPart(f) + "-" + idPart(outcome);
    }

    /** A name made safe for an XML id, kept distinct for distinct names by the hash. */
    private static String idPart(String name) {
        if (name.matches("[A-Za-z][A-Za-z0-9]*")) {
            return name;
        }
        return "x" + Integer.toHexString(name.hashCode());
    }

    private static String firstWord(String label) {
        String trimmed = label.strip();
        int space = trimmed.indexOf(' ');
        return (space < 0 ? trimmed : trimmed.substring(0, space)).toLowerCase(Locale.ROOT);
    }

    /** One decimal place, without String.format's cost on tens of thousands of points. */
    static String fmt(double value) {
        long tenths = Math.round(value * 10);
        long whole = tenths / 10;
        long tenth = Math.abs(tenths % 10);
        String sign = tenths < 0 && whole == 0 ? "-" : "";
        return tenth == 0 ? sign + whole : sign + whole + "." + tenth;
    }
}
