package io.confman.raft.sim;

/**
 * Measures, for each planted bug, the first seed (counting from 1) on which the simulator
 * catches it, and how many of seeds 1..RATE_SEEDS catch it, with the command line's
 * defaults. Its output is the table in SIMULATOR.md:
 * {@code java -cp raft/target/classes:raft/target/test-classes io.confman.raft.sim.PlantedBugHunt [SEEDS_MAX [RATE_SEEDS]]}.
 */
public final class PlantedBugHunt {

    private PlantedBugHunt() {
    }

    public static void main(String[] args) {
        int seedsMax = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rateSeeds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        for (PlantedBugs bug : PlantedBugs.values()) {
            SimRunner runner = new SimRunner(0, SimCommand.DEFAULT_SAFETY_TICKS, bug.factory(), bug.disks(), 2);
            Simulator.Result failure = runner.run(1, seedsMax, true).firstFailure();
            if (failure == null) {
                System.out.printf("| %s | %s | not caught | > %d | |%n", bug, bug.howPlanted(), seedsMax);
                continue;
            }
            int caught = runner.run(1, rateSeeds, false).failures();
            System.out.printf("| %s | %s | %s | %d | %d of %d | `%s` |%n      evidence: %s%n", bug,
                    bug.howPlanted(), failure.violation().property(), failure.seed(), caught, rateSeeds,
                    SimCommand.replayCommand(failure, SimCommand.DEFAULT_SAFETY_TICKS),
                    failure.violation().getMessage());
        }
    }
}
