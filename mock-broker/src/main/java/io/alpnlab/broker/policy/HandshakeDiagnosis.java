package io.alpnlab.broker.policy;

import io.alpnlab.broker.rules.Check;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.certs.ServerChainVariant;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.tls.AlertDescription;
import org.bouncycastle.tls.HandshakeType;

/**
 * What the end of a handshake says about the client, as pure functions: a completed handshake
 * judged against what the server did on purpose, and the rule behind a handshake that failed
 * without the policy refusing it (an alert Bouncy Castle raised, one the client sent, or a silent
 * close). {@link ConnectionPolicy} decides; this class explains.
 */
public final class HandshakeDiagnosis {

    private HandshakeDiagnosis() {
    }

    /**
     * The broker raised a fatal alert after the handshake (a record over 2^14 bytes, say): the session
     * ends with the RFC's alert, and the record says which, under the rule for well-formed TLS input.
     */
    public static Check afterHandshake(short alert, String why) {
        return Check.fail(Rule.TLS_HS_02, "after the handshake the client sent what TLS forbids; answered with the fatal"
                + " alert " + AlertDescription.getName(alert) + ": " + why);
    }

    /** What a completed handshake says about the client, given what the server did on purpose. */
    public static List<Check> onHandshakeComplete(Misbehaviours misbehaviours, String selectedAlpn, boolean alpnOffered) {
        List<Check> checks = new ArrayList<>();
        ServerChainVariant chain = misbehaviours.serveChain();
        Rule verifyRule = verificationRule(chain);
        if (verifyRule != null) {
            checks.add(Check.fail(verifyRule, "the client completed the handshake with the " + chain.cliName()
                    + " server chain (" + chain.description() + "): it does not verify the server, a security hole"));
        } else if (chain != ServerChainVariant.VALID) {
            checks.add(Check.pass(sizeRule(chain), "the client accepted the " + chain.cliName() + " chain"));
        }
        if (misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS)) {
            checks.add(Check.pass(Rule.TLS_SIZE_02, "the client reassembled handshake messages split into "
                    + Misbehaviours.SPLIT_RECORD_BYTES + "-byte records"));
        }
        if (alpnOffered && selectedAlpn == null && misbehaviours.on(Misbehaviour.SELECT_NO_ALPN)) {
            checks.add(Check.pass(Rule.TLS_ALPN_07, "the client continued although no ALPN name was selected"));
        }
        if (misbehaviours.on(Misbehaviour.SELECT_UNOFFERED_ALPN) && Misbehaviours.UNOFFERED_ALPN.equals(selectedAlpn)) {
            checks.add(Check.fail(Rule.TLS_ALPN_08, "the client completed the handshake although the server selected"
                    + " the ALPN name " + Misbehaviours.UNOFFERED_ALPN + ", which it never offered"));
        }
        checks.add(Check.pass(Rule.TLS_HS_03, "handshake completed"));
        return checks;
    }

    /**
     * Names the rule behind a failed handshake that the policy did not refuse itself: an alert
     * Bouncy Castle raised (an unsolicited Certificate, for instance) or one the client sent.
     */
    public static Refusal explainFailure(HandshakeFailure failure) {
        String alertName = AlertDescription.getName(failure.alert());
        if (failure.sentByClient()) {
            ServerChainVariant chain = failure.misbehaviours().serveChain();
            Rule verifyRule = verificationRule(chain);
            if (verifyRule != null) {
                return new Refusal(verifyRule, failure.alert(), "the client refused the " + chain.cliName()
                        + " server chain with alert " + alertName + ", as it must");
            }
            if (chain != ServerChainVariant.VALID) {
                return new Refusal(sizeRule(chain), failure.alert(), "the client aborted with alert " + alertName
                        + " when served the valid " + chain.cliName() + " chain ("
                        + chain.description() + "); check its TLS input buffer size" + mflNote(failure.maxFragmentLength()));
            }
            if (failure.misbehaviours().on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS)) {
                return new Refusal(Rule.TLS_SIZE_02, failure.alert(), "the client aborted with alert " + alertName
                        + " when handshake messages were split over small records");
            }
            if (failure.misbehaviours().on(Misbehaviour.SELECT_UNOFFERED_ALPN) && failure.serverFlightSent()) {
                return new Refusal(Rule.TLS_ALPN_08, failure.alert(), "the client refused an ALPN name it did not offer"
                        + " (alert " + alertName + "), as RFC 7301 requires");
            }
            if (failure.misbehaviours().on(Misbehaviour.SELECT_NO_ALPN) && failure.serverFlightSent()) {
                return new Refusal(Rule.TLS_ALPN_07, failure.alert(), "the client aborted with alert " + alertName
                        + " when the server selected no ALPN name; it must cope with that");
            }
            return new Refusal(Rule.TLS_HS_03, failure.alert(), "the client aborted the handshake with alert " + alertName);
        }
        if (failure.alert() == AlertDescription.unexpected_message
                && failure.lastHandshakeMessageReceived() == HandshakeType.certificate && !failure.certificateRequestSent()) {
            return new Refusal(Rule.TLS_CERT_01, failure.alert(), "the client sent a Certificate the server did not request"
                    + " (no CertificateRequest was sent); send a client certificate only when asked");
        }
        if (failure.alert() == AlertDescription.decode_error || failure.alert() == AlertDescription.illegal_parameter) {
            return new Refusal(Rule.TLS_HS_03, failure.alert(), "malformed handshake message from the client ("
                    + alertName + (failure.message() == null ? "" : ": " + failure.message()) + ")");
        }
        return new Refusal(Rule.TLS_HS_03, failure.alert(), "handshake failed with alert " + alertName
                + (failure.message() == null ? "" : " (" + failure.message() + ")"));
    }

    /**
     * Names the rule behind a client closing the TCP connection during the handshake without an
     * alert (some stacks refuse a server certificate that way). {@code maxFragmentLength} is the
     * client's max_fragment_length code (1..4), or null, to name it when a large chain was refused.
     */
    public static Refusal explainClientClose(Misbehaviours misbehaviours, boolean serverFlightSent, boolean clientHelloSeen,
            Integer maxFragmentLength) {
        if (!clientHelloSeen) {
            return new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT,
                    "the client closed the connection before sending a complete ClientHello");
        }
        Rule verifyRule = verificationRule(misbehaviours.serveChain());
        if (serverFlightSent && verifyRule != null) {
            return new Refusal(verifyRule, Refusal.NO_ALERT, "the client closed the connection (without an alert) after being"
                    + " served the " + misbehaviours.serveChain().cliName() + " chain: it refused it");
        }
        ServerChainVariant chain = misbehaviours.serveChain();
        if (serverFlightSent && verifyRule == null && chain != ServerChainVariant.VALID) {
            return new Refusal(sizeRule(chain), Refusal.NO_ALERT, "the client closed the connection (without an alert) when"
                    + " served the valid " + chain.cliName() + " chain (" + chain.description() + "); check its TLS input"
                    + " buffer size" + mflNote(maxFragmentLength));
        }
        if (serverFlightSent && misbehaviours.on(Misbehaviour.SPLIT_HANDSHAKE_RECORDS)) {
            return new Refusal(Rule.TLS_SIZE_02, Refusal.NO_ALERT, "the client closed the connection (without an alert) when"
                    + " handshake messages were split over small records: it cannot reassemble them");
        }
        if (serverFlightSent && misbehaviours.on(Misbehaviour.SELECT_UNOFFERED_ALPN)) {
            return new Refusal(Rule.TLS_ALPN_08, Refusal.NO_ALERT, "the client closed the connection (without an alert) when"
                    + " the server selected an ALPN name it never offered: it refused it");
        }
        return new Refusal(Rule.TLS_HS_03, Refusal.NO_ALERT, "the client closed the connection during the handshake"
                + " without an alert" + (serverFlightSent ? " after the server's first flight" : ""));
    }

    /**
     * Judges a client that ended the handshake itself: correct when the rule is one a client keeps
     * by refusing (a defective chain, an ALPN name it never offered), a failure otherwise.
     */
    public static Check verdictOfClientAbort(Refusal explanation) {
        boolean refusingWasRight = switch (explanation.rule()) {
            case TLS_VERIFY_01, TLS_VERIFY_02, TLS_VERIFY_03, TLS_ALPN_08 -> true;
            default -> false;
        };
        return refusingWasRight ? Check.pass(explanation.rule(), explanation.detail())
                : Check.fail(explanation.rule(), explanation.detail());
    }

    /** The bytes a max_fragment_length code (RFC 6066 section 4) asks for: 1 is 512 up to 4 is 4096. */
    public static int maxFragmentBytes(int code) {
        return code >= 1 && code <= 4 ? 256 << code : -1;
    }

    /**
     * Why a client that offered max_fragment_length failed on a large record: it counted on the
     * server cutting its records, which AWS does not do (TLS-MFL-01).
     */
    private static String mflNote(Integer maxFragmentLength) {
        return maxFragmentLength == null ? "" : "; the client offered max_fragment_length "
                + maxFragmentBytes(maxFragmentLength) + ", which AWS ignores (" + Rule.TLS_MFL_01.id() + "): size the TLS input"
                + " buffer for the records AWS sends (MBEDTLS_SSL_IN_CONTENT_LEN at least 6 KB for its chain, 16 KB to be safe)"
                + " instead of relying on MFL";
    }

    /** The rule that the client breaks by accepting this chain, or null for a chain it should accept. */
    static Rule verificationRule(ServerChainVariant chain) {
        return switch (chain) {
            case EXPIRED, NOT_YET_VALID -> Rule.TLS_VERIFY_01;
            case WRONG_HOST -> Rule.TLS_VERIFY_02;
            case UNTRUSTED_ROOT, SELF_SIGNED, MISSING_INTERMEDIATE, WEAK_KEY, WRONG_EKU -> Rule.TLS_VERIFY_03;
            case VALID, LARGE, LARGE_PLUS_20, MAX_RECORD -> null;
        };
    }

    private static Rule sizeRule(ServerChainVariant chain) {
        return chain == ServerChainVariant.MAX_RECORD ? Rule.TLS_SIZE_03 : Rule.TLS_SIZE_01;
    }

}
