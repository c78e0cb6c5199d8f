// Minimal LwM2M client built on Eclipse Leshan's client library, used only to
// validate the interop harness (tests/interop/leshan.py) before the project's
// own C client exists. Leshan's packaged demo client is not published on Maven
// Central, so this stands in for it.
//
// Usage: java -cp ... SelfCheckClient <endpoint> <server-uri> [lifetime-seconds]
//
// It binds to 127.0.0.1 on an ephemeral port, registers with Security (0),
// Server (1) and Device (3), and de-registers when the JVM shuts down (SIGINT
// or SIGTERM run the shutdown hook).

import java.util.EnumSet;

import org.eclipse.leshan.client.californium.LeshanClient;
import org.eclipse.leshan.client.californium.LeshanClientBuilder;
import org.eclipse.leshan.client.object.Device;
import org.eclipse.leshan.client.object.Security;
import org.eclipse.leshan.client.object.Server;
import org.eclipse.leshan.client.resource.ObjectsInitializer;
import org.eclipse.leshan.client.servers.ServerIdentity;
import org.eclipse.leshan.core.LwM2mId;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.response.ReadResponse;

public class SelfCheckClient {

    /** Device object that also reports a firmware version (resource 3). */
    public static class SelfCheckDevice extends Device {
        public SelfCheckDevice() {
            super("anj-rs selfcheck", "leshan-client", "0001", EnumSet.of(BindingMode.U));
        }

        @Override
        public ReadResponse read(ServerIdentity identity, int resourceId) {
            if (resourceId == 3) {
                return ReadResponse.success(resourceId, "selfcheck-1.0");
            }
            return super.read(identity, resourceId);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: SelfCheckClient <endpoint> <server-uri> [lifetime]");
            System.exit(2);
        }
        String endpoint = args[0];
        String serverUri = args[1];
        long lifetime = args.length > 2 ? Long.parseLong(args[2]) : 300;
        int shortServerId = 123;

        ObjectsInitializer initializer = new ObjectsInitializer();
        initializer.setInstancesForObject(LwM2mId.SECURITY, Security.noSec(serverUri, shortServerId));
        initializer.setInstancesForObject(LwM2mId.SERVER, new Server(shortServerId, lifetime));
        initializer.setInstancesForObject(LwM2mId.DEVICE, new SelfCheckDevice());

        LeshanClientBuilder builder = new LeshanClientBuilder(endpoint);
        // Loopback only: the harness must never talk to any other address.
        builder.setLocalAddress("127.0.0.1", 0);
        builder.setObjects(initializer.create(LwM2mId.SECURITY, LwM2mId.SERVER, LwM2mId.DEVICE));
        final LeshanClient client = builder.build();

        client.start();
        System.out.println("selfcheck client started: " + endpoint + " -> " + serverUri);
        System.out.flush();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("selfcheck client stopping: de-registering");
            System.out.flush();
            // true: send a De-register request before tearing down.
            client.destroy(true);
        }));
    }
}
