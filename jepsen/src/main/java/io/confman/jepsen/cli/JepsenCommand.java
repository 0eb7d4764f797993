package io.confman.jepsen.cli;

import java.util.Arrays;

/**
 * {@code confman jepsen}: a fault-injection run against real node processes, or, as
 * {@code confman jepsen check FILE.edn}, the linearizability check of a history already
 * written.
 */
public final class JepsenCommand {

    private JepsenCommand() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("check")) {
            System.exit(io.confman.jepsen.checker.CheckCommand.run(Arrays.copyOfRange(args, 1, args.length),
                    System.out, System.err));
        }
        System.err.println("confman jepsen: the fault-injection run is not built yet");
        System.exit(2);
    }
}
