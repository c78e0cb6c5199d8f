// A CoAP file server over DTLS 1.2 with X.509 certificates, on Californium and
// Scandium (the CoAP and DTLS libraries inside the Leshan demo server jar; they
// share no code with anj-rs or MbedTLS). The peer of
// tests/interop/test_download_coaps_x509.py.
//
//   java -cp leshan-server-demo.jar:. CoapsFileServer PORT ROOT_DIR SERVER_CERT_DER
//        SERVER_KEY_DER TRUSTED_CA_DER
//
// * listens on 127.0.0.1:PORT, DTLS only (no plain CoAP endpoint);
// * presents SERVER_CERT_DER (its key: SERVER_KEY_DER, PKCS#8 DER, EC P-256) and
//   requires a client certificate that chains to TRUSTED_CA_DER;
//   suites ECDHE-ECDSA AES-128/256 CCM-8 and CCM;
// * GET /NAME answers the file ROOT_DIR/NAME (regular files directly in ROOT_DIR;
//   anything else 4.04) with an ETag (first 8 bytes of its SHA-256); Californium's
//   block-wise layer cuts it into Block2 blocks of the size the client asks for
//   (at most 1024 bytes).
//
// It prints one JSON object per line on stdout:
//   {"event":"started","port":P}
//   {"event":"client-cert","ok":true|false,"subject":"...","error":"..."}
//       for every client certificate Scandium verified (error: why it was refused)
//   {"event":"get","path":"NAME","bytes":N,"peer":"CN=..."}
//       for every GET that reached the resource (the first block of a transfer,
//       or a block asked for after the block-wise state expired); peer is the
//       subject of the DTLS session's client certificate.

import java.io.File;
import java.io.FileInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.List;

import org.eclipse.californium.core.CoapResource;
import org.eclipse.californium.core.CoapServer;
import org.eclipse.californium.core.coap.CoAP.ResponseCode;
import org.eclipse.californium.core.coap.MediaTypeRegistry;
import org.eclipse.californium.core.coap.Response;
import org.eclipse.californium.core.network.CoapEndpoint;
import org.eclipse.californium.core.network.config.NetworkConfig;
import org.eclipse.californium.core.server.resources.CoapExchange;
import org.eclipse.californium.core.server.resources.Resource;
import org.eclipse.californium.elements.EndpointContext;
import org.eclipse.californium.scandium.DTLSConnector;
import org.eclipse.californium.scandium.config.DtlsConnectorConfig;
import org.eclipse.californium.scandium.dtls.CertificateMessage;
import org.eclipse.californium.scandium.dtls.CertificateType;
import org.eclipse.californium.scandium.dtls.CertificateVerificationResult;
import org.eclipse.californium.scandium.dtls.ConnectionId;
import org.eclipse.californium.scandium.dtls.DTLSSession;
import org.eclipse.californium.scandium.dtls.HandshakeResultHandler;
import org.eclipse.californium.scandium.dtls.cipher.CipherSuite;
import org.eclipse.californium.scandium.dtls.x509.NewAdvancedCertificateVerifier;
import org.eclipse.californium.scandium.dtls.x509.StaticNewAdvancedCertificateVerifier;
import org.eclipse.californium.scandium.util.ServerNames;

public class CoapsFileServer {

    static synchronized void emit(String json) {
        System.out.println(json);
        System.out.flush();
    }

