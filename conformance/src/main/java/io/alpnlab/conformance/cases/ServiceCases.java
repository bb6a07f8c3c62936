package io.alpnlab.conformance.cases;

import static io.alpnlab.conformance.cases.ConformanceCase.named;

import io.alpnlab.broker.policy.MqttPolicy;
import io.alpnlab.broker.rules.Rule;
import io.alpnlab.conformance.client.ClientTask;
import java.time.Duration;
import java.util.List;

/**
 * The device half of a product, as Device Advisor qualifies it: the Device Shadow, Jobs, fleet
 * provisioning by claim, a payload at AWS's limit, and a least-privilege policy. The broker's device
 * services judge what the device did (their checks on its connections); the suite plays the operator.
 */
public final class ServiceCases {

    /** The desired change the suite makes in Shadow-ApplyDesired; the device's first report says 20. */
    static final String DESIRED_CHANGE = "{\"alpnlab_setpoint\":21}";
    /** The job Jobs-Execution queues. */
    static final String JOB_ID = "alpnlab-firmware-1";

    private ServiceCases() {
    }

    /**
     * Queues the case's job. Each case starts from an empty queue (its before step deletes the thing's executions), so
     * the job ID, and the least-privilege policy that names it, stay the same from run to run.
     */
    private static void queueJob(io.alpnlab.broker.services.DeviceServices services, String thing, String note) {
        services.createJob(thing, JOB_ID, "{\"operation\":\"alpnlab-test\",\"note\":\"" + note + "\"}");
    }

