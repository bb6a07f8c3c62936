package io.alpnlab.conformance.cases;

import io.alpnlab.broker.ListenerRole;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientTask;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One conformance case, as data (BoGo's test struct): the rule it checks, the listener, what the
 * broker does, what the client is told, and what both sides must show.
 *
 * @param id stable hyphenated name, the JUnit display name and the Allure title
 * @param rule the catalogue rule judged
 * @param listener the listener role the client connects to
 * @param misbehaviours what the broker does on purpose, and for how many connections ({@link BrokerSetup})
 * @param action what the client is told to do
 * @param qos the QoS it is told to use
 * @param budget how long the case may take at time scale 1 (the suite scales it for clients that scale their timers)
 * @param client what the client must report
 * @param judge what the broker's records must show
 * @param hint what a device developer can do about a failure
 * @param needs what the case needs from the client or the run
 * @param assumption what a time-dependent case assumed, for the report; empty otherwise
 * @param causes client configurations (as a device agent reports them) that explain a failure of this case
 * @param advisory why a failure of this case does not stop a client at AWS (it is then reported as a
 *     pass with warnings, never a failure), or empty for a case that judges what AWS requires
 * @param services what the operator does on the device services for the case (a job queued, a desired change)
 * @param deliveryBytes the payload the suite publishes for {@link Need#LARGE_DELIVERY}
 */
public record ConformanceCase(String id, Rule rule, ListenerRole listener, BrokerSetup misbehaviours, ClientTask.Action action,
        int qos, Duration budget, ClientExpectation client, Judge judge, String hint, Set<Need> needs, String assumption,
        List<Cause> causes, String advisory, ServiceSetup services, int deliveryBytes) {

    /**
     * The operator's side of a case on the device services, for the thing the client is (its client ID): before the
     * client starts, and once the broker has sent the client's first SUBACK (so that a delta or a notification
     * reaches a device that is listening).
     */
    public record ServiceSetup(java.util.function.BiConsumer<io.alpnlab.broker.services.DeviceServices, String> before,
            java.util.function.BiConsumer<io.alpnlab.broker.services.DeviceServices, String> afterSubscribe,
            java.util.function.BiPredicate<io.alpnlab.broker.services.DeviceServices, String> ready) {
        public static final ServiceSetup NONE = new ServiceSetup((services, thing) -> { }, null, (services, thing) -> true);
    }

    /**
     * What the suite publishes for {@link Need#LARGE_DELIVERY}: more than one maximum-size (16 KB) TLS
     * record's worth, so one full record is sent, yet within what a device's MQTT buffer commonly holds.
     */
    public static final int LARGE_DELIVERY_BYTES = 17 * 1024;

    /** True when a failure of this case is reported as a warning: AWS does not need what it checks. */
    public boolean isAdvisory() {
        return !advisory.isEmpty();
    }

    /**
     * A build setting of the client that makes this case fail, as the client reports it
     * ({@link io.alpnlab.conformance.client.ClientUnderTest#configuration()}): when the case fails and
     * the setting matches, the report names it as the cause.
     *
     * @param key the configuration key, e.g. {@code tls_in_record}
     * @param matches whether the reported value is the cause
     * @param explanation what it means; {@code {value}} is replaced by the reported value
     */
    public record Cause(String key, java.util.function.Predicate<String> matches, String explanation) {

        /** The setting has this value. */
        public static Cause when(String key, String value, String explanation) {
            return new Cause(key, value::equals, explanation);
        }

        /** The setting is a number below the minimum. */
        public static Cause below(String key, long minimum, String explanation) {
            return new Cause(key, value -> {
                try {
                    return Long.parseLong(value) < minimum;
                } catch (NumberFormatException notANumber) {
                    return false;
                }
            }, explanation);
        }

        /** The explanation for the client's configuration, or null when this cause does not apply. */
        public String explain(java.util.Map<String, String> configuration) {
            String value = configuration.get(key);
            return value != null && matches.test(value) ? key + "=" + value + ": " + explanation.replace("{value}", value) : null;
        }
    }

    /** What the client must report. */
    public enum ClientExpectation {
        /** The task must succeed. */
        SUCCEED,
        /** The task must fail (the client must refuse). */
        FAIL,
        /** Either; only the broker's side is judged. */
        ANY
    }

    /** What a case needs beyond a client that connects when told to. */
    public enum Need {
        /** Timers the client scales (or a real-time run): keep-alive, retries, backoff. */
        SCALED_TIME,
        /** A second run of the client with a message published in between (persistent sessions). */
        TWO_RUNS,
        /**
         * A second run after the broker expired the first run's persistent session, with a message
         * published once the client has subscribed again (Device Advisor's "persistent session expiry").
         */
        EXPIRED_SESSION,
        /** Judgeable from the broker alone, for a device that can only be reset (passive driver). */
        PASSIVE,
        /**
         * The suite publishes one large QoS 1 message to the client's topic once it has subscribed, as
         * Device Advisor's "TLS receive maximum size fragments" does: the client is told to wait for it.
         */
        LARGE_DELIVERY,
        /**
         * The device runs under a least-privilege policy without wildcards (conformance.policy, or the suite's own for
         * the task), its certificate attached to the thing its client ID names.
         */
        POLICY
    }

    /**
     * What the broker does for the case.
     *
     * @param misbehaviours the misbehaviours
     * @param connections how many connections they apply to; 0 means every connection of the case
     * @param then the steps for the connections after these, in order (a schedule, as Device Advisor's long-duration
     *     test strings failures together); empty for one step
     */
    public record BrokerSetup(Misbehaviours misbehaviours, int connections, List<BrokerSetup> then) {
        public static final BrokerSetup NONE = new BrokerSetup(Misbehaviours.NONE, 0, List.of());

        public BrokerSetup {
            then = List.copyOf(then);
        }

        public static BrokerSetup firstConnections(int count, String... names) {
            return new BrokerSetup(Misbehaviours.parse(List.of(names)), count, List.of());
        }

        public static BrokerSetup everyConnection(String... names) {
            return new BrokerSetup(Misbehaviours.parse(List.of(names)), 0, List.of());
        }

        /** This step, then the next connections' steps, in order; the connections after the last behave as AWS does. */
        public static BrokerSetup schedule(BrokerSetup first, BrokerSetup... next) {
            if (first.connections() == 0 || java.util.Arrays.stream(next).anyMatch(step -> step.connections() == 0)) {
                throw new IllegalArgumentException("a schedule's steps each name their number of connections");
            }
            return new BrokerSetup(first.misbehaviours(), first.connections(), List.of(next));
        }

        /** The steps as the report shows them. */
        public String describe() {
            if (misbehaviours.isNone()) {
                return "AWS behaviour, no misbehaviour";
            }
            StringBuilder text = new StringBuilder(String.join(", ", misbehaviours.describe())
                    + (connections == 0 ? " on every connection" : " on the first " + connections + " connection(s)"));
            for (BrokerSetup step : then) {
                text.append("; then ").append(String.join(", ", step.misbehaviours().describe())).append(" on the next ")
                        .append(step.connections());
            }
            return text.toString();
        }
    }

    public ConformanceCase {
        Objects.requireNonNull(id);
        Objects.requireNonNull(rule);
        Objects.requireNonNull(listener);
        Objects.requireNonNull(misbehaviours);
        Objects.requireNonNull(action);
        Objects.requireNonNull(budget);
        Objects.requireNonNull(client);
        Objects.requireNonNull(judge);
        Objects.requireNonNull(hint);
        needs = Set.copyOf(needs);
        assumption = assumption == null ? "" : assumption;
        causes = List.copyOf(causes);
        Objects.requireNonNull(services);
    }

    /** The causes among the client's reported configuration, joined; empty when none applies. */
    public String explain(java.util.Map<String, String> configuration) {
        return String.join("; ", causes.stream().map(cause -> cause.explain(configuration)).filter(Objects::nonNull).toList());
    }

    public boolean needs(Need need) {
        return needs.contains(need);
    }

    /**
     * The same case on the port-443 listener with ALPN x-amzn-mqtt-ca, as {@code <id>-443}: the device half of a product
     * behind a firewall that only lets 443 out. Catches what only a second connection shows there, such as ALPN
     * configured in a boot path that a reconnect or the provisioned credentials do not go through.
     */
    public ConformanceCase on443() {
        return new ConformanceCase(id + "-443", rule, ListenerRole.MULTIPLEX_443, misbehaviours, action, qos, budget, client, judge,
                hint + "; on port 443 offer ALPN x-amzn-mqtt-ca on every connection, reconnects included", needs, assumption,
                causes, advisory, services, deliveryBytes);
    }

    /** A fluent way to write table rows. */
    public static Builder named(String id, Rule rule) {
        return new Builder(id, rule);
    }

    public static final class Builder {
        private final String id;
        private final Rule rule;
        private ListenerRole listener = ListenerRole.MQTT_8883;
        private BrokerSetup setup = BrokerSetup.NONE;
        private ClientTask.Action action = ClientTask.Action.PUBLISH;
        private int qos = 1;
        private Duration budget = Duration.ofSeconds(10);
        private ClientExpectation client = ClientExpectation.SUCCEED;
        private Judge judge = Judge.accepted();
        private String hint = "";
        private Set<Need> needs = Set.of();
        private String assumption = "";
        private List<Cause> causes = List.of();
        private String advisory = "";
        private ServiceSetup services = ServiceSetup.NONE;
        private int deliveryBytes = LARGE_DELIVERY_BYTES;

        private Builder(String id, Rule rule) {
            this.id = id;
            this.rule = rule;
        }

        public Builder on(ListenerRole value) {
            listener = value;
            return this;
        }

        public Builder broker(BrokerSetup value) {
            setup = value;
            return this;
        }

        public Builder action(ClientTask.Action value) {
            action = value;
            return this;
        }

        public Builder qos(int value) {
            qos = value;
            return this;
        }

        public Builder budget(Duration value) {
            budget = value;
            return this;
        }

        public Builder client(ClientExpectation value) {
            client = value;
            return this;
        }

        public Builder judge(Judge value) {
            judge = value;
            return this;
        }

        public Builder hint(String value) {
            hint = value;
            return this;
        }

        public Builder needs(Need... values) {
            needs = Set.of(values);
            return this;
        }

        public Builder assuming(String value) {
            assumption = value;
            return this;
        }

        public Builder explainedBy(Cause... values) {
            causes = List.of(values);
            return this;
        }

        /** Makes the case advisory: a failure becomes a pass with warnings, for this reason. */
        public Builder advisory(String why) {
            advisory = why;
            return this;
        }

        /** What the operator does on the device services before the client starts. */
        public Builder before(java.util.function.BiConsumer<io.alpnlab.broker.services.DeviceServices, String> value) {
            services = new ServiceSetup(value, services.afterSubscribe(), services.ready());
            return this;
        }

        /** What the operator does once the client has subscribed. */
        public Builder afterSubscribe(java.util.function.BiConsumer<io.alpnlab.broker.services.DeviceServices, String> value) {
            services = new ServiceSetup(services.before(), value, services.ready());
            return this;
        }

        /** What else must be true before the operator's {@link #afterSubscribe} step (the device has reported, say). */
        public Builder readyWhen(java.util.function.BiPredicate<io.alpnlab.broker.services.DeviceServices, String> value) {
            services = new ServiceSetup(services.before(), services.afterSubscribe(), value);
            return this;
        }

        /** The payload size of the suite's delivery ({@link Need#LARGE_DELIVERY}). */
        public Builder delivering(int bytes) {
            deliveryBytes = bytes;
            return this;
        }

        public ConformanceCase build() {
            return new ConformanceCase(id, rule, listener, setup, action, qos, budget, client, judge, hint, needs, assumption,
                    causes, advisory, services, deliveryBytes);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
