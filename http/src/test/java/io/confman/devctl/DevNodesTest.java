package io.confman.devctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.confman.testing.Conditions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node processes and what the controller does to them, with {@code sleep} standing in
 * for a node: real processes and real signals, without the cost of a JVM each.
 */
class DevNodesTest {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final Duration POLL = Duration.ofMillis(20);

    @TempDir
    Path dir;

    private LinkMesh links;
    private DevNodes nodes;
    private final List<String> reported = new CopyOnWriteArrayList<>();
    /** Handles taken while the processes ran: a handle knows its start time, so a reused pid is not killed. */
    private final List<ProcessHandle> started = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        peers.put("n1", new InetSocketAddress("127.0.0.1", 1));
        peers.put("n2", new InetSocketAddress("127.0.0.1", 2));
        links = LinkMesh.start(peers);
        List<DevNodes.Spec> specs = new ArrayList<>();
        for (String id : peers.keySet()) {
            Path log = dir.resolve(id + ".log");
            specs.add(new DevNodes.Spec(id, "http://127.0.0.1:0", log, new ProcessBuilder("sleep", "600")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))));
        }
        nodes = new DevNodes(specs, links, (node, status) -> reported.add(node.id() + " " + status));
        assertTrue(nodes.startAll());
        remember();
    }

    /** Notes the current processes, so that the clean-up kills every one started. */
    private void remember() {
        for (String id : List.of("n1", "n2")) {
            long pid = nodes.pid(id);
            if (pid > 0) {
                ProcessHandle.of(pid).ifPresent(started::add);
            }
        }
    }

    @AfterEach
    void stop() {
        started.forEach(ProcessHandle::destroyForcibly);
        links.close();
    }

    private NodeState state(String id) {
        return nodes.members().stream().filter(m -> m.id().equals(id)).findFirst().orElseThrow().state();
    }

    /** The process state letter in /proc/PID/stat: T when stopped by a signal. */
    private static char procState(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException gone) {
            return '-';
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        Conditions.await(what, DEADLINE, POLL, () -> condition.getAsBoolean() ? Boolean.TRUE : null);
    }

    private void refused(String id, Action action) {
        ControlException refused = assertThrows(ControlException.class, () -> nodes.act(id, action));
        assertEquals(400, refused.status(), refused.getMessage());
    }

    @Test
    void pauseAndResumeSignalTheProcess() throws Exception {
        long pid = nodes.pid("n1");
        assertEquals(NodeState.PAUSED, nodes.act("n1", Action.PAUSE));
        await("n1 stopped by SIGSTOP", () -> procState(pid) == 'T');
        refused("n1", Action.PAUSE);
        refused("n1", Action.RESTART);
        assertEquals(NodeState.RUNNING, nodes.act("n1", Action.RESUME));
        await("n1 running again after SIGCONT", () -> procState(pid) == 'S' || procState(pid) == 'R');
        refused("n1", Action.RESUME);
        assertEquals(NodeState.RUNNING, state("n2"));
        assertEquals(List.of(), reported);
    }

    @Test
    void stopKillsAndRestartRunsTheSameCommandAgain() throws Exception {
        long pid = nodes.pid("n1");
        assertEquals(NodeState.STOPPED, nodes.act("n1", Action.STOP));
        assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "killed and reaped");
        assertFalse(nodes.alive("n1"));
        refused("n1", Action.STOP);
        refused("n1", Action.PAUSE);
        refused("n1", Action.RESUME);

        assertEquals(NodeState.RUNNING, nodes.act("n1", Action.RESTART));
        remember();
        assertNotEquals(pid, nodes.pid("n1"));
        assertTrue(nodes.alive("n1"));
        refused("n1", Action.RESTART);
        assertEquals(List.of(), reported, "a stop by the controller is not reported as a death");
    }

    @Test
    void aPausedNodeCanBeStopped() throws Exception {
        nodes.act("n1", Action.PAUSE);
        assertEquals(NodeState.STOPPED, nodes.act("n1", Action.STOP));
        assertEquals(NodeState.RUNNING, nodes.act("n1", Action.RESTART), "and comes back not paused");
        remember();
    }

    @Test
    void isolationIsTheLinksAndOutlivesARestart() throws Exception {
        assertEquals(NodeState.ISOLATED, nodes.act("n2", Action.ISOLATE));
        assertTrue(links.link("n1", "n2").isCut() && links.link("n2", "n1").isCut());
        refused("n2", Action.ISOLATE);
        assertEquals(NodeState.PAUSED, nodes.act("n2", Action.PAUSE), "paused wins over isolated");
        assertEquals(NodeState.STOPPED, nodes.act("n2", Action.STOP));
        assertEquals(NodeState.ISOLATED, nodes.act("n2", Action.RESTART));
        remember();
        assertEquals(NodeState.RUNNING, nodes.act("n2", Action.HEAL));
        assertFalse(links.link("n1", "n2").isCut() || links.link("n2", "n1").isCut());
        refused("n2", Action.HEAL);
    }

    @Test
    void anUnknownMemberIs404() {
        ControlException refused = assertThrows(ControlException.class, () -> nodes.act("n9", Action.STOP));
        assertEquals(404, refused.status());
    }

    @Test
    void aNodeThatDiesOnItsOwnIsReportedAndShowsAsStopped() throws Exception {
        ProcessHandle.of(nodes.pid("n1")).orElseThrow().destroyForcibly();
        await("n1's death reported", () -> reported.size() == 1);
        assertEquals("n1 137", reported.get(0));
        assertEquals(NodeState.STOPPED, state("n1"));
        assertEquals(NodeState.RUNNING, nodes.act("n1", Action.RESTART));
        remember();

        ProcessHandle.of(nodes.pid("n1")).orElseThrow().destroyForcibly();
        ProcessHandle.of(nodes.pid("n2")).orElseThrow().destroyForcibly();
        await("both deaths reported", () -> reported.size() == 3);
        assertTrue(nodes.awaitEveryNodeExitedOnItsOwn(), "every node died: dev ends");
    }

    @Test
    void shutdownResumesAPausedNodeAndEndsEveryProcess() throws Exception {
        nodes.act("n1", Action.PAUSE);
        long paused = nodes.pid("n1");
        await("n1 stopped by SIGSTOP", () -> procState(paused) == 'T');
        List<ProcessHandle> processes = List.of(ProcessHandle.of(paused).orElseThrow(),
                ProcessHandle.of(nodes.pid("n2")).orElseThrow());
        Thread waiter = new Thread(() -> {
            try {
                reported.add("await " + nodes.awaitEveryNodeExitedOnItsOwn());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        waiter.start();

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        nodes.shutdown("confman dev", new PrintStream(out, true, StandardCharsets.UTF_8));
        for (ProcessHandle process : processes) {
            assertFalse(process.isAlive(), "pid " + process.pid() + " left behind");
        }
        assertEquals("confman dev: stopped 2 node(s)\n", out.toString(StandardCharsets.UTF_8));
        waiter.join(DEADLINE.toMillis());
        assertEquals(List.of("await false"), reported, "no death reported while stopping; dev's wait ends");
        ControlException refused = assertThrows(ControlException.class, () -> nodes.act("n1", Action.RESTART));
        assertEquals(400, refused.status(), "nothing starts once stopping");
    }
}
