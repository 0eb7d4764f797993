package io.confman.store;

/** A key's full name: its namespace and its key within it. */
record NsKey(String namespace, String key) {
}
