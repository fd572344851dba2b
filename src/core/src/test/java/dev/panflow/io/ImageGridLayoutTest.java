package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Grids stay square-ish and capped, and keep one class per column. */
class ImageGridLayoutTest {
    @Test
    void smallSetsShowEverything() {
        var g = ImageGrid.layout(64, 0, 28, 28);
        assertEquals(new ImageGrid.Layout(64, 8, 2), g);
        assertEquals(10, ImageGrid.layout(100, 10, 28, 28).cols());
        assertEquals(2, ImageGrid.layout(3, 0, 28, 28).cols()); // 2×2, one cell empty
    }

    @Test
    void largeSetsAreCappedSquareAndClassAligned() {
        var g = ImageGrid.layout(1000, 10, 28, 28);
        assertEquals(20, g.cols());              // two columns per class
        assertEquals(20, g.rows());
        assertEquals(400, g.shown());
        var u = ImageGrid.layout(10000, 0, 28, 28);
        assertEquals(20, u.cols());
        assertEquals(ImageGrid.MAX_IMAGES, u.shown());
        assertTrue(u.cols() * (28 * u.zoom() + 2) <= 2100, "width " + u.cols() * (28 * u.zoom() + 2));
        var c = ImageGrid.layout(1000, 7, 28, 28); // 7 classes: whole rows of 21
        assertEquals(0, c.cols() % 7);
        assertEquals(0, c.shown() % c.cols());
        assertTrue(c.rows() <= 2 * c.cols() && c.cols() <= 2 * c.rows(), c.toString());
    }
}
