// A scripted LwM2M server built on Leshan's server library (org.eclipse.leshan:
// leshan-server-cf, shipped inside leshan-server-demo's jar-with-dependencies), for what
// the demo server's REST API of 2.0.0-M4 cannot do: Read-Composite, Write-Composite and
// the decoded values of LwM2M Send. Listens on 127.0.0.1 only.
//
// usage: java -cp <leshan-server-demo jar>:<classes> LeshanProbe COAP_PORT
//
// Prints one JSON object per line on stdout:
//   {"event":"started","port":P}
//   {"event":"registered","ep":E}
//   {"event":"composite","step":S,"code":C,"values":{path:value,...}}   (after registering)
//   {"event":"send","ep":E,"format":F,"values":{path:value,...}}
//     (Leshan 2.0.0-M4 keeps one value per path and no timestamps)
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import org.eclipse.leshan.core.node.LwM2mNode;
import org.eclipse.leshan.core.node.LwM2mPath;
import org.eclipse.leshan.core.node.LwM2mSingleResource;
import org.eclipse.leshan.core.observation.Observation;
import org.eclipse.leshan.core.request.ContentFormat;
import org.eclipse.leshan.core.request.ReadCompositeRequest;
import org.eclipse.leshan.core.request.SendRequest;
import org.eclipse.leshan.core.request.WriteCompositeRequest;
import org.eclipse.leshan.core.response.ReadCompositeResponse;
import org.eclipse.leshan.core.response.WriteCompositeResponse;
import org.eclipse.leshan.server.californium.LeshanServer;
import org.eclipse.leshan.server.californium.LeshanServerBuilder;
import org.eclipse.leshan.server.registration.Registration;
import org.eclipse.leshan.server.registration.RegistrationListener;
import org.eclipse.leshan.server.registration.RegistrationUpdate;

public class LeshanProbe {
    private static synchronized void emit(String json) {
        System.out.println(json);
        System.out.flush();
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
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

    private static String valueJson(LwM2mNode node) {
        if (node instanceof LwM2mSingleResource) {
            Object v = ((LwM2mSingleResource) node).getValue();
            if (v instanceof Number || v instanceof Boolean) {
                return v.toString();
            }
            return quote(String.valueOf(v));
        }
        return quote(String.valueOf(node));
    }

    private static String valuesJson(Map<LwM2mPath, LwM2mNode> content) {
        StringBuilder b = new StringBuilder("{");
        for (Map.Entry<LwM2mPath, LwM2mNode> e : content.entrySet()) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(quote(e.getKey().toString())).append(':')
                    .append(e.getValue() == null ? "null" : valueJson(e.getValue()));
        }
        return b.append('}').toString();
    }

    private static void composite(LeshanServer server, Registration reg) {
        try {
            ContentFormat[] formats = {ContentFormat.SENML_CBOR, ContentFormat.SENML_JSON};
            for (ContentFormat f : formats) {
                String step = "read-" + f.getName();
                ReadCompositeResponse r = server.send(reg,
                        new ReadCompositeRequest(f, f, "/3/0/0", "/3/0/3", "/1/0/1"), 10000);
                emit("{\"event\":\"composite\",\"step\":" + quote(step) + ",\"code\":"
                        + quote(r == null ? "timeout" : r.getCode().toString()) + ",\"values\":"
                        + (r == null || r.getContent() == null ? "{}" : valuesJson(r.getContent())) + "}");
            }
            Map<String, Object> values = new LinkedHashMap<>();
            values.put("/1/0/1", 4321L);
            values.put("/1/0/3", 77L);
            WriteCompositeResponse w = server.send(reg,
                    new WriteCompositeRequest(ContentFormat.SENML_CBOR, values), 10000);
            emit("{\"event\":\"composite\",\"step\":\"write\",\"code\":"
                    + quote(w == null ? "timeout" : w.getCode().toString()) + ",\"values\":{}}");
            ReadCompositeResponse r = server.send(reg, new ReadCompositeRequest(ContentFormat.SENML_CBOR,
                    ContentFormat.SENML_CBOR, "/1/0/1", "/1/0/3"), 10000);
            emit("{\"event\":\"composite\",\"step\":\"read-back\",\"code\":"
                    + quote(r == null ? "timeout" : r.getCode().toString()) + ",\"values\":"
                    + (r == null || r.getContent() == null ? "{}" : valuesJson(r.getContent())) + "}");
        } catch (Exception e) {
            emit("{\"event\":\"error\",\"message\":" + quote(e.toString()) + "}");
        }
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        LeshanServerBuilder builder = new LeshanServerBuilder();
        builder.setLocalAddress(new InetSocketAddress("127.0.0.1", port));
        builder.disableSecuredEndpoint();
        LeshanServer server = builder.build();
        server.getRegistrationService().addListener(new RegistrationListener() {
            @Override
            public void registered(Registration reg, Registration previous, Collection<Observation> obs) {
                emit("{\"event\":\"registered\",\"ep\":" + quote(reg.getEndpoint()) + "}");
                if (reg.getEndpoint().contains("composite")) {
                    new Thread(() -> composite(server, reg)).start();
                }
            }

            @Override
            public void updated(RegistrationUpdate update, Registration updated, Registration previous) {
            }

            @Override
            public void unregistered(Registration reg, Collection<Observation> obs, boolean expired,
                    Registration newReg) {
            }
        });
        server.getSendService().addListener((Registration reg, Map<String, LwM2mNode> data, SendRequest req) -> {
            Map<LwM2mPath, LwM2mNode> content = new LinkedHashMap<>();
            for (Map.Entry<String, LwM2mNode> e : data.entrySet()) {
                content.put(new LwM2mPath(e.getKey()), e.getValue());
            }
            emit("{\"event\":\"send\",\"ep\":" + quote(reg.getEndpoint()) + ",\"format\":"
                    + quote(req.getFormat().getName()) + ",\"values\":" + valuesJson(content) + "}");
        });
        server.start();
        emit("{\"event\":\"started\",\"port\":" + port + "}");
        Thread.currentThread().join();
    }
}
