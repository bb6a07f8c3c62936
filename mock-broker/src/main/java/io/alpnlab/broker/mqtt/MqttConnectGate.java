package io.alpnlab.broker.mqtt;

import io.alpnlab.broker.app.FirstMessageDeadline;
import io.alpnlab.broker.policy.Application;
import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.policy.Profile;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.broker.tls.TlsEstablished;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.mqtt.MqttConnAckMessage;
import io.netty.handler.codec.mqtt.MqttConnectMessage;
import io.netty.handler.codec.mqtt.MqttConnectReturnCode;
import io.netty.handler.codec.mqtt.MqttMessage;
import io.netty.handler.codec.mqtt.MqttMessageBuilders;
import io.netty.handler.codec.mqtt.MqttMessageType;
import io.netty.handler.codec.mqtt.MqttProperties;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;

/**
 * The start of an MQTT connection, as HiveMQ's connect handler: the first packet must be a CONNECT,
 * which {@link MqttPolicy} decides on; an accepted one opens the back-end session and installs the
 * keep-alive and relay handlers; the back end's CONNACK becomes the client's. Every client packet
 * before that CONNACK reached the client breaks MQTT-CONN-01. Removes itself once the CONNACK is out.
 */
final class MqttConnectGate extends MqttConnectionHandler {

    static final String NAME = "mqtt-connect";


    MqttConnectGate(MqttConnection connection) {
        super(connection);
    }


