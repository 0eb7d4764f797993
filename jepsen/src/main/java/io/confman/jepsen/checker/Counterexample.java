package io.confman.jepsen.checker;

import io.confman.jepsen.history.CasValue;
import io.confman.jepsen.history.Edn;
import io.confman.jepsen.history.OpFunction;
import java.util.ArrayList;
import java.util.List;

/**
 * Why a key's history is not linearizable, in the form Knossos and Porcupine give: the
 * longest prefix of a linearization the search could build, the operation that could not
 * come next, the values the register could hold at that point, and the operations
 * concurrent with it. At the end of that prefix every operation invoked before
 * {@code failed} returned is illegal in each possible state, including {@code failed}
 * itself, and {@code failed} must take effect before it returns: no order works.
 *
 * @param key the register, null in a single-register history
 * @param prefix the longest linearizable prefix found, in linearization order
 * @param failed the operation that could not be linearized after it
 * @param possibleStates the register's values after each longest prefix found (at most a
 *     few), in the order found
 * @param concurrent the operations not in the prefix invoked before {@code failed}
 *     returned, other than {@code failed}
 */
public record Counterexample(Object key, List<Operation> prefix, Operation failed, List<Object> possibleStates,
                             List<Operation> concurrent) {

    /** How many operations of the prefix {@link #text} prints. */
    public static final int PREFIX_SHOWN = 8;

    /** Every operation the timeline highlights: the failed one and those concurrent with it. */
    public List<Operation> highlighted() {
        List<Operation> all = new ArrayList<>(concurrent);
        all.add(failed);
        return all;
    }

    /** One sentence on why {@code failed} cannot take effect. */
    public String why() {
        String states = statesText();
        Object value = failed.value();
        String what = switch (failed.f()) {
            case READ -> "it read " + Edn.write(value) + ", but the register held " + states;
            case CAS -> "it expected " + Edn.write(((CasValue) value).expected()) + ", but the register held "
                    + states;
            case WRITE -> "it could not be placed after the register held " + states;
        };
        String others = concurrent.isEmpty() ? "no operation was concurrent with it"
                : "none of the " + concurrent.size() + " operations concurrent with it could take effect first";
        return what + " after the longest linearizable prefix, and " + others;
    }

    private String statesText() {
        List<String> texts = new ArrayList<>();
        for (Object state : possibleStates) {
            texts.add(Edn.write(state));
        }
        return texts.size() == 1 ? texts.get(0) : String.join(" or ", texts);
    }

    /** The counterexample as lines of EDN-ish text a person can follow. */
    public List<String> lines() {
        List<String> lines = new ArrayList<>();
        if (key != null) {
            lines.add(":key " + Edn.write(key));
        }
        lines.add(":op " + failed.describe());
        lines.add(":why \"" + why().replace("\"", "\\\"") + "\"");
        lines.add(":possible-states [" + String.join(" ", possibleStates.stream().map(Edn::write).toList()) + "]");
        int shown = Math.min(PREFIX_SHOWN, prefix.size());
        lines.add(":linearized-prefix " + prefix.size() + " ; operations that took effect in this order"
                + (shown < prefix.size() ? ", the last " + shown + ":" : ":"));
        for (Operation op : prefix.subList(prefix.size() - shown, prefix.size())) {
            lines.add("  " + op.describe() + stateAfter(op));
        }
        lines.add(":concurrent " + concurrent.size() + " ; not linearized, invoked before :op returned:");
        for (Operation op : concurrent) {
            lines.add("  " + op.describe());
        }
        return lines;
    }

    private static String stateAfter(Operation op) {
        if (op.f() == OpFunction.WRITE) {
            return " ; register := " + Edn.write(op.value());
        }
        if (op.f() == OpFunction.CAS) {
            return " ; register := " + Edn.write(((CasValue) op.value()).next());
        }
        return "";
    }

    /** {@link #lines} joined with line breaks. */
    public String text() {
        return String.join("\n", lines());
    }
}
