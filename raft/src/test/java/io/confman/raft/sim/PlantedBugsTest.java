package io.confman.raft.sim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The simulator has teeth: with one of Raft's rules removed, it fails within a stated number
 * of seeds and names the property the bug breaks. The bounds are a few times the seed counts
 * measured for SIMULATOR.md, so that a change of fault options does not make this flaky.
 */
class PlantedBugsTest {

    @ParameterizedTest(name = "{0} is caught within {1} seeds as {2}")
    @CsvSource({
            "VOTE_WITHOUT_LOG_CHECK, 40, Leader Completeness",
            "READ_INDEX_WITHOUT_HEARTBEAT, 40, Linearizable read",
            "VOTE_TWICE_IN_A_TERM, 40, Election Safety",
            "DISK_KEEPS_CONFLICTING_SUFFIX, 200, Log Matching",
    })
    void caughtWithin(PlantedBugs bug, int seedsMax, String property) {
        SimRunner runner = new SimRunner(0, SimCommand.DEFAULT_SAFETY_TICKS, bug.factory(), bug.disks(), 2);
        Simulator.Result failure = runner.run(1, seedsMax, true).firstFailure();
        assertNotNull(failure, bug + " survived " + seedsMax + " seeds");
        assertEquals(property, failure.violation().property().split(" \\(")[0],
                bug + " at seed " + failure.seed() + ": " + failure.violation().getMessage());
    }
}
