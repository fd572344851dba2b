package dev.panflow.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import dev.panflow.io.AtomicFiles;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Loss curves: the loss (log scale; raw faint, smoothed bold) against the step, and below it
 * the learning rate (log scale), for one run or several overlaid (a colour and a legend entry
 * each). Drawn with Java2D into a PNG, written atomically.
 */
final class LossPlot {
    /** One run's records under a name. */
    record Run(String name, List<RunLog.Metric> metrics) {}

    private static final Color[] COLORS = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0x9467bd),
            new Color(0xff7f0e), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};
    private static final int W = 960, H = 660, LEFT = 80, RIGHT = 24, TOP = 44;
    private static final int LOSS_H = 380, GAP = 36, LR_H = 150;

    private LossPlot() {}

    static void write(Path png, String title, List<Run> runs, boolean raw) {
        AtomicFiles.writePng(png, render(title, runs, raw));
    }

    static BufferedImage render(String title, List<Run> runs, boolean raw) {
        BufferedImage img = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        if (title != null) g.drawString(title, LEFT, 26);
        double xmax = 1;
        for (Run r : runs) for (RunLog.Metric m : r.metrics()) xmax = Math.max(xmax, m.step());
        int pw = W - LEFT - RIGHT;
        Box loss = new Box(LEFT, TOP, pw, LOSS_H, 0, xmax, range(runs, raw ? RunLog.Metric::loss : RunLog.Metric::smoothed, RunLog.Metric::smoothed));
        Box lr = new Box(LEFT, TOP + LOSS_H + GAP, pw, LR_H, 0, xmax, range(runs, RunLog.Metric::lr, RunLog.Metric::lr));
        axes(g, loss, "loss (log)", false);
        axes(g, lr, "lr (log)", true);
        for (int i = 0; i < runs.size(); i++) {
            Color c = COLORS[i % COLORS.length];
            List<RunLog.Metric> ms = runs.get(i).metrics();
            if (raw) curve(g, loss, ms, RunLog.Metric::loss, new Color(c.getRed(), c.getGreen(), c.getBlue(), 70), 1f);
            curve(g, loss, ms, RunLog.Metric::smoothed, c, 2f);
            curve(g, lr, ms, RunLog.Metric::lr, runs.size() == 1 ? new Color(0xff7f0e) : c, 1.6f);
        }
        // legend
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int ly = TOP + 16;
        for (int i = 0; i < runs.size(); i++) {
            Color c = COLORS[i % COLORS.length];
            String label = runs.size() == 1 ? (raw ? "smoothed (raw faint)" : "smoothed") : runs.get(i).name();
            int lw = g.getFontMetrics().stringWidth(label);
            int lx = LEFT + pw - lw - 40;
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            g.drawLine(lx, ly - 4, lx + 24, ly - 4);
            g.setColor(Color.DARK_GRAY);
            g.drawString(label, lx + 30, ly);
            ly += 16;
        }
        g.dispose();
        return img;
    }

    /** Log-scale bounds [lo, hi] of the positive values of {@code a} and {@code b} over all runs (a decade if there are none). */
    private static double[] range(List<Run> runs, ToDoubleFunction<RunLog.Metric> a, ToDoubleFunction<RunLog.Metric> b) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (Run r : runs)
            for (RunLog.Metric m : r.metrics())
                for (double v : new double[] {a.applyAsDouble(m), b.applyAsDouble(m)})
                    if (v > 0 && Double.isFinite(v)) {
                        lo = Math.min(lo, v);
                        hi = Math.max(hi, v);
                    }
        if (hi == 0) return new double[] {0.1, 1};
        if (hi / lo < 1.5) { // a nearly flat curve (a constant lr): a little room either side
            lo /= 1.25;
            hi *= 1.25;
        }
        return new double[] {lo / 1.05, hi * 1.05};
    }

    private record Box(int x, int y, int w, int h, double x0, double x1, double[] yr) {
        double px(double v) { return x + (v - x0) / (x1 - x0) * w; }

        double py(double v) {
            double a = Math.log10(yr[0]), b = Math.log10(yr[1]);
            return y + h - (Math.log10(v) - a) / (b - a) * h;
        }
    }

    private static void axes(Graphics2D g, Box b, String label, boolean xLabels) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.setStroke(new BasicStroke(1f));
        // y: decades, and 2× and 5× when the range is narrow
        int d0 = (int) Math.floor(Math.log10(b.yr()[0])), d1 = (int) Math.ceil(Math.log10(b.yr()[1]));
        boolean fine = d1 - d0 <= 2;
        for (int d = d0; d <= d1; d++)
            for (double f : fine ? new double[] {1, 2, 5} : new double[] {1}) {
                double v = f * Math.pow(10, d);
                if (v < b.yr()[0] || v > b.yr()[1]) continue;
                int yy = (int) Math.round(b.py(v));
                g.setColor(new Color(0xe8e8e8));
                g.drawLine(b.x(), yy, b.x() + b.w(), yy);
                g.setColor(Color.DARK_GRAY);
                String s = tick(v);
                g.drawString(s, b.x() - 6 - g.getFontMetrics().stringWidth(s), yy + 4);
            }
        // x: about 6 round steps
        double span = b.x1() - b.x0(), step = Math.pow(10, Math.floor(Math.log10(span / 6)));
        if (span / step > 30) step *= 5;
        else if (span / step > 12) step *= 2;
        for (double v = 0; v <= b.x1() + 1e-9; v += step) {
            int xx = (int) Math.round(b.px(v));
            g.setColor(new Color(0xe8e8e8));
            g.drawLine(xx, b.y(), xx, b.y() + b.h());
            if (xLabels) {
                g.setColor(Color.DARK_GRAY);
                String s = v >= 1e6 ? String.format("%.1fM", v / 1e6) : v >= 1e4 ? String.format("%.0fk", v / 1e3) : String.format("%.0f", v);
                g.drawString(s, xx - g.getFontMetrics().stringWidth(s) / 2, b.y() + b.h() + 15);
            }
        }
        g.setColor(Color.GRAY);
        g.drawRect(b.x(), b.y(), b.w(), b.h());
        g.setColor(Color.BLACK);
        g.drawString(label, b.x() + 6, b.y() + 14);
        if (xLabels) g.drawString("step", b.x() + b.w() - 28, b.y() + b.h() + 30);
    }

    static String tick(double v) {
        if (v >= 1e4 || v < 1e-3) return String.format("%.0e", v);
        return v >= 1 ? String.format("%.0f", v) : String.format("%." + (int) Math.ceil(-Math.log10(v) - 1e-9) + "f", v);
    }

    private static void curve(Graphics2D g, Box b, List<RunLog.Metric> ms, ToDoubleFunction<RunLog.Metric> f, Color c, float width) {
        Path2D.Double p = new Path2D.Double();
        boolean pen = false;
        for (RunLog.Metric m : ms) {
            double v = f.applyAsDouble(m);
            if (!(v > 0) || !Double.isFinite(v)) {
                pen = false;
                continue;
            }
            double x = b.px(m.step()), y = Math.max(b.y(), Math.min(b.y() + b.h(), b.py(v)));
            if (pen) p.lineTo(x, y);
            else p.moveTo(x, y);
            pen = true;
        }
        g.setColor(c);
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        g.setClip(b.x(), b.y(), b.w() + 1, b.h() + 1);
        g.draw(p);
        g.setClip(null);
    }
}
