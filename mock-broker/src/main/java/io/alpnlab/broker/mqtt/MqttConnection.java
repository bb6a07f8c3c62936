package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.observe.MqttObservation;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.registry.DevicePolicy;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.mqtt.MqttFixedHeader;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.codec.mqtt.MqttQoS;
import io.netty.handler.codec.mqtt.MqttReasonCodeAndPropertiesVariableHeader;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's MQTT session as the handlers of its pipeline share it: who the client is once its
 * CONNECT was accepted, its back-end link, where it is in its life, and the one way to end it
 * (recorded, with an MQTT 5 DISCONNECT where AWS sends one, the back end and lifecycle told).
 * Confined to the connection's event loop.
 */
final class MqttConnection implements ClientSessions.Session {

    private static final Logger LOG = LoggerFactory.getLogger(MqttConnection.class);

    enum State { AWAITING_CONNECT, AWAITING_BACKEND, CONNECTED, CLOSED }

    final MqttLayer layer;
    final TlsEstablished established;
    final MqttObservation mqtt;
    final Channel channel;
    State state = State.AWAITING_CONNECT;
    int mqttVersion;
    String clientId;
    Duration sessionExpiry = Duration.ZERO;
    /** What the CONNACK tells an MQTT 5 client about its CONNECT; set once the CONNECT is decided. */
    AwsConnack.Facts connackFacts;
    DevicePolicy devicePolicy;
    Map<String, String> policyVariables = Map.of();
    BackendLink backend;
    boolean connackSent;
    private boolean clientDisconnected;
    private String disconnectReason;
    /** Where back-end packets go: the connect gate takes the CONNACK, the relay everything after. */
    BackendConnection.Listener fromBackend;

    MqttConnection(MqttLayer layer, TlsEstablished established, Channel channel) {
        this.layer = layer;
        this.established = established;
        this.mqtt = established.observation().mqtt();
        this.channel = channel;
    }

    /** Writes a packet to the client through the whole pipeline (recorder and misbehaviours included). */
    ChannelFuture send(MqttMessage message) {
        return channel.writeAndFlush(message);
    }

    /** The client broke a rule: record it and act as the policy says. */
    void violate(MqttPolicy.Violation violation) {
        if (state == State.CLOSED) {
            return;
        }
        if (violation.action() == MqttPolicy.Action.DROP || violation.action() == MqttPolicy.Action.ANSWER_WITH_REASON) {
            established.observation().addCheck(Check.fail(violation.rule(), violation.detail()));
            return;
        }
        established.observation().refuse(new Refusal(violation.rule(), Refusal.NO_ALERT, violation.detail()));
        if (violation.reasonCode() != 0) {
            sendDisconnect(violation.reasonCode());
        }
        close(violation.lifecycleReason() == null ? "CLIENT_ERROR" : violation.lifecycleReason());
    }

    /** A packet the decoder could not read: too large (AWS's size rule) or malformed. */
    void undecodable(Throwable cause) {
        violate(cause instanceof TooLongFrameException
                ? new MqttPolicy.Violation(Rule.MQTT_SIZE_01, "packet larger than the broker accepts: " + cause.getMessage(),
                        MqttPolicy.REASON_PACKET_TOO_LARGE, "CLIENT_ERROR")
                : new MqttPolicy.Violation(Rule.MQTT_PKT_01, "malformed MQTT packet: " + cause.getMessage(),
                        MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
    }

    /** The server ends the connection on purpose (a planned misbehaviour), under the reconnect rule. */
    void serverDisconnect(String why) {
        if (state == State.CLOSED) {
            return;
        }
        established.observation().addCheck(Check.applied(Rule.CLIENT_RECONNECT_01, why));
        sendDisconnect((byte) 0x00);
        close("SERVER_INITIATED_DISCONNECT");
    }

    /** Another connection with this client ID arrived: AWS disconnects this one (MQTT 5 reason 0x8E). */
    @Override
    public void takenOver() {
        channel.eventLoop().execute(() -> {
            if (state == State.CLOSED) {
                return;
            }
            established.observation().addCheck(Check.applied(Rule.MQTT_CID_02, "a new connection with client ID '" + clientId
                    + "' took over this one"));
            sendDisconnect(MqttPolicy.REASON_SESSION_TAKEN_OVER);
            close("DUPLICATE_CLIENTID");
        });
    }

    void clientDisconnected() {
        clientDisconnected = true;
        close("CLIENT_INITIATED_DISCONNECT");
    }

    /** A DISCONNECT with a reason goes to MQTT 5 clients only, and only once they have their CONNACK. */
    private void sendDisconnect(byte reasonCode) {
        if (mqttVersion != 5 || !connackSent) {
            return;
        }
        send(new MqttMessage(new MqttFixedHeader(MqttMessageType.DISCONNECT, false, MqttQoS.AT_MOST_ONCE, false, 0),
                new MqttReasonCodeAndPropertiesVariableHeader(reasonCode, MqttProperties.NO_PROPERTIES)));
    }

    void close(String reason) {
        if (state == State.CLOSED) {
            return;
        }
        boolean wasConnected = state == State.CONNECTED;
        state = State.CLOSED;
        disconnectReason = reason;
        mqtt.disconnectReason(reason);
        channel.close();
        finish(wasConnected);
    }

    /** The TCP connection is gone, whoever ended it. */
    void inactive() {
        if (state != State.CLOSED) {
            boolean wasConnected = state == State.CONNECTED;
            state = State.CLOSED;
            disconnectReason = "CONNECTION_LOST";
            mqtt.disconnectReason(disconnectReason);
            finish(wasConnected);
        }
    }

    /** A bug in handling one client's packet must not reach the pipeline's tail unexplained; the broker goes on. */
    void failed(Throwable cause) {
        LOG.warn("conn#{} MQTT handling failed; closing this connection", established.observation().id(), cause);
        established.observation().addCheck(Check.applied(Rule.MQTT_PKT_01, "broker error: " + cause));
        close("SERVER_ERROR");
    }

    private void finish(boolean wasConnected) {
        if (backend != null) {
            if (clientDisconnected) {
                backend.send(MqttMessage.DISCONNECT);
            }
            backend.close();
        }
        if (clientId != null && backend != null) {
            layer.sessions().disconnected(clientId, this, sessionExpiry, channel.eventLoop());
        }
        if (wasConnected) {
            layer.lifecycle().disconnected(clientId, established, channel, disconnectReason, clientDisconnected);
        }
    }

    /** Hands back-end packets to whoever takes them now, on the client's event loop. */
    BackendConnection.Listener backendListener() {
        return new BackendConnection.Listener() {
            @Override
            public void fromBackend(MqttMessage message) {
                if (state == State.CLOSED || fromBackend == null) {
                    ReferenceCountUtil.release(message);
                    return;
                }
                fromBackend.fromBackend(message);
            }

            @Override
            public void backendClosed() {
                if (state != State.CLOSED) {
                    established.observation().addCheck(Check.applied(Rule.MQTT_CONN_01, "the back-end broker closed its"
                            + " connection (" + layer.backend().describe() + ")"));
                    close("SERVER_ERROR");
                }
            }
        };
    }
}
