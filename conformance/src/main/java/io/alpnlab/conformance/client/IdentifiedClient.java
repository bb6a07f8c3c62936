package io.alpnlab.conformance.client;

import java.util.Map;

/**
 * A client under test that knows who it is up front: a program from its description file, a
 * device agent from its HELLO. Holds the identity the reports show, once for both.
 */
abstract class IdentifiedClient implements ClientUnderTest {

    /**
     * Who the client is.
     *
     * @param name a short name for reports
     * @param version the version, or an empty string
     * @param scalesTime whether the client applies the task's time scale to its own timers
     * @param configuration how the client is built, as it reports it
     */
    record Identity(String name, String version, boolean scalesTime, Map<String, String> configuration) {
        Identity {
            configuration = Map.copyOf(configuration);
        }
    }

    private final Identity identity;

    IdentifiedClient(Identity identity) {
        this.identity = identity;
    }

    @Override
    public String name() {
        return identity.name();
    }

    @Override
    public String version() {
        return identity.version();
    }

    @Override
    public boolean scalesTime() {
        return identity.scalesTime();
    }

    @Override
    public Map<String, String> configuration() {
        return identity.configuration();
    }

    /** Every action: it does them all, or answers for itself that it cannot. */
    @Override
    public java.util.Set<ClientTask.Action> actions() {
        return java.util.EnumSet.allOf(ClientTask.Action.class);
    }
}
