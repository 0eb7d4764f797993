package io.confman.raft.sim;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The simulator has teeth: with one of Raft's rules removed, it fails within a stated number
 * of seeds and names a property the bug breaks (a pattern, since a bug may surface as more
 * than one). The bounds are several times the seed counts measured for SIMULATOR.md, so that
 * a change of fault options does not make this flaky.
 */
class PlantedBugsTest {

    @ParameterizedTest(name = "{0} is caught within {1} seeds as {2}")
    @CsvSource(delimiter = ';', value = {
            "VOTE_WITHOUT_LOG_CHECK; 20; Leader Completeness|State Machine Safety|Log Matching",
            "READ_INDEX_WITHOUT_HEARTBEAT; 20; Linearizable read",
            "VOTE_TWICE_IN_A_TERM; 20; Election Safety",
            "DISK_KEEPS_CONFLICTING_SUFFIX; 100; Log Matching|Core assertion",
    })
    void caughtWithin(PlantedBugs bug, int seedsMax, String properties) {
        SimRunner runner = new SimRunner(0, SimCommand.DEFAULT_SAFETY_TICKS, bug.factory(), bug.disks(), 2);
        Simulator.Result failure = runner.run(1, seedsMax, true).firstFailure();
        assertNotNull(failure, bug + " survived " + seedsMax + " seeds");
        String property = failure.violation().property().split(" \\(")[0];
        assertTrue(property.matches(properties),
                bug + " at seed " + failure.seed() + " broke " + property + ", expected " + properties
                        + ": " + failure.violation().getMessage());
    }
}
