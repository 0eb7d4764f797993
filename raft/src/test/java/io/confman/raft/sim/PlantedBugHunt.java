package io.confman.raft.sim;

/**
 * Measures, for each planted bug, the first seed (counting from 1) on which the simulator
 * catches it, and how many of seeds 1..RATE_SEEDS catch it, with the command line's defaults;
 * its output is the table in SIMULATOR.md. With {@code --replay BUG SEED} it replays one seed
 * with the bug planted and prints the readable trace, as {@code confman sim --verbose} does
 * for the real core. Run after {@code mvn -pl raft test-compile}:
 * <pre>
 * java -cp raft/target/classes:raft/target/test-classes io.confman.raft.sim.PlantedBugHunt [SEEDS_MAX [RATE_SEEDS]]
 * java -cp raft/target/classes:raft/target/test-classes io.confman.raft.sim.PlantedBugHunt --replay BUG SEED
 * </pre>
 */
public final class PlantedBugHunt {

    private PlantedBugHunt() {
    }

    public static void main(String[] args) {
        if (args.length == 3 && args[0].equals("--replay")) {
            replay(PlantedBugs.valueOf(args[1]), Long.parseLong(args[2]));
            return;
        }
        int seedsMax = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
        int rateSeeds = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        for (PlantedBugs bug : PlantedBugs.values()) {
            measure(bug, seedsMax, rateSeeds);
        }
    }

    private static void measure(PlantedBugs bug, int seedsMax, int rateSeeds) {
        SimRunner runner = new SimRunner(0, SimCommand.DEFAULT_SAFETY_TICKS, bug.factory(), bug.disks(), 2);
        Simulator.Result failure = runner.run(1, seedsMax, true).firstFailure();
        if (failure == null) {
            System.out.printf("| %s | %s | not caught | > %d | |%n", bug, bug.howPlanted(), seedsMax);
            return;
        }
        int caught = runner.run(1, rateSeeds, false).failures();
        System.out.printf("| %s | %s | %s | %d | %d of %d | `%s` |%n      evidence: %s%n", bug,
                bug.howPlanted(), failure.violation().property(), failure.seed(), caught, rateSeeds,
                replayCommand(bug, failure.seed()), failure.violation().getMessage());
    }

    static String replayCommand(PlantedBugs bug, long seed) {
        return "java -cp raft/target/classes:raft/target/test-classes io.confman.raft.sim.PlantedBugHunt --replay "
                + bug + " " + seed;
    }

    private static void replay(PlantedBugs bug, long seed) {
        SimTrace trace = new SimTrace(System.out, null);
        Simulator.Result result = new Simulator(seed, 0, SimCommand.DEFAULT_SAFETY_TICKS, bug.factory(),
                bug.disks(), trace).run();
        System.out.println(result.ok() ? "OK: " + bug + " was not caught on seed " + seed
                : "FAILED seed " + seed + " with " + bug + ": " + result.violation().getMessage());
    }
}
