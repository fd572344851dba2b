package dev.panflow.bench.serve;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A load client for {@code panflow serve}: C clients, each sending sampling requests of P
 * points back to back for S seconds (each its own seed), then throughput and latency
 * percentiles. 429s are counted apart (they are the server protecting itself), other failures
 * as errors.
 * <pre>
 * java -cp bench/target/benchmarks.jar dev.panflow.bench.serve.ServeLoad URL CLIENTS POINTS SECONDS [STEPS]
 * </pre>
 */
public final class ServeLoad {
    public record Result(int clients, int points, long ok, long rejected, long errors, double seconds, double p50Ms, double p99Ms) {
        double requestsPerSecond() { return ok / seconds; }
        double pointsPerSecond() { return ok * (double) points / seconds; }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: ServeLoad URL CLIENTS POINTS SECONDS [STEPS]");
            System.exit(2);
        }
        int steps = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        Result r = run(URI.create(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), Double.parseDouble(args[3]), steps);
        System.out.printf("clients %d  points/request %d  requests/s %.1f  points/s %.0f  p50 %.1f ms  p99 %.1f ms  ok %d  429 %d  errors %d%n",
                r.clients, r.points, r.requestsPerSecond(), r.pointsPerSecond(), r.p50Ms, r.p99Ms, r.ok, r.rejected, r.errors);
    }

    public static Result run(URI base, int clients, int points, double seconds, int steps) throws InterruptedException {
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10))
                .executor(Executors.newVirtualThreadPerTaskExecutor()).build();
        URI sample = base.resolve("/v1/sample");
        AtomicLong ok = new AtomicLong(), rejected = new AtomicLong(), errors = new AtomicLong();
        AtomicInteger seeds = new AtomicInteger();
        List<long[]> latencies = new ArrayList<>();
        long end = System.nanoTime() + (long) (seconds * 1e9);
        CountDownLatch done = new CountDownLatch(clients);
        long t0 = System.nanoTime();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int c = 0; c < clients; c++) {
                long[] lat = new long[1 << 16];
                latencies.add(lat);
                pool.submit(() -> {
                    int k = 0;
                    try {
                        while (System.nanoTime() < end) {
                            String body = "{\"n\": " + points + ", \"seed\": " + seeds.incrementAndGet() + ", \"steps\": " + steps + "}";
                            long s = System.nanoTime();
                            try {
                                var resp = http.send(HttpRequest.newBuilder(sample).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                                        HttpResponse.BodyHandlers.discarding());
                                if (resp.statusCode() == 200) {
                                    ok.incrementAndGet();
                                    if (k < lat.length) lat[k++] = System.nanoTime() - s;
                                } else if (resp.statusCode() == 429) {
                                    rejected.incrementAndGet();
                                    Thread.sleep(5);
                                } else {
                                    errors.incrementAndGet();
                                }
                            } catch (java.io.IOException e) {
                                errors.incrementAndGet();
                            }
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        lat[lat.length - 1] = k; // count of recorded latencies kept in the last slot
                        done.countDown();
                    }
                    return null;
                });
            }
            done.await();
        }
        double elapsed = (System.nanoTime() - t0) * 1e-9;
        long[] all = latencies.stream().flatMapToLong(l -> Arrays.stream(l, 0, (int) Math.min(l[l.length - 1], l.length - 1))).sorted().toArray();
        double p50 = all.length == 0 ? Double.NaN : all[(int) (0.50 * (all.length - 1))] * 1e-6;
        double p99 = all.length == 0 ? Double.NaN : all[(int) (0.99 * (all.length - 1))] * 1e-6;
        return new Result(clients, points, ok.get(), rejected.get(), errors.get(), elapsed, p50, p99);
    }
}
