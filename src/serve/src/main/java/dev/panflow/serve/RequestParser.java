package dev.panflow.serve;

import dev.panflow.UserError;
import dev.panflow.api.LikelihoodRequest;
import dev.panflow.api.SampleRequest;
import dev.panflow.io.Json;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns request bodies into the API's requests, strictly: malformed JSON, unknown fields, wrong
 * types and out-of-range values are 400s naming the field; more points than the limit is a 413.
 */
final class RequestParser {
    private static final Set<String> SAMPLE_FIELDS = Set.of("n", "seed", "solver", "steps", "atol", "rtol", "class", "guidance");
    private static final Set<String> LIKELIHOOD_FIELDS = Set.of("points", "divergence", "probes", "seed", "solver", "steps", "atol", "rtol");

    private final int maxPoints;

    RequestParser(int maxPoints) { this.maxPoints = maxPoints; }

    SampleRequest sample(String body) {
        Map<String, Object> m = object(body, SAMPLE_FIELDS);
        long n = integer(m, "n", -1);
        if (n == -1) throw HttpError.badRequest("field 'n' is required");
        if (n < 1) throw HttpError.badRequest("field 'n' must be ≥ 1, got " + n);
        if (n > maxPoints) throw new HttpError(413, "field 'n' is " + n + "; this server allows at most " + maxPoints + " points per request");
        SampleRequest r = SampleRequest.of((int) n).seed(integer(m, "seed", 0));
        try {
            if (m.containsKey("solver")) r = r.solver(string(m, "solver"));
            if (m.containsKey("steps")) r = r.steps(intField(m, "steps"));
            if (m.containsKey("atol") || m.containsKey("rtol")) r = r.tolerances(number(m, "atol", 1e-5), number(m, "rtol", 1e-5));
            if (m.containsKey("class")) r = r.classLabel(intField(m, "class"));
            if (m.containsKey("guidance")) r = r.guidance((float) number(m, "guidance", 0));
        } catch (UserError e) {
            throw HttpError.badRequest(fieldWords(e.getMessage()));
        }
        return r;
    }

    /** The points (each row {@code dim} finite numbers) and the likelihood settings. */
    record Likelihood(float[][] points, LikelihoodRequest request) {}

    Likelihood likelihood(String body, int dim) {
        Map<String, Object> m = object(body, LIKELIHOOD_FIELDS);
        Object p = m.get("points");
        if (p == null) throw HttpError.badRequest("field 'points' is required");
        if (!(p instanceof List<?> rows)) throw HttpError.badRequest("field 'points' must be an array of rows");
        if (rows.isEmpty()) throw HttpError.badRequest("field 'points' is empty");
        if (rows.size() > maxPoints)
            throw new HttpError(413, "field 'points' has " + rows.size() + " rows; this server allows at most " + maxPoints);
        float[][] x = new float[rows.size()][];
        for (int r = 0; r < x.length; r++) {
            if (!(rows.get(r) instanceof List<?> row)) throw HttpError.badRequest("points[" + r + "] must be an array of numbers");
            if (row.size() != dim) throw HttpError.badRequest("points[" + r + "] has " + row.size() + " values; the model has dim " + dim);
            x[r] = new float[dim];
            for (int c = 0; c < dim; c++) {
                if (!(row.get(c) instanceof Number v)) throw HttpError.badRequest("points[" + r + "][" + c + "] must be a number");
                float f = v.floatValue();
                if (!Float.isFinite(f)) throw HttpError.badRequest("points[" + r + "][" + c + "] is not finite as a float32: " + v);
                x[r][c] = f;
            }
        }
        LikelihoodRequest req = LikelihoodRequest.defaults();
        try {
            if (m.containsKey("divergence")) {
                String d = string(m, "divergence");
                req = switch (d) {
                    case "exact" -> req.divergence(LikelihoodRequest.DivergenceMethod.EXACT);
                    case "hutchinson" -> req.hutchinson(m.containsKey("probes") ? intField(m, "probes") : 1, false);
                    case "auto" -> req;
                    default -> throw HttpError.badRequest("field 'divergence' must be exact, hutchinson or auto, got '" + d + "'");
                };
            } else if (m.containsKey("probes")) {
                req = req.hutchinson(intField(m, "probes"), false).divergence(LikelihoodRequest.DivergenceMethod.AUTO);
            }
            if (m.containsKey("seed")) req = req.seed(integer(m, "seed", 0));
            if (m.containsKey("solver") || m.containsKey("steps"))
                req = req.solver(m.containsKey("solver") ? string(m, "solver") : "dopri5", m.containsKey("steps") ? intField(m, "steps") : 100);
            if (m.containsKey("atol") || m.containsKey("rtol")) req = req.tolerances(number(m, "atol", 1e-5), number(m, "rtol", 1e-5));
        } catch (UserError e) {
            throw HttpError.badRequest(fieldWords(e.getMessage()));
        }
        return new Likelihood(x, req);
    }

    /** The API names parameters (classLabel); the request body calls it "class". */
    private static String fieldWords(String message) { return message.replace("classLabel", "class"); }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String body, Set<String> allowed) {
        Object v;
        try {
            v = Json.parse(body, 1 << 24);
        } catch (Json.ParseException e) {
            throw HttpError.badRequest("malformed JSON: " + e.getMessage());
        }
        if (!(v instanceof Map<?, ?> map)) throw HttpError.badRequest("the body must be a JSON object");
        for (Object k : map.keySet())
            if (!allowed.contains(k)) throw HttpError.badRequest("unknown field '" + k + "'; allowed: " + String.join(", ", allowed.stream().sorted().toList()));
        return (Map<String, Object>) map;
    }

    private static long integer(Map<String, Object> m, String key, long dflt) {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (v instanceof Long l) return l;
        throw HttpError.badRequest("field '" + key + "' must be an integer, got " + v);
    }

    private static int intField(Map<String, Object> m, String key) {
        long v = integer(m, key, 0);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) throw HttpError.badRequest("field '" + key + "' is out of range: " + v);
        return (int) v;
    }

    private static double number(Map<String, Object> m, String key, double dflt) {
        Object v = m.get(key);
        if (v == null) return dflt;
        if (v instanceof Number x) return x.doubleValue();
        throw HttpError.badRequest("field '" + key + "' must be a number, got " + v);
    }

    private static String string(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof String s) return s;
        throw HttpError.badRequest("field '" + key + "' must be a string, got " + v);
    }
}
