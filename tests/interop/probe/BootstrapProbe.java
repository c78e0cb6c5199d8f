// A LwM2M Bootstrap-Server built on Leshan's bootstrap server library (the
// org.eclipse.leshan.server.bootstrap and ...californium.bootstrap packages, shipped inside
// leshan-server-demo's jar-with-dependencies; the bsserver demo is not on Maven Central).
// It holds one in-memory configuration, for one endpoint: the Bootstrap-Server account is
// left alone, Bootstrap-Delete of /0 and /1 clears the rest, then Security /0/1 and
// Server /1/0 describe an LwM2M Server account. Listens on 127.0.0.1 only (CoAP).
//
// usage: java -cp <leshan-server-demo jar>:<classes> BootstrapProbe PORT ENDPOINT DM_URI SSID
//        [PSK_IDENTITY PSK_KEY_HEX]
//
// With BOOTSTRAP_PROBE_SCRIPT=<content format name> in the environment (e.g. TLV), the
// session is scripted instead of taken from the configuration: Bootstrap-Discover of
// /, Bootstrap-Delete of /, ONE Bootstrap-Write of /0 carrying two instances (the
// Bootstrap-Server account found by the discovery, and the new account at /0/1), a
// Bootstrap-Write of /1/0, Bootstrap-Discover again, Bootstrap-Read of /1, Finish.
//
// With BOOTSTRAP_PROBE_SECURE_PORT and BOOTSTRAP_PROBE_BS_PSK=<identity>:<key hex> it also
// listens for coaps:// on that port, and the endpoint must authenticate with that PSK.
// With BOOTSTRAP_PROBE_SECURE_PORT and BOOTSTRAP_PROBE_BS_X509=<cert>,<key>,<ca> (DER
// files: the server's certificate, its PKCS#8 private key, the CA it trusts) the coaps://
// endpoint presents that certificate, and the endpoint must authenticate with an X.509
// certificate issued by that CA whose CN is the endpoint name (Leshan's X.509 check).
// With BOOTSTRAP_PROBE_DM_X509=<cert>,<key>,<server cert>,<usage> the provisioned account
// is in Certificate mode instead: /0/1/3 the client certificate, /0/1/5 its private key,
// /0/1/4 the server certificate or trust anchor (DER files), /0/1/15 the usage (0-3).
// With BOOTSTRAP_PROBE_DM_RPK=<public key>,<private key>,<server public key> it is in RPK
// mode: /0/1/3 the client's public key (SubjectPublicKeyInfo), /0/1/5 its private key
// (PKCS#8), /0/1/4 the server's public key (DER files).
//
// Prints one JSON object per line on stdout:
//   {"event":"started","port":P}
//   {"event":"initiated","ep":E}                 (a Bootstrap-Request arrived)
//   {"event":"request","path":...,"kind":...}    (a request sent to the client)
//   {"event":"response","kind":...,"code":C,"success":B}
//   {"event":"discover","links":[...]}          (scripted: the links of a Discover)
//   {"event":"read","content":...}               (scripted: the node a Read returned)
//   {"event":"end","ep":E}                       (Bootstrap-Finish was accepted)
//   {"event":"failed","ep":E,"cause":C}
import java.io.File;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;

import org.eclipse.leshan.core.SecurityMode;
import org.eclipse.leshan.core.Link;
import org.eclipse.leshan.core.node.LwM2mObject;
import org.eclipse.leshan.core.node.LwM2mObjectInstance;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.request.BindingMode;
import org.eclipse.leshan.core.request.BootstrapDeleteRequest;
import org.eclipse.leshan.core.request.BootstrapDiscoverRequest;
import org.eclipse.leshan.core.request.BootstrapReadRequest;
import org.eclipse.leshan.core.request.BootstrapWriteRequest;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.response.BootstrapDiscoverResponse;
import org.eclipse.leshan.core.response.BootstrapReadResponse;
import org.eclipse.leshan.core.request.BootstrapDownlinkRequest;
import org.eclipse.leshan.core.request.BootstrapRequest;
import org.eclipse.leshan.core.request.Identity;
import org.eclipse.leshan.core.response.LwM2mResponse;
import org.eclipse.leshan.server.bootstrap.BootstrapConfig;
import org.eclipse.leshan.server.bootstrap.BootstrapFailureCause;
import org.eclipse.leshan.server.bootstrap.BootstrapSession;
import org.eclipse.leshan.server.bootstrap.BootstrapSessionAdapter;
import org.eclipse.leshan.server.bootstrap.BootstrapTaskProvider;
import org.eclipse.leshan.server.bootstrap.DefaultBootstrapSessionManager;
import org.eclipse.leshan.server.bootstrap.InMemoryBootstrapConfigStore;
import org.eclipse.leshan.server.californium.bootstrap.LeshanBootstrapServer;
import org.eclipse.leshan.server.californium.bootstrap.LeshanBootstrapServerBuilder;
import org.eclipse.leshan.server.model.StandardBootstrapModelProvider;
import org.eclipse.leshan.server.security.SecurityChecker;
import org.eclipse.leshan.server.security.BootstrapSecurityStore;
import org.eclipse.leshan.server.security.SecurityInfo;

