package io.alpnlab.broker.rules;

/**
 * How sure we are that AWS IoT Core behaves as a rule says (the tags of aws-iot-rules.md). AWS's own
 * documentation changed over time, so every rule names where it comes from.
 */
public enum Provenance {
    /** AWS documentation says so. */
    DOCUMENTED("DOC"),
    /** An AWS SDK or a client library does it in shipped code. */
    CODE("CODE"),
    /** Users observed it against the real service; not documented. */
    OBSERVED("OBS"),
    /** The TLS or MQTT specification requires it of every implementation. */
    RFC("RFC"),
    /** Inferred; an assumption the project states openly. */
    INFERRED("INF"),
    /** A choice of this project where AWS says nothing (limits that keep the mock safe, for instance). */
    PROJECT("PROJECT");

    private final String tag;

    Provenance(String tag) {
        this.tag = tag;
    }

    public String tag() {
        return tag;
    }
}