    @Override
    void onPacket(ChannelHandlerContext ctx, MqttMessage message) {
        MqttMessageType type = message.fixedHeader().messageType();
        if (connection.state == MqttConnection.State.AWAITING_CONNECT) {
            if (type == MqttMessageType.CONNECT) {
                onConnect(ctx, (MqttConnectMessage) message);
            } else {
                connection.violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, "the first packet was " + type
                        + ", not CONNECT", (byte) 0, "CLIENT_ERROR"));
            }
            return;
        }
        connection.violate(new MqttPolicy.Violation(Rule.MQTT_CONN_01, type + " sent before the CONNACK; wait for CONNACK",
                MqttPolicy.REASON_PROTOCOL_ERROR, "CLIENT_ERROR"));
    }

    private void onConnect(ChannelHandlerContext ctx, MqttConnectMessage connect) {
        FirstMessageDeadline.met(ctx.channel());
        TlsEstablished established = connection.established;
        MqttLayer layer = connection.layer;
        connection.mqttVersion = connect.variableHeader().version();
        connection.clientId = connect.payload().clientIdentifier();
        Long sessionExpirySeconds = null;
        if (connection.mqttVersion == 5) {
            MqttProperties.MqttProperty<?> expiry = connect.variableHeader().properties()
                    .getProperty(MqttProperties.MqttPropertyType.SESSION_EXPIRY_INTERVAL.value());
            if (expiry != null) {
                sessionExpirySeconds = Integer.toUnsignedLong((Integer) expiry.value());
            }
        }
        String username = connect.payload().userName();
        byte[] passwordBytes = connect.payload().passwordInBytes();
        String password = passwordBytes == null ? null : new String(passwordBytes, StandardCharsets.UTF_8);
        boolean customAuth = established.application() == Application.MQTT_CUSTOM_AUTH;
        connection.devicePolicy = established.device() == null ? null : established.device().policy();
        connection.policyVariables = policyVariables(established, connection.clientId);
        MqttPolicy.ConnectDecision decision = MqttPolicy.onConnect(new MqttPolicy.ConnectFacts(connection.mqttVersion,
                connection.clientId, connect.variableHeader().keepAliveTimeSeconds(), connect.variableHeader().isCleanSession(),
                sessionExpirySeconds, username, password, established.application(), established.deferredRefusal(),
                connection.devicePolicy, connection.policyVariables,
                customAuth && layer.registry().authorize(username, password).isPresent()), layer.defaultSessionExpiry());
        established.observation().addChecks(decision.checks());
        String throttledId = decision.clientId(connection.clientId);
        Check rate = MqttPolicy.onConnectRate(layer.sessions().sincePreviousConnect(throttledId),
                layer.timing().scaled(MqttPolicy.MIN_CONNECT_INTERVAL));
        Refusal throttled = rate == null ? null
                : MqttPolicy.onThrottledConnect(rate, layer.profile().quotas(), connection.mqttVersion == 5);
        if (rate != null && throttled == null) {
            established.observation().addCheck(rate);
        }
        if (decision.assignedClientId() != null) {
            connection.clientId = decision.assignedClientId();
            connection.policyVariables = policyVariables(established, connection.clientId);
        }
        connection.connackFacts = new AwsConnack.Facts(connect.variableHeader().keepAliveTimeSeconds(),
                decision.keepAliveApplied(), sessionExpirySeconds, decision.sessionExpiry().toSeconds(),
                decision.assignedClientId());
        int version = connection.mqttVersion;
        connection.mqtt.connect(version == 5 ? "5.0" : version == 4 ? "3.1.1" : "level " + version, connection.clientId,
                connect.variableHeader().keepAliveTimeSeconds(), decision.keepAliveApplied(),
                connect.variableHeader().isCleanSession(), username);
        if (decision.violation() != null) {
            if (decision.violation().action() == MqttPolicy.Action.REFUSE_CONNECT) {
                refuseUnauthorized(ctx, decision.violation());
            } else {
                connection.violate(decision.violation());
            }
            return;
        }
        if (throttled != null) {
            refuseThrottled(ctx, throttled);
            return;
        }
        if (layer.plan().shouldRefuseConnect(established.misbehaviours())) {
            established.observation().addCheck(Check.applied(Rule.CLIENT_RETRY_01, "misbehaviour refuse-first-connections: "
                    + "CONNECT closed without CONNACK"));
            connection.mqtt.disconnectReason("refused by misbehaviour refuse-first-connections");
            connection.state = MqttConnection.State.CLOSED;
            ctx.close();
            return;
        }
        // Only a CONNECT the broker goes on with starts the throttle's second: one the test plan refused stands
        // for a server failure, which must not make the client's next attempt look too early.
        layer.sessions().connectAdmitted(throttledId);
        connection.sessionExpiry = decision.sessionExpiry();
        boolean cleanSession = connect.variableHeader().isCleanSession();
        if (!cleanSession && layer.sessions().crossesVersion(connection.clientId, connection.mqttVersion)) {
            // AWS keeps sessions per MQTT version: resuming one made with the other version starts afresh.
            cleanSession = true;
            established.observation().addCheck(Check.applied(Rule.MQTT_SESS_01, "the client ID's persistent session was made"
                    + " with the other MQTT version, which AWS does not carry across: a new session starts (session present 0)"));
        }
        layer.sessions().sessionStarted(connection.clientId, connection.mqttVersion, !decision.sessionExpiry().isZero());
        // AWS disconnects after 1.5 x keep-alive without a packet; scaled so tests need not wait real minutes.
        long idleMillis = layer.timing().scaled(MqttPolicy.keepAliveDeadline(decision.keepAliveApplied())).toMillis();
        ctx.pipeline().addAfter(NAME, MqttKeepAlive.IDLE_NAME, new IdleStateHandler(idleMillis, 0, 0, TimeUnit.MILLISECONDS));
        ctx.pipeline().addAfter(MqttKeepAlive.IDLE_NAME, MqttKeepAlive.NAME, new MqttKeepAlive(connection));
        MqttRelay relay = new MqttRelay(connection);
        ctx.pipeline().addAfter(MqttKeepAlive.NAME, MqttRelay.NAME, relay);
        layer.sessions().connected(connection.clientId, connection);
        connection.state = MqttConnection.State.AWAITING_BACKEND;
        connection.fromBackend = new BackendConnection.Listener() {
            @Override
            public void fromBackend(MqttMessage message) {
                if (message.fixedHeader().messageType() == MqttMessageType.CONNACK) {
                    connection.fromBackend = relay;
                    try {
                        onBackendConnack(ctx, (MqttConnAckMessage) message);
                    } finally {
                        ReferenceCountUtil.release(message);
                    }
                } else {
                    relay.fromBackend(message);
                }
            }

            @Override
            public void backendClosed() {
            }
        };
        connection.backend = layer.backendOpener().open(ctx.channel().eventLoop(), connection.clientId, cleanSession,
                connection.backendListener());
    }

    private static Map<String, String> policyVariables(TlsEstablished established, String clientId) {
        Map<String, String> variables = new HashMap<>();
        variables.put("iot:ClientId", clientId);
        if (established.device() != null && established.device().thingName() != null) {
            variables.put("iot:Connection.Thing.ThingName", established.device().thingName());
        }
        if (established.clientCertificate() != null) {
            variables.put("iot:Certificate.Subject.CommonName", commonName(established.clientCertificate()
                    .getSubjectX500Principal().getEncoded()));
        }
        return variables;
    }

    /** The subject's common name, escaped commas and multi-valued RDNs included. */
    static String commonName(byte[] encodedSubject) {
        RDN[] names = X500Name.getInstance(encodedSubject).getRDNs(BCStyle.CN);
        if (names.length == 0) {
            return "";
        }
        // The value itself, as AWS's policy variable holds it: not the RFC 4514 string form with its escapes.
        return names[0].getFirst().getValue() instanceof ASN1String text ? text.getString()
                : IETFUtils.valueToString(names[0].getFirst().getValue());
    }

    /**
     * AWS's treatment of an unauthorized CONNECT, by switch for MQTT 3.1.1: close (observed), CONNACK 5, or CONNACK 7
     * (2022 docs). An MQTT 5 client gets CONNACK 0x87 (Not authorized), which AWS's MQTT page documents.
     */
    private void refuseUnauthorized(ChannelHandlerContext ctx, MqttPolicy.Violation violation) {
        Profile.UnauthorizedConnect treatment = connection.layer.profile().unauthorizedConnect();
        connection.established.observation().refuse(new Refusal(violation.rule(), Refusal.NO_ALERT, violation.detail()
                + " (broker.unauthorized-connect=" + treatment.name().toLowerCase(Locale.ROOT).replace('_', '-') + ")"));
        connection.mqtt.disconnectReason(violation.lifecycleReason());
        connection.state = MqttConnection.State.CLOSED;
        if (treatment == Profile.UnauthorizedConnect.CLOSE && connection.mqttVersion != 5) {
            ctx.close();
            return;
        }
        if (treatment == Profile.UnauthorizedConnect.CONNACK_7 && connection.mqttVersion == 4) {
            // Code 7 is not an MQTT 3.1.1 return code, so Netty's encoder has no constant for it: the four
            // bytes are CONNACK type (0x20), remaining length 2, no session present, return code 7.
            connection.mqtt.packet(false, "CONNACK", "return code 7 (non-standard, as AWS's 2022 docs describe)");
            ctx.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {0x20, 0x02, 0x00, 0x07}))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        MqttConnectReturnCode code = connection.mqttVersion == 5 ? MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED_5
                : MqttConnectReturnCode.CONNECTION_REFUSED_NOT_AUTHORIZED;
        ctx.writeAndFlush(MqttMessageBuilders.connAck().returnCode(code).sessionPresent(false).build())
                .addListener(ChannelFutureListener.CLOSE);
    }

    /** Carries out {@link MqttPolicy#onThrottledConnect}: CONNACK 0x9F for MQTT 5, a close for 3.1.1. */
    private void refuseThrottled(ChannelHandlerContext ctx, Refusal throttled) {
        connection.established.observation().refuse(throttled);
        connection.mqtt.disconnectReason("THROTTLED");
        connection.state = MqttConnection.State.CLOSED;
        if (connection.mqttVersion != 5) {
            ctx.close();
            return;
        }
        ctx.writeAndFlush(MqttMessageBuilders.connAck().returnCode(MqttConnectReturnCode.CONNECTION_REFUSED_CONNECTION_RATE_EXCEEDED)
                .sessionPresent(false).build()).addListener(ChannelFutureListener.CLOSE);
    }

    private void onBackendConnack(ChannelHandlerContext ctx, MqttConnAckMessage connack) {
        if (connack.variableHeader().connectReturnCode() != MqttConnectReturnCode.CONNECTION_ACCEPTED) {
            connection.established.observation().refuse(new Refusal(Rule.MQTT_CONN_02, Refusal.NO_ALERT, "the back-end broker"
                    + " refused the session: " + connack.variableHeader().connectReturnCode()));
            connection.close("SERVER_ERROR");
            return;
        }
        connection.state = MqttConnection.State.CONNECTED;
        connection.layer.lifecycle().connected(connection.clientId, connection.established, ctx.channel());
        if (connection.established.device() != null) {
            // The last step of provisioning by claim: the device is back with the certificate RegisterThing activated.
            connection.layer.services().provisioning().provisionedThing(connection.established.device().fingerprint())
                    .ifPresent(thing -> connection.established.observation().addCheck(Check.pass(Rule.CLIENT_PROV_01,
                            connection.clientId + " reconnected with the certificate provisioned for the thing " + thing)));
        }
        MqttConnAckMessage answer = AwsConnack.accepted(connection.mqttVersion, connack.variableHeader().isSessionPresent(),
                connection.connackFacts, connection.established.observation());
        if (connack.variableHeader().isSessionPresent()) {
            MqttRelay relay = (MqttRelay) ctx.pipeline().get(MqttRelay.NAME);
            if (relay != null) {
                relay.resumedSession();
            }
        }
        connection.send(answer).addListener(written -> {
            // A CONNACK a misbehaviour withheld leaves the gate in place: the client has still not been answered.
            if (written.isSuccess() && connection.state != MqttConnection.State.CLOSED) {
                connection.connackSent = true;
                ctx.pipeline().remove(this);
            }
        });
    }


}
