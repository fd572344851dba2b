package cmp;

/** The same endpoint on Javalin 7 and Helidon SE 4: POST /v1/sample reads the body and answers a fixed 16-point JSON. */
public final class Servers {
    static final String BODY;
    static {
        StringBuilder sb = new StringBuilder("{\"samples\": [");
        for (int i = 0; i < 16; i++) sb.append(i == 0 ? "" : ", ").append("[0.12345678, -1.2345678]");
        BODY = sb.append("], \"nfe\": 20}").toString();
    }

    public static void main(String[] a) throws Exception {
        int port = Integer.parseInt(a[1]);
        if (a[0].equals("javalin")) {
            io.javalin.Javalin.create(c -> {
                c.concurrency.useVirtualThreads = true;
                c.startup.showJavalinBanner = false;
                c.routes.post("/v1/sample", ctx -> { ctx.body(); ctx.contentType("application/json").result(BODY); });
            }).start("127.0.0.1", port);
        } else {
            io.helidon.webserver.WebServer.builder().host("127.0.0.1").port(port)
                    .routing(r -> r.post("/v1/sample", (req, res) -> {
                        req.content().as(String.class);
                        res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json").send(BODY);
                    })).build().start();
        }
        Thread.currentThread().join();
    }
}
