package io.confman.raft;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterIdentityTest {

    @Test
    void theAddressListIdentityIgnoresOrderButNotAnyAddress() {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("n1", "127.0.0.1:7001");
        forward.put("n2", "127.0.0.1:7002");
        forward.put("n3", "127.0.0.1:7003");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("n3", "127.0.0.1:7003");
        backward.put("n2", "127.0.0.1:7002");
        backward.put("n1", "127.0.0.1:7001");
        assertEquals(ClusterIdentity.ofAddresses(forward), ClusterIdentity.ofAddresses(backward));

        Map<String, String> moved = new LinkedHashMap<>(forward);
        moved.put("n3", "127.0.0.1:7004");
        assertNotEquals(ClusterIdentity.ofAddresses(forward), ClusterIdentity.ofAddresses(moved));
        assertNotEquals(ClusterIdentity.ofAddresses(forward), ClusterIdentity.of(List.of("n1", "n2", "n3")));
    }

    @Test
    void addressesWithSeparatorsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> ClusterIdentity.ofAddresses(Map.of("n1", "a,b")));
        assertThrows(IllegalArgumentException.class,
                () -> ClusterIdentity.ofAddresses(Map.of("n=1", "127.0.0.1:1")));
    }
}
