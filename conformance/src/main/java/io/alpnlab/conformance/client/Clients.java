package io.alpnlab.conformance.client;

import io.alpnlab.conformance.ConformanceSettings;
import io.alpnlab.conformance.reference.Defects;
import io.alpnlab.conformance.reference.ReferenceClient;
import java.util.Iterator;
import java.util.ServiceLoader;

/** Creates the client under test that {@code conformance.client} names, with its disabled cases. */
public final class Clients {

    /** A client and the cases disabled for it. */
    public record Selected(ClientUnderTest client, DisabledCases disabled) {
    }

    private Clients() {
    }

    public static Selected select(ConformanceSettings settings) {
        String spec = settings.client();
        if (spec.equals("reference")) {
            return new Selected(new ReferenceClient(), DisabledCases.NONE);
        }
        if (spec.startsWith("reference:")) {
            return new Selected(new ReferenceClient(Defects.named(spec.substring("reference:".length()))), DisabledCases.NONE);
        }
        if (spec.startsWith("java:")) {
            return new Selected(instantiate(spec.substring("java:".length())), DisabledCases.NONE);
        }
        if (spec.equals("service")) {
            Iterator<ClientUnderTest> found = ServiceLoader.load(ClientUnderTest.class).iterator();
            if (!found.hasNext()) {
                throw new IllegalArgumentException("conformance.client=service: no ClientUnderTest is registered in"
                        + " META-INF/services/" + ClientUnderTest.class.getName());
            }
            return new Selected(found.next(), DisabledCases.NONE);
        }
        if (spec.startsWith("process:")) {
            ProcessClient process = ProcessClient.load(spec.substring("process:".length()));
            return new Selected(process, process.disabled());
        }
        if (spec.startsWith("container:")) {
            ProcessClient container = ProcessClient.loadContainer(spec.substring("container:".length()));
            return new Selected(container, container.disabled());
        }
        if (spec.equals("agent")) {
            return new Selected(AgentClient.connect(settings.target()), DisabledCases.NONE);
        }
        if (spec.equals("passive")) {
            return new Selected(new PassiveClient(settings.target()), DisabledCases.NONE);
        }
        throw new IllegalArgumentException("conformance.client='" + spec + "' is not one of reference, reference:<defect>,"
                + " java:<class>, service, process:<config.json>, container:<config.json>, agent, passive");
    }

    private static ClientUnderTest instantiate(String className) {
        try {
            Class<?> type = Class.forName(className);
            if (!ClientUnderTest.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException(className + " does not implement " + ClientUnderTest.class.getName());
            }
            return (ClientUnderTest) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("conformance.client=java:" + className + ": cannot create it (" + e + ")", e);
        }
    }
}