    public static List<ConformanceCase> all() {
        return List.of(
                named("Shadow-ReportState", Rule.CLIENT_SHADOW_01).action(ClientTask.Action.SHADOW_REPORT)
                        .judge(Judge.serviceCheck("CLIENT-SHADOW-01", "the device never reported state to its shadow: no"
                                + " accepted update with a reported section"))
                        .hint("publish {\"state\":{\"reported\":{...}}} to $aws/things/<thing>/shadow/update once connected,"
                                + " and wait for /update/accepted (subscribe to it and to /update/rejected first)")
                        .build(),
                named("Shadow-ApplyDesired", Rule.CLIENT_SHADOW_02).action(ClientTask.Action.SHADOW_SYNC)
                        // Once the device has reported its first state, as a device listening on /update/delta by then does.
                        .readyWhen((services, thing) -> services.shadows().document(thing, "").isPresent())
                        .afterSubscribe((services, thing) -> services.setDesired(thing, "", DESIRED_CHANGE))
                        .judge(Judge.serviceCheck("CLIENT-SHADOW-02", "the desired change " + DESIRED_CHANGE + " was never"
                                + " reported back: the shadow's delta is still open"))
                        .hint("subscribe to $aws/things/<thing>/shadow/update/delta before you report, apply what it carries"
                                + " and report the new values as reported state, so that the delta clears")
                        .assuming("once the device has reported its first state, the suite sets desired " + DESIRED_CHANGE)
                        .build(),
                named("Shadow-VersionConflict", Rule.CLIENT_SHADOW_03).action(ClientTask.Action.SHADOW_REPORT)
                        .before((services, thing) -> {
                            // An earlier writer (a previous boot of the device) left version 1; the device's update meets
                            // it as a conflict until it reads the shadow.
                            services.setReported(thing, "", "{\"alpnlab_setpoint\":19}");
                            services.shadows().forceVersionConflict(thing);
                        })
                        .judge(Judge.serviceCheck("CLIENT-SHADOW-03", "the device never got its update accepted after the"
                                + " 409: it did not read the shadow again (publish to .../shadow/get) before retrying"))
                        .hint("on /update/rejected with code 409, read the shadow (publish to .../shadow/get) to learn the"
                                + " version that moved on, then retry; never resend the same update in a loop")
                        .assuming("the shadow exists (version 1, from an earlier writer) and has moved on: the device's"
                                + " updates are refused with 409 until it reads the shadow again").build(),
                named("Jobs-Execution", Rule.CLIENT_JOBS_01).action(ClientTask.Action.JOB)
                        .before((services, thing) -> {
                            services.jobs().deleteExecutions(thing);
                            queueJob(services, thing, "report IN_PROGRESS, then SUCCEEDED");
                        })
                        .judge(Judge.serviceCheck("CLIENT-JOBS-01", "the job execution never reached SUCCEEDED, FAILED or"
                                + " REJECTED"))
                        .hint("take the job with $aws/things/<thing>/jobs/start-next (or report IN_PROGRESS first), do it,"
                                + " then report SUCCEEDED or FAILED on .../jobs/<jobId>/update with expectedVersion")
                        .assuming("one job is queued for the thing before the device connects").build(),
                named("Jobs-NotifyNext", Rule.CLIENT_JOBS_02).action(ClientTask.Action.JOB)
                        .before((services, thing) -> services.jobs().deleteExecutions(thing))
                        .readyWhen((services, thing) -> services.jobs().foundNoJob(thing))
                        .afterSubscribe((services, thing) -> queueJob(services, thing, "queued while the device is connected"))
                        .judge(Judge.serviceCheck("CLIENT-JOBS-02", "the device never took the job queued while it was"
                                + " connected: it did not act on notify-next"))
                        .hint("subscribe to $aws/things/<thing>/jobs/notify-next and, when it carries an execution, take it"
                                + " (start-next or an IN_PROGRESS update); a device that only asks at boot misses jobs queued later")
                        .assuming("the device finds no job when it asks; the suite then queues one while it stays connected")
                        .build(),
                named("Provisioning-ByClaim", Rule.CLIENT_PROV_01).action(ClientTask.Action.PROVISION).budget(Duration.ofSeconds(15))
                        .judge(Judge.serviceCheck("CLIENT-PROV-01", "the device never came back with the certificate"
                                + " RegisterThing activated"))
                        .hint("with the claim certificate: CreateKeysAndCertificate or CreateCertificateFromCsr, then"
                                + " RegisterThing with the template; store the new certificate and reconnect with it")
                        .assuming("the device's certificate is the claim; the template is alpnlab-fleet (thing name ="
                                + " SerialNumber)").build(),
                named("MQTT-Subscribe-Payload128K", Rule.CLIENT_PUBACK_01).action(ClientTask.Action.SUBSCRIBE)
                        .needs(ConformanceCase.Need.LARGE_DELIVERY).delivering(MqttPolicy.MAX_PAYLOAD_BYTES)
                        .budget(Duration.ofSeconds(15)).judge(Judge.acknowledgedDelivery(MqttPolicy.MAX_PAYLOAD_BYTES))
                        .hint("size the MQTT receive buffer for AWS's 128 KB payloads (coreMQTT's network buffer, the TLS"
                                + " input buffer) and acknowledge the QoS 1 PUBLISH")
                        .explainedBy(ConformanceCase.Cause.below("mqtt_in_buffer", MqttPolicy.MAX_PAYLOAD_BYTES, "the device"
                                + " takes MQTT packets of at most {value} bytes"))
                        .advisory("AWS delivers a payload this large only when something publishes one to the device's"
                                + " topics: a device sized for its own messages works at AWS, though Device Advisor's large-payload"
                                + " test fails it")
                        .assuming("once the client has subscribed, the suite publishes " + MqttPolicy.MAX_PAYLOAD_BYTES
                                + " bytes at QoS 1 to its topic").build(),
                named("Policy-LeastPrivilege", Rule.CLIENT_POLICY_01).action(ClientTask.Action.SHADOW_REPORT)
                        .needs(ConformanceCase.Need.POLICY).judge(Judge.withinPolicy())
                        .hint("use only the client ID, topics and filters your device is given (its thing's shadow topics,"
                                + " its telemetry topic): AWS refuses everything a least-privilege policy does not name")
                        .assuming("the device runs under conformance.policy, or under the suite's least-privilege policy for"
                                + " the task (no wildcards)").build());
    }
}
