package dev.panflow.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Package → package edges as {@code jdeps -verbose:package} prints them, and a cycle search. */
final class PackageGraph {
    // "   dev.panflow.train    -> dev.panflow.nn    classes"
    private static final Pattern EDGE = Pattern.compile("^\\s+(\\S+)\\s+->\\s+(\\S+)\\s+.*$");

    /** Source package → the packages it references (itself left out), sorted for stable messages. */
    final Map<String, Set<String>> edges = new TreeMap<>();

    /** The edges of jdeps' output whose both ends start with {@code prefix}. */
    static PackageGraph parse(String jdepsOutput, String prefix) {
        PackageGraph g = new PackageGraph();
        for (String line : jdepsOutput.split("\\R")) {
            Matcher m = EDGE.matcher(line);
            if (!m.matches()) continue;
            String from = m.group(1), to = m.group(2);
            if (!from.startsWith(prefix)) continue;
            g.edges.computeIfAbsent(from, k -> new TreeSet<>());
            if (to.startsWith(prefix) && !to.equals(from)) g.edges.get(from).add(to);
        }
        return g;
    }

    void add(String from, String to) {
        edges.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
        edges.computeIfAbsent(to, k -> new TreeSet<>());
    }

    Set<String> packages() { return edges.keySet(); }

    Set<String> targets(String from) { return edges.getOrDefault(from, Set.of()); }

    /** One cycle as its packages in order (the first repeated at the end), or empty when there is none. */
    List<String> cycle(Set<String> ignored) {
        Map<String, Integer> state = new LinkedHashMap<>(); // 1: on the DFS stack, 2: done
        List<String> stack = new ArrayList<>();
        for (String p : edges.keySet()) {
            if (ignored.contains(p) || state.containsKey(p)) continue;
            List<String> c = visit(p, ignored, state, stack);
            if (!c.isEmpty()) return c;
        }
        return List.of();
    }

    private List<String> visit(String p, Set<String> ignored, Map<String, Integer> state, List<String> stack) {
        state.put(p, 1);
        stack.add(p);
        for (String q : targets(p)) {
            if (ignored.contains(q)) continue;
            Integer s = state.get(q);
            if (s != null && s == 1) {
                List<String> c = new ArrayList<>(stack.subList(stack.indexOf(q), stack.size()));
                c.add(q);
                return c;
            }
            if (s == null) {
                List<String> c = visit(q, ignored, state, stack);
                if (!c.isEmpty()) return c;
            }
        }
        stack.removeLast();
        state.put(p, 2);
        return List.of();
    }
}
