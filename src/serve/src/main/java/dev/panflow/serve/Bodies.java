package dev.panflow.serve;

import dev.panflow.api.Samples;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Response bodies: samples and log-likelihoods as JSON, samples as a .npy file (float32, C order). */
final class Bodies {
    private Bodies() {}

    static String samplesJson(Samples s) {
        StringBuilder sb = new StringBuilder(16 + s.values().length * 12);
        sb.append("{\"samples\": [");
        int d = s.dim();
        for (int r = 0; r < s.n(); r++) {
            sb.append(r == 0 ? "[" : ", [");
            for (int c = 0; c < d; c++) sb.append(c == 0 ? "" : ", ").append(s.values()[r * d + c]);
            sb.append(']');
        }
        return sb.append("], \"nfe\": ").append(s.nfe()).append('}').toString();
    }

    static String likelihoodJson(double[] logp, long nfe) {
        StringBuilder sb = new StringBuilder(32 + logp.length * 20).append("{\"log_likelihood\": [");
        for (int i = 0; i < logp.length; i++) sb.append(i == 0 ? "" : ", ").append(logp[i]);
        return sb.append("], \"nfe\": ").append(nfe).append('}').toString();
    }

    static String error(String message) {
        return "{\"error\": " + dev.panflow.io.Json.quote(message) + "}";
    }

    /** A .npy (version 1.0) of the samples: n × dim little-endian float32. */
    static byte[] npy(Samples s) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + s.n() + ", " + s.dim() + "), }";
        int unpadded = 10 + dict.length() + 1;
        int headerLen = dict.length() + 1 + (64 - unpadded % 64) % 64;
        ByteBuffer b = ByteBuffer.allocate(10 + headerLen + 4 * s.values().length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0).putShort((short) headerLen);
        b.put(dict.getBytes(StandardCharsets.US_ASCII));
        for (int i = dict.length(); i < headerLen - 1; i++) b.put((byte) ' ');
        b.put((byte) '\n');
        for (float v : s.values()) b.putFloat(v);
        return b.array();
    }
}
