package io.confman.raft;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The name of a cluster, derived from its fixed member list: the SHA-256 of the sorted
 * node ids, one per line. Every message carries it and a node drops any message that
 * carries another, so a node started with a different member list can neither join this
 * cluster nor split it: with static membership, two different lists would otherwise
 * compute two different majorities over the same nodes.
 */
public record ClusterIdentity(String value) {

    public ClusterIdentity {
        Objects.requireNonNull(value, "value");
        if (value.length() != 64) {
            throw new IllegalArgumentException("a cluster identity is 64 hex digits, was " + value);
        }
    }

    /** The identity of the cluster made of exactly {@code members}. */
    public static ClusterIdentity of(Collection<String> members) {
        List<String> sorted = List.copyOf(new TreeSet<>(validMembers(members)));
        byte[] digest = sha256(String.join("\n", sorted).getBytes(StandardCharsets.UTF_8));
        return new ClusterIdentity(HexFormat.of().formatHex(digest));
    }

    /**
     * The identity of the cluster made of exactly these members at these addresses: the
     * SHA-256 of the sorted {@code ID=ADDRESS} lines. Two lists that differ in one address
     * name two clusters.
     */
    public static ClusterIdentity ofAddresses(Map<String, String> addresses) {
        Objects.requireNonNull(addresses, "addresses");
        validMembers(addresses.keySet());
        TreeMap<String, String> sorted = new TreeMap<>(addresses);
        StringBuilder lines = new StringBuilder();
        for (Map.Entry<String, String> member : sorted.entrySet()) {
            String address = Objects.requireNonNull(member.getValue(), "address of " + member.getKey());
            if (address.isEmpty() || address.contains("\n") || address.contains(",")) {
                throw new IllegalArgumentException("an address is non-empty without newline or ',': " + address);
            }
            if (lines.length() > 0) {
                lines.append('\n');
            }
            lines.append(member.getKey()).append('=').append(address);
        }
        return new ClusterIdentity(HexFormat.of().formatHex(sha256(lines.toString().getBytes(StandardCharsets.UTF_8))));
    }

    /** Checks the member list every identity is computed from and returns it. */
    static Collection<String> validMembers(Collection<String> members) {
        Objects.requireNonNull(members, "members");
        if (members.isEmpty()) {
            throw new IllegalArgumentException("a cluster has at least one member");
        }
        if (new TreeSet<>(members).size() != members.size()) {
            throw new IllegalArgumentException("member ids must be distinct: " + members);
        }
        for (String id : members) {
            if (id == null || id.isEmpty() || id.contains("\n") || id.contains(",") || id.contains("=")) {
                throw new IllegalArgumentException(
                        "a member id is non-empty without newline, ',' or '=': " + id);
            }
        }
        return members;
    }

    private static byte[] sha256(byte[] input) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(input);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }

    /** The first 12 hex digits, enough to tell clusters apart in logs. */
    public String shortValue() {
        return value.substring(0, 12);
    }

    @Override
    public String toString() {
        return shortValue();
    }
}
