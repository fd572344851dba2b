package dev.panflow.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.panflow.tensor.Tensor;
import dev.panflow.tensor.Workspace;
import org.junit.jupiter.api.Test;

class OptimTest {
    private static ParamStore store(Workspace ws, float[] values) {
        ParamStore s = new ParamStore();
        s.declare("a", values.length);
        s.allocate(ws.arena());
        s.params().get(0).value().copyFrom(values);
        return s;
    }

    @Test
    void adamWFirstStepMovesEachWeightByLrTimesSign() {
        try (Workspace ws = new Workspace()) {
            ParamStore s = store(ws, new float[] {1f, -2f, 3f});
            s.params().get(0).grad().copyFrom(new float[] {0.5f, -4f, 1e-3f});
            AdamW opt = new AdamW(s, ws, 0.9f, 0.999f, 1e-8f, 0f);
            opt.step(0.1f);
            // step 1: m̂ = g, v̂ = g², so the update is lr·g/|g| (up to eps).
            float[] v = s.params().get(0).value().toArray();
            assertEquals(0.9f, v[0], 1e-5);
            assertEquals(-1.9f, v[1], 1e-5);
            assertEquals(2.9f, v[2], 1e-4);
            assertEquals(1, opt.steps());
        }
    }

    @Test
    void adamWDecoupledWeightDecayShrinksWeightsWithZeroGradient() {
        try (Workspace ws = new Workspace()) {
            ParamStore s = store(ws, new float[] {2f});
            AdamW opt = new AdamW(s, ws, 0.9f, 0.999f, 1e-8f, 0.1f);
            opt.step(0.5f); // p -= lr·wd·p
            assertEquals(2f - 0.5f * 0.1f * 2f, s.params().get(0).value().get(0), 1e-6);
        }
    }

    @Test
    void emaWarmsUpThenAverages() {
        try (Workspace ws = new Workspace()) {
            ParamStore s = store(ws, new float[] {0f});
            Ema ema = new Ema(s, ws, 0.9f);
            s.params().get(0).value().set(0, 1f);
            ema.update(1); // d = min(0.9, 2/11)
            assertEquals(1 - 2.0 / 11, ema.weights().get(0), 1e-6);
            for (int k = 2; k < 2000; k++) ema.update(k);
            assertEquals(1f, ema.weights().get(0), 1e-5);
        }
    }

    @Test
    void emaWithDecayZeroIsTheWeightsBitForBit() {
        try (Workspace ws = new Workspace()) {
            ParamStore s = store(ws, new float[] {0f, 0f, 0f});
            Ema ema = new Ema(s, ws, 0f);
            float[][] steps = {{1f, -2.5f, 3e-8f}, {-7.25f, 1e30f, -1e-30f}};
            for (int k = 0; k < steps.length; k++) {
                s.params().get(0).value().copyFrom(steps[k]);
                ema.update(k + 1);
                for (int i = 0; i < 3; i++)   // d = 0: ema = 0·ema + 1·θ = θ exactly
                    assertEquals(Float.floatToRawIntBits(steps[k][i]), Float.floatToRawIntBits(ema.weights().get(i)));
            }
        }
    }

    @Test
    void clippingScalesTheGlobalNorm() {
        try (Workspace ws = new Workspace()) {
            ParamStore s = new ParamStore();
            s.declare("a", 2);
            s.declare("b", 1);
            s.allocate(ws.arena());
            s.params().get(0).grad().copyFrom(new float[] {3f, 0f});
            s.params().get(1).grad().copyFrom(new float[] {4f});
            assertEquals(5.0, GradClip.clip(s, 1.0), 1e-6);
            assertEquals(1.0, GradClip.norm(s), 1e-6);
            Tensor g = s.params().get(1).grad();
            assertEquals(0.8f, g.get(0), 1e-6);
            assertEquals(1.0, GradClip.clip(s, 0), 1e-6); // 0 = off
        }
    }
}
