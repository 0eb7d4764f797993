package io.confman.jepsen.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.jepsen.history.HistoryGenerator;
import io.confman.jepsen.history.Op;
import io.confman.jepsen.history.OpFunction;
import io.confman.jepsen.history.OpType;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class HtmlTimelineTest {

    @Test
    void aFailingKeyIsDrawnSelfContainedWithItsCounterexampleHighlighted() {
        List<Op> ops = new ArrayList<>(HistoryGenerator.generate(9, HistoryGenerator.Config.of(1, 2_000)));
        int at = -1;
        for (int i = ops.size() / 2; at < 0; i++) {
            if (ops.get(i).type() == OpType.OK && ops.get(i).f() == OpFunction.READ) {
                at = i;
            }
        }
        Op read = ops.get(at);
        ops.set(at, Op.ok(read.index(), read.process(), OpFunction.READ, read.key(), -5L, read.timeNanos()));
        CheckResult result = LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS);
        assertEquals(Verdict.FALSE, result.verdict());
        String html = HtmlTimeline.render(result.failedKeys().get(0));
        assertTrue(html.startsWith("<!DOCTYPE html>"));
        assertTrue(html.contains("<svg"));
        assertTrue(html.contains("Timeline of key &quot;k0&quot;"), "the key, escaped");
        assertTrue(html.contains("class=\"ok failed\""), "the failed read outlined");
        assertTrue(html.contains("r -5 :ok"), "labelled with what it read");
        assertTrue(html.contains(" #"), "places in the linearizable prefix");
        assertTrue(html.contains("Showing events "), "a long history is shown as a window");
        assertTrue(html.contains("process "));
        for (String external : List.of("<script", "src=", "href=", "url(", "<link", "@import")) {
            assertFalse(html.contains(external), "no external asset: " + external);
        }
        assertTrue(html.length() < 1_000_000, "a window, not the whole history: " + html.length());
    }

    @Test
    void infoAndFailBarsAreDrawnApart() {
        List<Op> ops = List.of(
                Op.invoke(0, 0, OpFunction.WRITE, null, 1L, 0),
                Op.ok(1, 0, OpFunction.WRITE, null, 1L, 1),
                Op.invoke(2, 1, OpFunction.WRITE, null, 2L, 2),
                Op.invoke(3, 2, OpFunction.WRITE, null, 3L, 3),
                Op.fail(4, 2, OpFunction.WRITE, null, 3L, 4, null),
                Op.info(5, 1, OpFunction.WRITE, null, 2L, 5, new io.confman.jepsen.history.Keyword("timeout")),
                Op.invoke(6, 0, OpFunction.READ, null, null, 6),
                Op.ok(7, 0, OpFunction.READ, null, 3L, 7));
        CheckResult result = LinearizabilityChecker.check(ops, CheckOptions.DEFAULTS);
        assertEquals(Verdict.FALSE, result.verdict());
        String html = HtmlTimeline.render(result.keys().get(0));
        assertTrue(html.contains("class=\"info"), html);
        assertTrue(html.contains("class=\"fail"), html);
        assertTrue(html.contains("w 3 :fail"), html);
        assertTrue(html.contains("w 2 :info"), html);
    }
}
