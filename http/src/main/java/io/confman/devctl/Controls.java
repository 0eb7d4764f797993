package io.confman.devctl;

import java.io.IOException;
import java.util.List;

/** What the controller's routes need from the cluster: who is there, and one action at a time. */
public interface Controls {

    /** One member: its id, its client URL and its state now. */
    record Member(String id, String url, NodeState state) {
    }

    /** Every member, in member-list order. */
    List<Member> members();

    /**
     * Applies {@code action} to member {@code id} and returns its state afterwards.
     *
     * @throws ControlException 404 for no such member, 400 when the action does not apply
     * @throws IOException      when a signal or a process start fails
     */
    NodeState act(String id, Action action) throws ControlException, IOException, InterruptedException;
}