public class BootstrapProbe {
    private static synchronized void emit(String json) {
        System.out.println(json);
        System.out.flush();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : String.valueOf(s).toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static byte[] hex(String s) {
        byte[] out = new byte[s.length() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
        }
        return out;
    }

    private static X509Certificate readCert(String path) throws Exception {
        try (FileInputStream in = new FileInputStream(path)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    private static String linksJson(Link[] links) {
        StringBuilder b = new StringBuilder("[");
        for (Link l : links) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(l.toString()));
        }
        return b.append(']').toString();
    }

    /** The scripted session (see the header). */
    private static BootstrapTaskProvider script(ContentFormat format, String bsUri, String dmUri, int ssid) {
        return (BootstrapSession session, List<LwM2mResponse> previous) -> {
            BootstrapTaskProvider.Tasks tasks = new BootstrapTaskProvider.Tasks();
            tasks.supportedObjects = new HashMap<>();
            tasks.supportedObjects.put(0, "1.1");
            tasks.supportedObjects.put(1, "1.1");
            tasks.supportedObjects.put(3, "1.1");
            tasks.requestsToSend = new ArrayList<>();
            if (previous == null) {
                tasks.requestsToSend.add(new BootstrapDiscoverRequest());
                tasks.last = false;
                return tasks;
            }
            Link[] links = ((BootstrapDiscoverResponse) previous.get(0)).getObjectLinks();
            int bsId = 0;
            for (Link l : links) {
                String u = l.getUrl();
                if (u.startsWith("/0/") && !l.getAttributes().containsKey("ssid")) {
                    bsId = Integer.parseInt(u.substring(3));
                }
            }
            int dmId = bsId == 1 ? 0 : 1;
            LwM2mObjectInstance bs = new LwM2mObjectInstance(bsId,
                    LwM2mSingleResource.newStringResource(0, bsUri),
                    LwM2mSingleResource.newBooleanResource(1, true),
                    LwM2mSingleResource.newIntegerResource(2, 3),
                    LwM2mSingleResource.newBinaryResource(3, new byte[0]),
                    LwM2mSingleResource.newBinaryResource(4, new byte[0]),
                    LwM2mSingleResource.newBinaryResource(5, new byte[0]),
                    LwM2mSingleResource.newIntegerResource(11, 1));
            LwM2mObjectInstance dm = new LwM2mObjectInstance(dmId,
                    LwM2mSingleResource.newStringResource(0, dmUri),
                    LwM2mSingleResource.newBooleanResource(1, false),
                    LwM2mSingleResource.newIntegerResource(2, 3),
                    LwM2mSingleResource.newBinaryResource(3, new byte[0]),
                    LwM2mSingleResource.newBinaryResource(4, new byte[0]),
                    LwM2mSingleResource.newBinaryResource(5, new byte[0]),
                    LwM2mSingleResource.newIntegerResource(10, ssid));
            LwM2mObjectInstance server = new LwM2mObjectInstance(0,
                    LwM2mSingleResource.newIntegerResource(0, ssid),
                    LwM2mSingleResource.newIntegerResource(1, 300),
                    LwM2mSingleResource.newBooleanResource(6, false),
                    LwM2mSingleResource.newStringResource(7, "U"));
            tasks.requestsToSend.add(new BootstrapDeleteRequest());
            tasks.requestsToSend.add(new BootstrapWriteRequest(new LwM2mPath(0), new LwM2mObject(0, bs, dm), format));
            tasks.requestsToSend.add(new BootstrapWriteRequest(new LwM2mPath(1, 0), server, format));
            tasks.requestsToSend.add(new BootstrapDiscoverRequest());
            tasks.requestsToSend.add(new BootstrapReadRequest(format, "/1"));
            tasks.last = true;
            return tasks;
        };
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String endpoint = args[1];
        String dmUri = args[2];
        int ssid = Integer.parseInt(args[3]);

        BootstrapConfig config = new BootstrapConfig();
        config.toDelete = new ArrayList<>();
        config.toDelete.add("/0");
        config.toDelete.add("/1");
        BootstrapConfig.ServerSecurity dm = new BootstrapConfig.ServerSecurity();
        dm.uri = dmUri;
        dm.bootstrapServer = false;
        dm.serverId = ssid;
        if (args.length >= 6) {
            dm.securityMode = SecurityMode.PSK;
            dm.publicKeyOrId = args[4].getBytes("UTF-8");
            dm.secretKey = hex(args[5]);
        } else {
            dm.securityMode = SecurityMode.NO_SEC;
            dm.publicKeyOrId = new byte[0];
            dm.secretKey = new byte[0];
        }
        dm.serverPublicKey = new byte[0];
        String dmX509 = System.getenv("BOOTSTRAP_PROBE_DM_X509");
        if (dmX509 != null && !dmX509.isEmpty()) {
            String[] f = dmX509.split(",");
            dm.securityMode = SecurityMode.X509;
            dm.publicKeyOrId = Files.readAllBytes(new File(f[0]).toPath());
            dm.secretKey = Files.readAllBytes(new File(f[1]).toPath());
            dm.serverPublicKey = Files.readAllBytes(new File(f[2]).toPath());
            dm.certificateUsage = org.eclipse.leshan.core.CertificateUsage.fromCode(Integer.parseInt(f[3]));
        }
        String dmRpk = System.getenv("BOOTSTRAP_PROBE_DM_RPK");
        if (dmRpk != null && !dmRpk.isEmpty()) {
            String[] f = dmRpk.split(",");
            dm.securityMode = SecurityMode.RPK;
            dm.publicKeyOrId = Files.readAllBytes(new File(f[0]).toPath());
            dm.secretKey = Files.readAllBytes(new File(f[1]).toPath());
            dm.serverPublicKey = Files.readAllBytes(new File(f[2]).toPath());
        }
        config.security.put(1, dm);
        BootstrapConfig.ServerConfig server = new BootstrapConfig.ServerConfig();
        server.shortId = ssid;
        server.lifetime = 300;
        server.binding = EnumSet.of(BindingMode.U);
        config.servers.put(0, server);

        InMemoryBootstrapConfigStore store = new InMemoryBootstrapConfigStore();
        store.add(endpoint, config);
        String securePort = System.getenv("BOOTSTRAP_PROBE_SECURE_PORT");
        String bsPsk = System.getenv("BOOTSTRAP_PROBE_BS_PSK");
        String bsX509 = System.getenv("BOOTSTRAP_PROBE_BS_X509");
        final SecurityInfo pskInfo;
        if (securePort != null && bsPsk != null) {
            int colon = bsPsk.lastIndexOf(':');
            pskInfo = SecurityInfo.newPreSharedKeyInfo(endpoint, bsPsk.substring(0, colon),
                    hex(bsPsk.substring(colon + 1)));
        } else if (securePort != null && bsX509 != null) {
            pskInfo = SecurityInfo.newX509CertInfo(endpoint);
        } else {
            pskInfo = null;
        }
        BootstrapSecurityStore security = new BootstrapSecurityStore() {
            @Override
            public Iterator<SecurityInfo> getAllByEndpoint(String ep) {
                if (pskInfo != null && pskInfo.getEndpoint().equals(ep)) {
                    return Collections.singletonList(pskInfo).iterator();
                }
                return Collections.emptyIterator();
            }

            @Override
            public SecurityInfo getByIdentity(String identity) {
                if (pskInfo != null && pskInfo.usePSK() && pskInfo.getIdentity().equals(identity)) {
                    return pskInfo;
                }
                return null;
            }
        };

        LeshanBootstrapServerBuilder builder = new LeshanBootstrapServerBuilder();
        builder.setLocalAddress(new InetSocketAddress("127.0.0.1", port));
        if (pskInfo != null) {
            builder.setLocalSecureAddress(new InetSocketAddress("127.0.0.1", Integer.parseInt(securePort)));
            if (pskInfo.useX509Cert()) {
                String[] files = bsX509.split(",");
                builder.setCertificateChain(new X509Certificate[] { readCert(files[0]) });
                builder.setPrivateKey(KeyFactory.getInstance("EC").generatePrivate(
                        new PKCS8EncodedKeySpec(Files.readAllBytes(new File(files[1]).toPath()))));
                builder.setTrustedCertificates(new X509Certificate[] { readCert(files[2]) });
            }
        } else {
            builder.disableSecuredEndpoint();
        }
        builder.setConfigStore(store);
        builder.setSecurityStore(security);
        String scripted = System.getenv("BOOTSTRAP_PROBE_SCRIPT");
        if (scripted != null && !scripted.isEmpty()) {
            String bsUri = "coap://127.0.0.1:" + port;
            builder.setSessionManager(new DefaultBootstrapSessionManager(security, new SecurityChecker(),
                    script(ContentFormat.fromName(scripted), bsUri, dmUri, ssid),
                    new StandardBootstrapModelProvider()));
        } else {
            builder.setSessionManager(new DefaultBootstrapSessionManager(security, store));
        }
        LeshanBootstrapServer bs = builder.build();
        bs.addListener(new BootstrapSessionAdapter() {
            @Override
            public void sessionInitiated(BootstrapRequest request, Identity identity) {
                emit("{\"event\":\"initiated\",\"ep\":" + quote(request.getEndpointName()) + "}");
            }

            @Override
            public void sendRequest(BootstrapSession session,
                    BootstrapDownlinkRequest<? extends LwM2mResponse> request) {
                emit("{\"event\":\"request\",\"kind\":" + quote(request.getClass().getSimpleName())
                        + ",\"path\":" + quote(String.valueOf(request.getPath())) + "}");
            }

            @Override
            public void onResponseSuccess(BootstrapSession session,
                    BootstrapDownlinkRequest<? extends LwM2mResponse> request, LwM2mResponse response) {
                if (response instanceof BootstrapDiscoverResponse) {
                    emit("{\"event\":\"discover\",\"links\":"
                            + linksJson(((BootstrapDiscoverResponse) response).getObjectLinks()) + "}");
                }
                if (response instanceof BootstrapReadResponse) {
                    emit("{\"event\":\"read\",\"content\":"
                            + quote(String.valueOf(((BootstrapReadResponse) response).getContent())) + "}");
                }
                emit("{\"event\":\"response\",\"kind\":" + quote(request.getClass().getSimpleName())
                        + ",\"path\":" + quote(String.valueOf(request.getPath())) + ",\"code\":"
                        + quote(response.getCode().toString()) + ",\"success\":true}");
            }

            @Override
            public void onResponseError(BootstrapSession session,
                    BootstrapDownlinkRequest<? extends LwM2mResponse> request, LwM2mResponse response) {
                emit("{\"event\":\"response\",\"kind\":" + quote(request.getClass().getSimpleName())
                        + ",\"path\":" + quote(String.valueOf(request.getPath())) + ",\"code\":"
                        + quote(response.getCode().toString()) + ",\"success\":false}");
            }

            @Override
            public void onRequestFailure(BootstrapSession session,
                    BootstrapDownlinkRequest<? extends LwM2mResponse> request, Throwable cause) {
                emit("{\"event\":\"response\",\"kind\":" + quote(request.getClass().getSimpleName())
                        + ",\"path\":" + quote(String.valueOf(request.getPath())) + ",\"code\":"
                        + quote(String.valueOf(cause)) + ",\"success\":false}");
            }

            @Override
            public void end(BootstrapSession session) {
                emit("{\"event\":\"end\",\"ep\":" + quote(session.getEndpoint()) + "}");
            }

            @Override
            public void failed(BootstrapSession session, BootstrapFailureCause cause) {
                emit("{\"event\":\"failed\",\"ep\":" + quote(session.getEndpoint()) + ",\"cause\":"
                        + quote(cause.toString()) + "}");
            }
        });
        bs.start();
        emit("{\"event\":\"started\",\"port\":" + port + "}");
        Thread.currentThread().join();
    }
}
