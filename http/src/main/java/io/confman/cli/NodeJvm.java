package io.confman.cli;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * How a node process is started from a running JVM (the process tests, the fault-injection
 * suite): the same java binary and classpath, the module flags Chronicle Bytes needs, the
 * node's heap and the collector settings {@code bin/confman} gives nodes (NODE.md, "JVM
 * settings"; a test checks that the launcher's line says the same).
 */
public final class NodeJvm {

    /** The node collector settings: short pauses with a small young generation, data promoted early. */
    public static final List<String> GC_FLAGS = List.of("-XX:+UseSerialGC", "-Xmn24m", "-XX:MaxTenuringThreshold=1");

    private NodeJvm() {
    }

    /** This JVM's java binary. */
    public static String javaBinary() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    /**
     * {@code java}, this JVM's {@code --add-opens}/{@code --add-exports} flags, {@code heap}
     * (e.g. {@code -Xmx128m}), {@code gcFlags}, {@code extra}, then {@code -cp} and this JVM's
     * classpath: ready for a main class and its arguments.
     */
    public static List<String> command(String heap, List<String> gcFlags, List<String> extra) {
        List<String> command = new ArrayList<>();
        command.add(javaBinary());
        for (String flag : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (flag.startsWith("--add-opens") || flag.startsWith("--add-exports")) {
                command.add(flag);
            }
        }
        command.add(heap);
        command.addAll(gcFlags);
        command.addAll(extra);
        command.addAll(List.of("-cp", System.getProperty("java.class.path")));
        return command;
    }
}
