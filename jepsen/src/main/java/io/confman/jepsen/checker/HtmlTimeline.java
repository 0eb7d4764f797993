package io.confman.jepsen.checker;

import io.confman.jepsen.history.Edn;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpType;
import io.confman.jepsen.report.Markup;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One key's history drawn as a self-contained HTML page (inline CSS and SVG, nothing
 * fetched), so that a person can see why it is not linearizable: one lane per process,
 * each operation a bar from its invocation to its completion, labelled with what it did.
 *
 * <p>The horizontal axis is the order of events, not time: every event gets the same
 * width, so overlaps that matter are visible however short they were. Indeterminate bars
 * ({@code :info} or never completed) run open-ended to the right edge; {@code :fail} bars
 * are grey. The counterexample's operation is outlined in red, those concurrent with it in
 * orange, and each operation of the linearizable prefix carries its place in it
 * ({@code #12}). A long history is shown around the counterexample only, at most
 * {@value #EVENTS_SHOWN_MAX} events, with the range said above the drawing.
 */
public final class HtmlTimeline {

    /** The most events drawn; beyond that the page shows a window. */
    public static final int EVENTS_SHOWN_MAX = 400;

    private static final int SLOT_PX = 32;
    private static final int LANE_PX = 34;
    private static final int BAR_PX = 22;
    private static final int LEFT_PX = 90;
    private static final int TOP_PX = 24;

    private HtmlTimeline() {
    }

    /** The page for {@code key}'s history. */
    public static String render(KeyResult key) {
        List<Operation> operations = key.operations();
        List<Op> events = new ArrayList<>();
        for (Operation op : operations) {
            events.add(op.invocation());
            if (op.completion() != null) {
                events.add(op.completion());
            }
        }
        events.sort((a, b) -> Long.compare(a.index(), b.index()));
        Map<Op, Integer> rank = new HashMap<>();
        for (int i = 0; i < events.size(); i++) {
            rank.put(events.get(i), i);
        }
        Counterexample counterexample = key.counterexample();
        int[] window = window(counterexample, rank, events.size());
        Set<Operation> failed = new HashSet<>();
        Set<Operation> concurrent = new HashSet<>();
        Map<Operation, Integer> prefixPlace = new HashMap<>();
        if (counterexample != null) {
            failed.add(counterexample.failed());
            concurrent.addAll(counterexample.concurrent());
            for (int i = 0; i < counterexample.prefix().size(); i++) {
                prefixPlace.put(counterexample.prefix().get(i), i + 1);
            }
        }
        TreeSet<Long> processes = new TreeSet<>();
        List<Operation> shown = new ArrayList<>();
        for (Operation op : operations) {
            int start = rank.get(op.invocation());
            int end = op.completion() == null ? events.size() : rank.get(op.completion());
            if (end >= window[0] && start < window[1]) {
                shown.add(op);
                processes.add(op.process());
            }
        }
        Map<Long, Integer> lane = new HashMap<>();
        for (long process : processes) {
            lane.put(process, lane.size());
        }
        int slots = window[1] - window[0];
        int width = LEFT_PX + (slots + 2) * SLOT_PX;
        int height = TOP_PX + lane.size() * LANE_PX + 10;

        StringBuilder html = new StringBuilder(64 * 1024);
        String title = "Timeline of " + (key.key() == null ? "the register" : "key " + Edn.write(key.key()));
        html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>").append(Markup.escape(title))
                .append("</title>\n<style>\n")
                .append("body{font-family:sans-serif;margin:16px;color:#222}\n")
                .append(".scroll{overflow-x:auto;border:1px solid #ccc}\n")
                .append("svg text{font-size:11px;font-family:monospace}\n")
                .append(".ok{fill:#d8e8f8;stroke:#5a7fa8}.fail{fill:#eee;stroke:#aaa}\n")
                .append(".info{fill:#fff3d6;stroke:#c9a13b;stroke-dasharray:4 3}\n")
                .append(".failed{stroke:#d00;stroke-width:3}.concurrent{stroke:#e68a00;stroke-width:2}\n")
                .append(".grey{fill:#999}.lane{stroke:#eee}.legend span{display:inline-block;padding:2px 8px;"
                        + "margin-right:6px;border:1px solid #999}\n")
                .append("pre{background:#f6f6f6;padding:8px;overflow-x:auto}\n")
                .append("</style></head><body>\n<h1>").append(Markup.escape(title)).append("</h1>\n<p>Verdict: <b>")
                .append(Markup.escape(key.verdict().edn())).append("</b>; ").append(key.operationCount())
                .append(" operations. Showing events ").append(window[0]).append(" to ").append(window[1] - 1)
                .append(" of ").append(events.size())
                .append(" (position in this key's history; one column per event).</p>\n")
                .append("<p class=\"legend\"><span style=\"background:#d8e8f8\">ok</span>")
                .append("<span style=\"background:#eee;color:#999\">fail (no effect)</span>")
                .append("<span style=\"background:#fff3d6\">info or unfinished (open-ended)</span>")
                .append("<span style=\"border:3px solid #d00\">could not be linearized</span>")
                .append("<span style=\"border:2px solid #e68a00\">concurrent with it</span>")
                .append("<span>#n: place in the longest linearizable prefix</span></p>\n");
        if (counterexample != null) {
            html.append("<pre>").append(Markup.escape(counterexample.text())).append("</pre>\n");
        }
        html.append("<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(width)
                .append("\" height=\"").append(height).append("\">\n");
        for (Map.Entry<Long, Integer> entry : lane.entrySet()) {
            int y = TOP_PX + entry.getValue() * LANE_PX;
            html.append("<line class=\"lane\" x1=\"0\" x2=\"").append(width).append("\" y1=\"").append(y + LANE_PX - 4)
                    .append("\" y2=\"").append(y + LANE_PX - 4).append("\"/>")
                    .append("<text x=\"4\" y=\"").append(y + 15).append("\">process ").append(entry.getKey())
                    .append("</text>\n");
        }
        for (Operation op : shown) {
            bar(html, op, rank, events.size(), window, lane.get(op.process()), failed.contains(op),
                    concurrent.contains(op), prefixPlace.get(op));
        }
        html.append("</svg></div>\n</body></html>\n");
        return html.toString();
    }

    /** The events drawn, [from, to): all of them, or a window ending after the counterexample. */
    private static int[] window(Counterexample counterexample, Map<Op, Integer> rank, int eventCount) {
        if (eventCount <= EVENTS_SHOWN_MAX) {
            return new int[] {0, eventCount};
        }
        if (counterexample == null) {
            return new int[] {0, EVENTS_SHOWN_MAX};
        }
        Operation failed = counterexample.failed();
        int end = Math.min(eventCount, rank.get(failed.completion()) + 1 + 20);
        int from = rank.get(failed.invocation());
        for (Operation op : counterexample.concurrent()) {
            from = Math.min(from, rank.get(op.invocation()));
        }
        List<Operation> prefix = counterexample.prefix();
        for (Operation op : prefix.subList(Math.max(0, prefix.size() - Counterexample.PREFIX_SHOWN), prefix.size())) {
            from = Math.min(from, rank.get(op.invocation()));
        }
        from = Math.max(0, Math.max(from - 20, end - EVENTS_SHOWN_MAX));
        return new int[] {from, end};
    }

    private static void bar(StringBuilder html, Operation op, Map<Op, Integer> rank, int eventCount, int[] window,
                            int lane, boolean failed, boolean concurrent, Integer prefixPlace) {
        int start = Math.max(rank.get(op.invocation()), window[0] - 1);
        boolean open = op.completion() == null || op.outcome() == OpType.INFO;
        int end = op.completion() == null || open ? window[1] + 1 : Math.min(rank.get(op.completion()), window[1]);
        int x = LEFT_PX + (start - window[0] + 1) * SLOT_PX + 4;
        int w = Math.max(8, (end - start) * SLOT_PX - 8);
        int y = TOP_PX + lane * LANE_PX;
        String kind = open ? "info" : op.outcome() == OpType.FAIL ? "fail" : "ok";
        String highlight = failed ? " failed" : concurrent ? " concurrent" : "";
        html.append("<g><title>").append(Markup.escape(op.describe())).append("</title>")
                .append("<rect class=\"").append(kind).append(highlight).append("\" x=\"").append(x).append("\" y=\"")
                .append(y).append("\" width=\"").append(w).append("\" height=\"").append(BAR_PX)
                .append("\" rx=\"3\"/>");
        String label = op.label() + (op.outcome() == null ? " (never completed)" : " :" + op.outcome().keyword())
                + (prefixPlace == null ? "" : " #" + prefixPlace);
        html.append("<text").append(kind.equals("fail") ? " class=\"grey\"" : "").append(" x=\"").append(x + 3)
                .append("\" y=\"").append(y + 15).append("\">").append(Markup.escape(label)).append("</text></g>\n");
    }
}
