package io.confman.devctl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Which links an isolation cuts and a heal restores; the proxies' own behaviour is LinkProxyTest's. */
class LinkMeshTest {

    private static final List<String> IDS = List.of("n1", "n2", "n3");
    private LinkMesh mesh;

    @BeforeEach
    void start() throws Exception {
        Map<String, InetSocketAddress> peers = new LinkedHashMap<>();
        // Nothing listens at the targets: no connection is made in these tests.
        int port = 1;
        for (String id : IDS) {
            peers.put(id, new InetSocketAddress("127.0.0.1", port++));
        }
        mesh = LinkMesh.start(peers);
    }

    @AfterEach
    void stop() {
        mesh.close();
    }

    private boolean cut(String from, String to) {
        return mesh.link(from, to).isCut();
    }

    @Test
    void eachNodeDialsEveryPeerThroughItsOwnProxy() {
        String dial = mesh.peerDial("n1");
        assertEquals("n2=127.0.0.1:" + mesh.link("n1", "n2").address().getPort() + ",n3=127.0.0.1:"
                + mesh.link("n1", "n3").address().getPort(), dial);
        assertFalse(mesh.link("n1", "n2").address().getPort() == mesh.link("n2", "n1").address().getPort(),
                "one proxy per direction");
    }

    @Test
    void isolatingCutsEveryLinkToAndFromTheNodeOnly() {
        assertTrue(mesh.isolate("n1"));
        assertTrue(mesh.isolated("n1"));
        assertTrue(cut("n1", "n2") && cut("n2", "n1") && cut("n1", "n3") && cut("n3", "n1"));
        assertFalse(cut("n2", "n3") || cut("n3", "n2"), "the others still reach each other");
        assertFalse(mesh.isolate("n1"), "isolated already");

        assertTrue(mesh.heal("n1"));
        assertFalse(mesh.isolated("n1"));
        for (String from : IDS) {
            for (String to : IDS) {
                assertFalse(!from.equals(to) && cut(from, to), from + " -> " + to + " healed");
            }
        }
        assertFalse(mesh.heal("n1"), "not isolated");
    }

    @Test
    void healingOneOfTwoIsolatedNodesKeepsTheLinkBetweenThemCut() {
        mesh.isolate("n1");
        mesh.isolate("n2");
        mesh.heal("n1");
        assertTrue(cut("n1", "n2") && cut("n2", "n1"), "n2 is still isolated");
        assertFalse(cut("n1", "n3") || cut("n3", "n1"));
        assertTrue(cut("n2", "n3") && cut("n3", "n2"));
    }

    @Test
    void refusesAnUnknownMember() {
        assertThrows(IllegalArgumentException.class, () -> mesh.isolate("n9"));
        assertThrows(IllegalArgumentException.class, () -> mesh.heal("n9"));
    }
}
