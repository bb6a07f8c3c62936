package io.alpnlab.conformance.client;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.WaitContainerResultCallback;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.OutputFrame;
import org.testcontainers.containers.startupcheck.StartupCheckStrategy;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * Runs a client's command in a container image with Testcontainers: the vendor's test harness image,
 * given the same placeholders as a program on this machine. The container shares the host's network
 * (the suite's broker listens on its loopback address), the endpoint name resolves to that address in
 * the container's /etc/hosts, and the CA and device files are copied in at the paths the placeholders
 * name.
 */
final class ContainerLauncher implements CommandLauncher {

    private final DockerImageName image;

    ContainerLauncher(String image) {
        this.image = DockerImageName.parse(image);
    }

    @Override
    public Execution run(List<String> command, Map<String, String> environment, Path directory, ClientTask task, Duration limit)
            throws InterruptedException {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            return Execution.notStarted("no Docker daemon is reachable to run " + image);
        }
        try (GenericContainer<?> container = new GenericContainer<>(image)) {
            // The program is in the image, so it runs in the image's working directory, not the description's folder.
            container.withNetworkMode("host").withCommand(command.toArray(String[]::new)).withEnv(environment)
                    .withStartupCheckStrategy(new StartedOrExited());
            if (task != null) {
                container.withExtraHost(task.serverName(), task.host());
                // Copied in (docker cp) rather than bind-mounted: Testcontainers checks bind mounts with a
                // helper image it would have to pull.
                for (Path file : new Path[] {task.caFile(), task.certFile(), task.keyFile()}) {
                    if (file != null) {
                        String path = file.toAbsolutePath().toString();
                        container.withCopyFileToContainer(MountableFile.forHostPath(path), path);
                    }
                }
            }
            try {
                container.start();
            } catch (RuntimeException e) {
                return Execution.notStarted("cannot start " + image + ": " + e.getMessage());
            }
            Integer exit;
            try (WaitContainerResultCallback waiting = container.getDockerClient().waitContainerCmd(container.getContainerId())
                    .exec(new WaitContainerResultCallback())) {
                exit = waiting.awaitStatusCode(limit.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RuntimeException timedOut) {
                exit = null;
            } catch (java.io.IOException e) {
                exit = null;
            }
            String stdout = container.getLogs(OutputFrame.OutputType.STDOUT);
            String stderr = container.getLogs(OutputFrame.OutputType.STDERR);
            return new Execution(exit != null, exit == null ? -1 : exit, stdout, stderr, null);
        }
    }

    /** A one-shot command: started is enough, even when it has already exited with a failure code. */
    private static final class StartedOrExited extends StartupCheckStrategy {
        @Override
        public StartupStatus checkStartupState(com.github.dockerjava.api.DockerClient docker, String containerId) {
            InspectContainerResponse.ContainerState state = getCurrentState(docker, containerId);
            return "created".equals(state.getStatus()) ? StartupStatus.NOT_YET_KNOWN : StartupStatus.SUCCESSFUL;
        }
    }
}
