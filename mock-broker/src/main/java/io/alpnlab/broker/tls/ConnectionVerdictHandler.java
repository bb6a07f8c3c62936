package io.alpnlab.broker.tls;

import io.alpnlab.broker.BrokerContext;
import io.alpnlab.broker.observe.ConnectionObservation;
import io.alpnlab.broker.policy.HandshakeDiagnosis;
import io.alpnlab.broker.policy.HandshakeFailure;
import io.alpnlab.broker.policy.HelloDecision;
import io.alpnlab.broker.policy.Misbehaviours;
import io.alpnlab.broker.policy.Refusal;
import io.alpnlab.broker.policy.TlsNames;
import io.alpnlab.broker.rules.Rule;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.tls.AlertLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the TLS side's events into the connection's one verdict and publishes its record when
 * it closes: the ClientHello decision, a refusal, a fatal alert explained by
 * {@link HandshakeDiagnosis}, completion, a client that closed mid-handshake, and the handshake
 * deadline. It decides nothing about the client itself; the observation guards that only the
 * first verdict counts.
 */
public final class ConnectionVerdictHandler extends ChannelInboundHandlerAdapter {

    public static final String NAME = "tls-verdict";

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionVerdictHandler.class);

    private final BrokerContext broker;
    private final ConnectionObservation observation;
    private final Misbehaviours misbehaviours;
    private ScheduledFuture<?> handshakeTimeout;
    private ClientHelloDecidedEvent clientHello;
    private boolean serverFlightSent;
    private boolean handshakeComplete;
    private boolean published;

    public ConnectionVerdictHandler(BrokerContext broker, ConnectionObservation observation, Misbehaviours misbehaviours) {
        this.broker = broker;
        this.observation = observation;
        this.misbehaviours = misbehaviours;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        handshakeTimeout = ctx.executor().schedule(() -> onHandshakeTimeout(ctx),
                broker.timing().handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS);
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof ClientHelloDecidedEvent decided) {
            onClientHello(decided);
        } else if (event instanceof ServerHelloSentEvent) {
            serverFlightSent = true;
        } else if (event instanceof ConnectionRefusedEvent refused) {
            observation.addChecks(refused.checks());
            observation.refuse(refused.refusal());
        } else if (event instanceof TlsFailedEvent failed) {
            onTlsFailed(failed);
        } else if (event instanceof TlsEstablished established) {
            onEstablished(established);
        }
        super.userEventTriggered(ctx, event);
    }

    private void onClientHello(ClientHelloDecidedEvent decided) {
        clientHello = decided;
        if (decided.error() != null) {
            observation.clientHelloError(decided.error(), decided.length());
        } else if (decided.hello() != null) {
            observation.clientHello(decided.hello());
        }
        HelloDecision decision = decided.decision();
        if (decision == null) {
            return;
        }
        observation.addChecks(decision.checks());
        if (decision.refused()) {
            if (decided.alertSent()) {
                observation.alert(true, AlertLevel.fatal, decision.refusal().alert());
            }
            observation.refuse(decision.refusal());
        } else {
            observation.plan(decision.application().name(), decision.selectedAlpn(), misbehaviours.describe());
        }
    }

    private void onTlsFailed(TlsFailedEvent failed) {
        if (failed.handshakeComplete() && !failed.sentByClient()) {
            // A bad record after the handshake (one over 2^14 bytes, say): the session ends with the RFC's alert,
            // and the record says which, under the rule for well-formed TLS input.
            observation.addCheck(HandshakeDiagnosis.afterHandshake(failed.alert(), failed.message()));
            return;
        }
        if (failed.handshakeComplete() || observation.hasVerdict()) {
            return;
        }
        Refusal explanation = HandshakeDiagnosis.explainFailure(new HandshakeFailure(failed.alert(), failed.sentByClient(),
                failed.lastHandshakeMessageReceived(), observation.wasCertificateRequestSent(), serverFlightSent,
                misbehaviours, failed.message(), offeredMaxFragmentLength()));
        if (failed.sentByClient()) {
            observation.clientAborted(explanation, HandshakeDiagnosis.verdictOfClientAbort(explanation));
        } else {
            observation.refuse(explanation);
        }
    }

    private void onEstablished(TlsEstablished established) {
        handshakeComplete = true;
        cancelTimeout();
        HelloDecision decision = clientHello.decision();
        observation.handshakeCompleted(TlsNames.versionName(established.protocolVersion()), established.cipherSuite(),
                established.alpn(), decision.acceptedBy());
        observation.addChecks(HandshakeDiagnosis.onHandshakeComplete(misbehaviours, established.alpn(),
                clientHello.hello() != null && clientHello.hello().alpnNames() != null));
    }

    private void onHandshakeTimeout(ChannelHandlerContext ctx) {
        if (handshakeComplete || !ctx.channel().isActive()) {
            return;
        }
        String progress = clientHello == null || clientHello.hello() == null
                ? "ClientHello not complete (" + observation.inboundBytes() + " bytes received)"
                : "ClientHello received, handshake not finished";
        observation.refuse(new Refusal(Rule.TLS_HS_01, Refusal.NO_ALERT, "TLS handshake not completed within "
                + broker.timing().handshakeTimeout().toMillis() + " ms: " + progress));
        ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelTimeout();
        if (!handshakeComplete && !observation.hasVerdict()) {
            Refusal explanation = HandshakeDiagnosis.explainClientClose(misbehaviours, serverFlightSent,
                    clientHello != null && clientHello.hello() != null, offeredMaxFragmentLength());
            observation.clientClosed(explanation, HandshakeDiagnosis.verdictOfClientAbort(explanation));
        }
        if (!published) {
            published = true;
            // Publish before leaving the open set: whoever waits for "no open connection" then finds the record.
            broker.recorder().publish(observation.finish());
            broker.closed(observation);
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A reset or a broken pipe ends this connection only; the broker keeps serving the others.
        LOG.debug("conn#{} closed on {}", observation.id(), cause.toString());
        ctx.close();
    }

    private Integer offeredMaxFragmentLength() {
        return clientHello == null || clientHello.hello() == null ? null : clientHello.hello().maxFragmentLength();
    }

    private void cancelTimeout() {
        if (handshakeTimeout != null) {
            handshakeTimeout.cancel(false);
        }
    }
}
