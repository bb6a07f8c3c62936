package io.alpnlab.broker.services;

import io.alpnlab.broker.registry.DeviceRegistry;
import io.alpnlab.certs.TestPki;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * AWS's device-side services behind the reserved topics: Device Shadow, Jobs and fleet provisioning.
 * The MQTT relay hands every publish on a request topic here (after the policy allowed it, and still
 * relays it, as AWS lets subscribers see requests); the replies go out through the broker's own
 * publisher, or straight to the requesting connection when only it may have them. The operator's side
 * (control endpoint, in-JVM API, the suite) drives the same state.
 */
public final class DeviceServices {

    private final Shadows shadows;
    private final Jobs jobs;
    private final FleetProvisioning provisioning;
    private volatile Consumer<ServiceReply> publisher = reply -> {
    };

    public DeviceServices(TestPki pki, DeviceRegistry registry, Clock clock) {
        this.shadows = new Shadows(clock);
        this.jobs = new Jobs(clock);
        this.provisioning = new FleetProvisioning(pki, registry, clock);
    }

    /** Where the replies to subscribers go: the MQTT layer's publisher, once it runs. */
    public void publishWith(Consumer<ServiceReply> value) {
        publisher = value;
    }

    /** Whether a publish to this topic is a request one of the services answers. */
    public static boolean isRequest(String topic) {
        return topic.startsWith("$aws/") && (Shadows.request(topic).isPresent() || Jobs.request(topic).isPresent()
                || FleetProvisioning.isRequest(topic));
    }

    /** Answers a device's request; {@link ServiceEvent#NONE} for a topic that is no request. */
    public ServiceEvent onPublish(String topic, byte[] payload, String clientId) {
        if (!topic.startsWith("$aws/")) {
            return ServiceEvent.NONE;
        }
        Optional<Shadows.Address> shadow = Shadows.request(topic);
        if (shadow.isPresent()) {
            return shadows.handle(shadow.get(), payload, clientId);
        }
        Optional<Jobs.Address> job = Jobs.request(topic);
        if (job.isPresent()) {
            return jobs.handle(job.get(), payload, clientId);
        }
        if (FleetProvisioning.isRequest(topic)) {
            return provisioning.handle(topic, payload, clientId);
        }
        return ServiceEvent.NONE;
    }

    /** Publishes replies meant for subscribers (the requester-only ones have no place here). */
    public void publish(List<ServiceReply> replies) {
        for (ServiceReply reply : replies) {
            if (!reply.requesterOnly()) {
                publisher.accept(reply);
            }
        }
    }

    // ---- the operator's side

    /** Sets desired state on a thing's shadow (classic when {@code shadowName} is empty); subscribers get the delta. */
    public void setDesired(String thing, String shadowName, String desiredJson) {
        publish(shadows.setDesired(thing, shadowName, desiredJson));
    }

    /** Sets reported state on a thing's shadow as another writer would; subscribers get the replies. */
    public void setReported(String thing, String shadowName, String reportedJson) {
        publish(shadows.setReported(thing, shadowName, reportedJson));
    }

    /** Queues a job for a thing; the thing's subscribers get notify and notify-next. */
    public void createJob(String thing, String jobId, String documentJson) {
        publish(jobs.create(thing, jobId, documentJson));
    }

    public Shadows shadows() {
        return shadows;
    }

    public Jobs jobs() {
        return jobs;
    }

    public FleetProvisioning provisioning() {
        return provisioning;
    }
}
