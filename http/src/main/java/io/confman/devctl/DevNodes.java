package io.confman.devctl;

import io.confman.faults.Signals;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The node processes of {@code confman dev} and what the controller does to them: stop
 * (SIGKILL, a crash), restart (the same command, so the same data directory), pause
 * (SIGSTOP), resume (SIGCONT), isolate and heal (the links of a {@link LinkMesh}).
 *
 * <p>One lock guards every node's process and flags, so that actions on a node happen one
 * at a time and the exit of a process is judged against the state it ended in: a process
 * the controller killed is not reported as having died, and neither is any process once
 * {@link #shutdown} began.
 */
public final class DevNodes implements Controls {

    /** A SIGKILLed process ends at once; this bounds the wait should the kernel be slow. */
    static final long KILL_WAIT_MS = 10_000;
    /** On shutdown, a node that ignores SIGTERM this long is killed. */
    public static final long STOP_GRACE_MS = 10_000;

    /**
     * A node to run: its id, client URL, log file, and how its process starts (the same
     * builder for every start, so a restart runs the same command on the same data).
     */
    public record Spec(String id, String url, Path log, ProcessBuilder launcher) {
    }

    /** Told when a node's process ends that nobody stopped: a crash, or a refused start. */
    public interface ExitListener {
        void exited(Spec node, int status);
    }

    private static final class Node {
        final Spec spec;
        /** Null before the first start. */
        Process process;
        /** Set before SIGSTOP, cleared by SIGCONT, a stop or a restart. */
        boolean paused;
        /** The controller killed the current process: its exit is no news. */
        boolean stoppedOnPurpose;
        /** The current process ended with nobody stopping it. */
        boolean exitedOnItsOwn;

        Node(Spec spec) {
            this.spec = spec;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }
    }

    private final Map<String, Node> nodes = new LinkedHashMap<>();
    private final LinkMesh links;
    private final ExitListener exitListener;
    private boolean closing;

    public DevNodes(List<Spec> specs, LinkMesh links, ExitListener exitListener) {
        for (Spec spec : specs) {
            if (nodes.put(spec.id(), new Node(spec)) != null) {
                throw new IllegalArgumentException("member " + spec.id() + " is named twice");
            }
        }
        this.links = links;
        this.exitListener = exitListener;
    }

    /** Starts every node; false when {@link #shutdown} began first (nothing more is started). */
    public synchronized boolean startAll() throws IOException {
        for (Node node : nodes.values()) {
            if (closing) {
                return false;
            }
            launch(node);
        }
        return true;
    }

    private void launch(Node node) throws IOException {
        Process process = node.spec.launcher().start();
        node.process = process;
        node.paused = false;
        node.stoppedOnPurpose = false;
        node.exitedOnItsOwn = false;
        process.onExit().thenAccept(exited -> exited(node, exited));
    }

    private void exited(Node node, Process process) {
        boolean news;
        synchronized (this) {
            news = node.process == process && !node.stoppedOnPurpose && !closing;
            if (news) {
                node.exitedOnItsOwn = true;
            }
            notifyAll();
        }
        if (news) {
            exitListener.exited(node.spec, process.exitValue());
        }
    }

    /** True while node {@code id}'s process runs (paused included). */
    public synchronized boolean alive(String id) {
        return node(id).alive();
    }

    /** The process id of node {@code id}, or -1 when it has none running. */
    public synchronized long pid(String id) {
        Node node = node(id);
        return node.alive() ? node.process.pid() : -1;
    }

    private Node node(String id) {
        Node node = nodes.get(id);
        if (node == null) {
            throw new IllegalArgumentException("no member " + id);
        }
        return node;
    }

    @Override
    public synchronized List<Member> members() {
        List<Member> members = new ArrayList<>();
        for (Node node : nodes.values()) {
            members.add(new Member(node.spec.id(), node.spec.url(), state(node)));
        }
        return members;
    }

    private NodeState state(Node node) {
        if (!node.alive()) {
            return NodeState.STOPPED;
        }
        if (node.paused) {
            return NodeState.PAUSED;
        }
        return links.isolated(node.spec.id()) ? NodeState.ISOLATED : NodeState.RUNNING;
    }

    @Override
    public synchronized NodeState act(String id, Action action)
            throws ControlException, IOException, InterruptedException {
        Node node = nodes.get(id);
        if (node == null) {
            throw ControlException.notFound("no member " + id + "; the members are " + nodes.keySet());
        }
        if (closing) {
            throw ControlException.notApplicable("confman dev is stopping");
        }
        switch (action) {
            case STOP -> stop(node);
            case RESTART -> restart(node);
            case PAUSE -> pause(node);
            case RESUME -> resume(node);
            case ISOLATE -> {
                if (!links.isolate(id)) {
                    throw ControlException.notApplicable(id + " is isolated already");
                }
            }
            case HEAL -> {
                if (!links.heal(id)) {
                    throw ControlException.notApplicable(id + " is not isolated");
                }
            }
        }
        return state(node);
    }

    private void stop(Node node) throws ControlException, IOException, InterruptedException {
        if (!node.alive()) {
            throw ControlException.notApplicable(node.spec.id() + " is stopped already");
        }
        Process process = node.process;
        node.stoppedOnPurpose = true; // Before the signal: its exit must not be reported.
        process.destroyForcibly(); // SIGKILL; it ends a SIGSTOPped process too.
        if (!process.waitFor(KILL_WAIT_MS, TimeUnit.MILLISECONDS)) {
            throw new IOException(node.spec.id() + " (pid " + process.pid() + ") did not end within " + KILL_WAIT_MS
                    + " ms of SIGKILL");
        }
        node.paused = false;
    }

    private void restart(Node node) throws ControlException, IOException {
        if (node.alive()) {
            throw ControlException.notApplicable(node.spec.id() + " is running; stop it first");
        }
        launch(node);
    }

    private void pause(Node node) throws ControlException, IOException, InterruptedException {
        if (!node.alive()) {
            throw ControlException.notApplicable(node.spec.id() + " is stopped; restart it first");
        }
        if (node.paused) {
            throw ControlException.notApplicable(node.spec.id() + " is paused already");
        }
        node.paused = true; // Before the signal: whatever happens next, shutdown sends SIGCONT.
        Signals.send(node.process.pid(), "STOP");
    }

    private void resume(Node node) throws ControlException, IOException, InterruptedException {
        if (!node.alive() || !node.paused) {
            throw ControlException.notApplicable(node.spec.id() + " is not paused");
        }
        Signals.send(node.process.pid(), "CONT");
        node.paused = false;
    }

    /**
     * Blocks until every node's process ended with nobody stopping it; false when
     * {@link #shutdown} began first. A node the controller stopped keeps dev running, so
     * that it can be restarted.
     */
    public synchronized boolean awaitEveryNodeExitedOnItsOwn() throws InterruptedException {
        while (!closing && !nodes.values().stream().allMatch(node -> node.exitedOnItsOwn)) {
            wait();
        }
        return !closing;
    }

    /**
     * Stops every node and closes the links: SIGCONT to a paused node (else it could not
     * act on SIGTERM), SIGTERM to all, SIGKILL to whoever still runs after
     * {@link #STOP_GRACE_MS}. Nothing is started or reported after this begins.
     */
    public void shutdown(String command, PrintStream out) {
        Map<String, Process> running = new LinkedHashMap<>();
        int members;
        synchronized (this) {
            closing = true;
            notifyAll();
            members = nodes.size();
            for (Node node : nodes.values()) {
                if (node.alive()) {
                    running.put(node.spec.id(), node.process);
                    if (node.paused) {
                        resumeForShutdown(node, command, out);
                    }
                }
            }
        }
        running.values().forEach(Process::destroy);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MS);
        for (Map.Entry<String, Process> node : running.entrySet()) {
            Process process = node.getValue();
            try {
                long leftNanos = Math.max(0, deadline - System.nanoTime());
                if (!process.waitFor(leftNanos, TimeUnit.NANOSECONDS)) {
                    out.println(command + ": node " + node.getKey() + " ignored SIGTERM for " + STOP_GRACE_MS
                            + " ms; killing it");
                    process.destroyForcibly().waitFor();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        links.close();
        out.println(command + ": stopped " + members + " node(s)");
        out.flush();
    }

    private static void resumeForShutdown(Node node, String command, PrintStream out) {
        try {
            Signals.send(node.process.pid(), "CONT");
            node.paused = false;
        } catch (IOException e) {
            out.println(command + ": could not resume paused node " + node.spec.id() + " (" + e.getMessage()
                    + "); killing it");
            node.process.destroyForcibly();
        } catch (InterruptedException e) {
            node.process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