    static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder b = new StringBuilder("\"");
        for (char ch : s.toCharArray()) {
            if (ch == '"' || ch == '\\') {
                b.append('\\').append(ch);
            } else if (ch < 0x20) {
                b.append(String.format("\\u%04x", (int) ch));
            } else {
                b.append(ch);
            }
        }
        return b.append('"').toString();
    }

    static X509Certificate readCert(String path) throws Exception {
        try (FileInputStream in = new FileInputStream(path)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    static PrivateKey readKey(String path) throws Exception {
        byte[] der = Files.readAllBytes(new File(path).toPath());
        return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    }

    /** Scandium's own verifier, with each verdict printed. */
    static final class LoggingVerifier implements NewAdvancedCertificateVerifier {
        private final NewAdvancedCertificateVerifier inner;

        LoggingVerifier(NewAdvancedCertificateVerifier inner) {
            this.inner = inner;
        }

        @Override
        public List<CertificateType> getSupportedCertificateType() {
            return inner.getSupportedCertificateType();
        }

        @Override
        public CertificateVerificationResult verifyCertificate(ConnectionId cid, ServerNames serverNames,
                Boolean clientUsage, boolean truncateCertificatePath, CertificateMessage message,
                DTLSSession session) {
            CertificateVerificationResult r = inner.verifyCertificate(cid, serverNames, clientUsage,
                    truncateCertificatePath, message, session);
            String subject = null;
            List<? extends Certificate> chain = message.getCertificateChain() == null ? null
                    : message.getCertificateChain().getCertificates();
            if (chain != null && !chain.isEmpty() && chain.get(0) instanceof X509Certificate) {
                subject = ((X509Certificate) chain.get(0)).getSubjectX500Principal().getName();
            }
            if (r != null) {
                boolean ok = r.getException() == null;
                emit("{\"event\":\"client-cert\",\"ok\":" + ok + ",\"subject\":" + quote(subject)
                        + ",\"error\":" + quote(ok ? null : String.valueOf(r.getException().getMessage())) + "}");
            }
            return r;
        }

        @Override
        public List<javax.security.auth.x500.X500Principal> getAcceptedIssuers() {
            return inner.getAcceptedIssuers();
        }

        @Override
        public void setResultHandler(HandshakeResultHandler handler) {
            inner.setResultHandler(handler);
        }
    }

    /** The files of one directory, found by name at each request. */
    static final class Files_ extends CoapResource {
        private final File dir;

        Files_(File dir) {
            super("");
            this.dir = dir;
        }

        @Override
        public Resource getChild(String name) {
            File f = new File(dir, name);
            if (name.isEmpty() || name.contains("/") || name.startsWith(".") || !f.isFile()) {
                return null;
            }
            return new FileResource(name, f);
        }
    }

    static final class FileResource extends CoapResource {
        private final File file;

        FileResource(String name, File file) {
            super(name);
            this.file = file;
        }

        @Override
        public void handleGET(CoapExchange exchange) {
            byte[] body;
            try {
                body = Files.readAllBytes(file.toPath());
            } catch (Exception e) {
                exchange.respond(ResponseCode.NOT_FOUND);
                return;
            }
            String peer = null;
            EndpointContext ctx = exchange.advanced().getRequest().getSourceContext();
            Principal p = ctx == null ? null : ctx.getPeerIdentity();
            if (p != null) {
                peer = p.getName();
            }
            emit("{\"event\":\"get\",\"path\":" + quote(getName()) + ",\"bytes\":" + body.length
                    + ",\"peer\":" + quote(peer) + "}");
            byte[] etag;
            try {
                etag = Arrays.copyOf(MessageDigest.getInstance("SHA-256").digest(body), 8);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            Response response = new Response(ResponseCode.CONTENT);
            response.setPayload(body);
            response.getOptions().setContentFormat(MediaTypeRegistry.APPLICATION_OCTET_STREAM);
            response.getOptions().addETag(etag);
            exchange.respond(response);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: CoapsFileServer PORT ROOT_DIR SERVER_CERT_DER SERVER_KEY_DER TRUSTED_CA_DER");
            System.exit(2);
        }
        int port = Integer.parseInt(args[0]);
        File root = new File(args[1]);
        X509Certificate serverCert = readCert(args[2]);
        PrivateKey serverKey = readKey(args[3]);
        X509Certificate ca = readCert(args[4]);

        NetworkConfig config = NetworkConfig.createStandardWithoutFile();
        config.setInt(NetworkConfig.Keys.PREFERRED_BLOCK_SIZE, 1024);
        config.setInt(NetworkConfig.Keys.MAX_MESSAGE_SIZE, 1024);
        config.setInt(NetworkConfig.Keys.MAX_RESOURCE_BODY_SIZE, 64 * 1024 * 1024);

        DtlsConnectorConfig.Builder dtls = new DtlsConnectorConfig.Builder();
        dtls.setAddress(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        dtls.setRecommendedCipherSuitesOnly(false);
        dtls.setSupportedCipherSuites(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM_8, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CCM,
                CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CCM);
        dtls.setIdentity(serverKey, new Certificate[] { serverCert }, CertificateType.X_509);
        dtls.setAdvancedCertificateVerifier(new LoggingVerifier(
                StaticNewAdvancedCertificateVerifier.builder().setTrustedCertificates(ca).build()));
        dtls.setClientAuthenticationRequired(true);

        CoapServer server = new CoapServer(config) {
            @Override
            protected Resource createRoot() {
                return new Files_(root);
            }
        };
        server.addEndpoint(new CoapEndpoint.Builder().setNetworkConfig(config)
                .setConnector(new DTLSConnector(dtls.build())).build());
        server.start();
        emit("{\"event\":\"started\",\"port\":" + port + "}");
        Runtime.getRuntime().addShutdownHook(new Thread(server::destroy));
        Thread.currentThread().join();
    }
}
