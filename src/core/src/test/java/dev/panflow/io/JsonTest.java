package dev.panflow.io;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesValues() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null, \"x\\\"\\u00e9\\n\"], \"b\": {}, \"c\": []} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of("a", "b", "c"), List.copyOf(m.keySet()));
        List<?> a = (List<?>) m.get("a");
        assertEquals(1L, a.get(0));
        assertEquals(-2500.0, a.get(1));
        assertEquals(Boolean.TRUE, a.get(2));
        assertNull(a.get(4));
        assertEquals("x\"é\n", a.get(5));
        assertEquals(9223372036854775807L, Json.parse("9223372036854775807"));
        assertEquals(1e19, Json.parse("10000000000000000000"));
    }

    @Test
    void rejectsMalformedText() {
        for (String bad : new String[] {"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "{a:1}", "01", "1.", ".5", "-", "1e",
                "\"abc", "\"\t\"", "\"\\x\"", "\"\\u12\"", "tru", "nul", "{} x", "{\"a\":1,\"a\":2}", "[".repeat(100) + "]".repeat(100),
                "// c\n{}", "'s'", "NaN"}) {
            assertThrows(Json.ParseException.class, () -> Json.parse(bad), bad);
        }
    }

    @Test
    void quoteRoundTrips() {
        String s = "q\"b\\s/\n\r\t\b\f\u0001é€😀";
        assertEquals(s, Json.parse(Json.quote(s)));
        assertEquals("\"\\u0001\"", Json.quote("\u0001"));
    }
}
