package io.confman.jepsen.knossos;

import java.util.List;
import java.util.Objects;

/**
 * The result of one Knossos run, for the harness's report.
 *
 * @param verdict the run's verdict
 * @param reason  a sentence a person can act on: which histories failed, or why Knossos
 *                could not give a verdict
 * @param files   the verdict on each file the checker reported, in its order
 * @param output  what the checker and its launcher printed, standard output and error merged
 */
public record KnossosOutcome(KnossosVerdict verdict, String reason, List<KnossosFileVerdict> files, String output) {

    public KnossosOutcome {
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(output, "output");
        files = List.copyOf(files);
    }

    /** True only for {@link KnossosVerdict#VALID}. */
    public boolean passed() {
        return verdict == KnossosVerdict.VALID;
    }
}
