package io.alpnlab.broker.app;

import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.ConnectionPolicy;
import io.netty.channel.Channel;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The stage after the TLS handshake has a deadline of its own: a connection whose first complete
 * application message (the MQTT CONNECT, the HTTP request) has not arrived by then is closed and
 * recorded under the application's rule, as a broker facing hostile clients must (MQTT 3.1.1
 * section 3.1: a server SHOULD close a connection that sends no CONNECT "within a reasonable amount
 * of time"). Without it, a connection that completes TLS and sends nothing, or half a CONNECT,
 * holds its memory for ever. The application says the deadline was met with {@link #met}.
 */
public final class FirstMessageDeadline {

    private static final AttributeKey<ScheduledFuture<?>> DEADLINE = AttributeKey.valueOf("alpnlab.first-message-deadline");

    private FirstMessageDeadline() {
    }

    /** Starts the deadline for the application's first complete message; the policy names the refusal. */
    static void arm(Channel channel, ConnectionObservation observation, Duration within, Application application) {
        ScheduledFuture<?> deadline = channel.eventLoop().schedule(() -> {
            if (channel.attr(DEADLINE).getAndSet(null) != null && channel.isActive()) {
                observation.refuse(ConnectionPolicy.onFirstMessageMissing(application, within, observation.inboundBytes()));
                channel.close();
            }
        }, within.toMillis(), TimeUnit.MILLISECONDS);
        channel.attr(DEADLINE).set(deadline);
    }

    /** The first complete message arrived: the deadline no longer applies. */
    public static void met(Channel channel) {
        ScheduledFuture<?> deadline = channel.attr(DEADLINE).getAndSet(null);
        if (deadline != null) {
            deadline.cancel(false);
        }
    }
}
