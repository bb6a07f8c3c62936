package io.alpnlab.broker.policy;

import static org.bouncycastle.tls.CipherSuite.TLS_AES_128_GCM_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_AES_256_GCM_SHA384;
import static org.bouncycastle.tls.CipherSuite.TLS_CHACHA20_POLY1305_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_128_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA256;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA;
import static org.bouncycastle.tls.CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.bouncycastle.tls.ProtocolVersion;

/**
 * AWS IoT Core's predefined TLS security policies (aws-iot-rules.md section 3): the versions and
 * suites an endpoint accepts. The suite lists of the default and 2022 policies are AWS's
 * documented ones; the two legacy policies add TLS 1.0 and 1.1 with the same suites (INF: their
 * exact lists are not in our reference).
 */
public enum SecurityPolicy {
    TLS13_1_3_2022_10("IoTSecurityPolicy_TLS13_1_3_2022_10", ProtocolVersion.TLSv13, ProtocolVersion.TLSv13),
    TLS13_1_2_2022_10("IoTSecurityPolicy_TLS13_1_2_2022_10", ProtocolVersion.TLSv12, ProtocolVersion.TLSv13),
    TLS12_1_2_2022_10("IoTSecurityPolicy_TLS12_1_2_2022_10", ProtocolVersion.TLSv12, ProtocolVersion.TLSv12),
    TLS12_1_0_2016_01("IoTSecurityPolicy_TLS12_1_0_2016_01", ProtocolVersion.TLSv10, ProtocolVersion.TLSv12),
    TLS12_1_0_2015_01("IoTSecurityPolicy_TLS12_1_0_2015_01", ProtocolVersion.TLSv10, ProtocolVersion.TLSv12);

    public static final SecurityPolicy DEFAULT = TLS13_1_2_2022_10;

    private static final int[] TLS13_SUITES = {TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384, TLS_CHACHA20_POLY1305_SHA256};

    /** AWS's TLS 1.2 list, in AWS's order (ECDSA suites last, as documented). */
    private static final int[] TLS12_SUITES = {
        TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        TLS_RSA_WITH_AES_128_GCM_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA256, TLS_RSA_WITH_AES_128_CBC_SHA,
        TLS_RSA_WITH_AES_256_GCM_SHA384, TLS_RSA_WITH_AES_256_CBC_SHA256, TLS_RSA_WITH_AES_256_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384, TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA};

    /**
     * Suites that pass without a warning: forward-secret AEAD. The others in the policy (static RSA
     * key exchange, CBC) are accepted by AWS but graded "pass with warnings", as Device Advisor's
     * cipher-suite test does.
     */
    private static final Set<Integer> STRONG = Set.of(TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
            TLS_CHACHA20_POLY1305_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);

    private final String awsName;
    /** From newest to oldest, as Bouncy Castle wants them. */
    private final ProtocolVersion[] versions;

    SecurityPolicy(String awsName, ProtocolVersion minimum, ProtocolVersion maximum) {
        this.awsName = awsName;
        this.versions = maximum.downTo(minimum);
    }

    /** AWS's name, e.g. {@code IoTSecurityPolicy_TLS13_1_2_2022_10}. */
    public String awsName() {
        return awsName;
    }

    /** Versions from newest to oldest, as Bouncy Castle wants them. */
    public ProtocolVersion[] versions() {
        return versions.clone();
    }

    public boolean allowsVersion(int wireVersion) {
        return Arrays.stream(versions()).anyMatch(version -> version.getFullVersion() == wireVersion);
    }

    /** Suites in preference order: TLS 1.3 ones (when allowed) then the TLS 1.2 list. */
    public int[] cipherSuites() {
        List<Integer> suites = new ArrayList<>();
        if (allowsVersion(ProtocolVersion.TLSv13.getFullVersion())) {
            Arrays.stream(TLS13_SUITES).forEach(suites::add);
        }
        if (allowsVersion(ProtocolVersion.TLSv12.getFullVersion())) {
            Arrays.stream(TLS12_SUITES).forEach(suites::add);
        }
        return suites.stream().mapToInt(Integer::intValue).toArray();
    }

    /** How an offered suite list is graded against this policy (rule TLS-SUITE-01). */
    public enum Grade { PASS, PASS_WITH_WARNINGS, FAIL }

    public Grade grade(List<Integer> offered) {
        Set<Integer> policy = new java.util.HashSet<>();
        Arrays.stream(cipherSuites()).forEach(policy::add);
        boolean any = false;
        for (int suite : offered) {
            if (policy.contains(suite)) {
                if (STRONG.contains(suite)) {
                    return Grade.PASS;
                }
                any = true;
            }
        }
        return any ? Grade.PASS_WITH_WARNINGS : Grade.FAIL;
    }

    public static SecurityPolicy fromAwsName(String name) {
        return Arrays.stream(values()).filter(policy -> policy.awsName.equals(name) || policy.name().equals(name))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown security policy '" + name
                        + "' (expected one of " + Arrays.stream(values()).map(SecurityPolicy::awsName).toList() + ")"));
    }
}
