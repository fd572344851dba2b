package dev.panflow.api;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.panflow.UserError;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Member;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.lang.reflect.WildcardType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API speaks in its own types: every public or protected member of a public class in
 * dev.panflow.api names (in its parameters, result, thrown exceptions, super types and type
 * arguments) only types of java.*, of dev.panflow.api or of the root package dev.panflow
 * (UserError), never an internal package such as eval, train or tensor. jdeps (the CLI's
 * ArchitectureTest) cannot tell a signature from a method body; reflection can.
 */
class ApiSurfaceTest {
    /**
     * Types of lower packages the API takes and returns as they are, by name: choice enums and the
     * collective interface that a data-parallel caller implements. Moving them into api is its own
     * change; a new leak is not on this list and fails.
     */
    static final Set<String> ADOPTED = Set.of(
            "dev.panflow.ode.SolverKind", "dev.panflow.ode.TimeSchedule",
            "dev.panflow.train.LrSchedule", "dev.panflow.train.Objective", "dev.panflow.train.TimeSampling",
            "dev.panflow.dist.Collective");

    @Test
    void publicSignaturesNameNoInternalType() throws Exception {
        List<String> leaks = new ArrayList<>();
        List<Class<?>> classes = apiClasses();
        assertTrue(classes.contains(Flow.class) && classes.contains(ImageQuality.class), "api classes not found: " + classes);
        for (Class<?> c : classes) {
            if (!isExported(c)) continue;
            check(c + " extends", c.getGenericSuperclass(), leaks);
            for (Type t : c.getGenericInterfaces()) check(c + " implements", t, leaks);
            for (Field f : c.getDeclaredFields())
                if (visible(f)) check(where(c, f), f.getGenericType(), leaks);
            List<Executable> members = new ArrayList<>(List.of(c.getDeclaredMethods()));
            members.addAll(List.of(c.getDeclaredConstructors()));
            for (Executable m : members) {
                if (!visible(m) || m.isSynthetic()) continue;
                if (m instanceof java.lang.reflect.Method mm) check(where(c, m) + " returns", mm.getGenericReturnType(), leaks);
                for (Type p : m.getGenericParameterTypes()) check(where(c, m) + " takes", p, leaks);
                for (Type e : m.getGenericExceptionTypes()) check(where(c, m) + " throws", e, leaks);
            }
        }
        assertTrue(leaks.isEmpty(), "dev.panflow.api exposes internal types:\n" + String.join("\n", new TreeSet<>(leaks)));
    }

    /** The checker itself flags an internal type, in a type argument too, and passes java and api types. */
    @Test
    void checkerFlagsAnInternalType() {
        List<String> leaks = new ArrayList<>();
        check("a", String.class, leaks);
        check("b", UserError.class, leaks);
        check("c", Flow.class, leaks);
        assertTrue(leaks.isEmpty(), leaks.toString());
        check("d", dev.panflow.tensor.Tensor.class, leaks);
        check("e", dev.panflow.tensor.Tensor[].class, leaks);
        for (java.lang.reflect.Method m : Holder.class.getDeclaredMethods()) check("f", m.getGenericReturnType(), leaks);
        assertTrue(leaks.size() == 3, leaks.toString());
    }

    interface Holder { List<? extends dev.panflow.tensor.Tensor> tensors(); }

    static List<Class<?>> apiClasses() throws Exception {
        Path root = Path.of(Flow.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        List<Class<?>> out = new ArrayList<>();
        if (Files.isDirectory(root)) {
            Path dir = root.resolve("dev/panflow/api");
            try (Stream<Path> s = Files.list(dir)) {
                for (Path p : s.sorted().toList()) {
                    String f = p.getFileName().toString();
                    if (f.endsWith(".class") && !f.equals("package-info.class"))
                        out.add(Class.forName("dev.panflow.api." + f.substring(0, f.length() - 6), false, Flow.class.getClassLoader()));
                }
            }
        } else {
            try (var jar = new java.util.jar.JarFile(root.toFile())) {
                for (var e : java.util.Collections.list(jar.entries())) {
                    String n = e.getName();
                    if (n.startsWith("dev/panflow/api/") && n.endsWith(".class") && n.indexOf('/', 16) < 0 && !n.endsWith("package-info.class"))
                        out.add(Class.forName(n.substring(0, n.length() - 6).replace('/', '.'), false, Flow.class.getClassLoader()));
                }
            }
        }
        return out;
    }

    /** Public, and (for a nested class) inside public classes all the way out. */
    static boolean isExported(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getDeclaringClass())
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass() || k.isSynthetic()) return false;
        return true;
    }

    static boolean visible(Member m) {
        int mod = m.getModifiers();
        if (Modifier.isPublic(mod)) return true;
        // protected members reach subclasses only where the class can be extended
        return Modifier.isProtected(mod) && !Modifier.isFinal(m.getDeclaringClass().getModifiers());
    }

    static String where(Class<?> c, Member m) { return c.getName() + "." + m.getName(); }

    static void check(String where, Type t, List<String> leaks) {
        switch (t) {
            case null -> {}
            case Class<?> c -> {
                while (c.isArray()) c = c.getComponentType();
                if (c.isPrimitive()) return;
                String pkg = c.getPackageName();
                if (!(pkg.startsWith("java.") || pkg.equals("dev.panflow") || pkg.equals("dev.panflow.api") || ADOPTED.contains(c.getName())))
                    leaks.add(where + " " + c.getName());
            }
            case ParameterizedType p -> {
                check(where, p.getRawType(), leaks);
                for (Type a : p.getActualTypeArguments()) check(where, a, leaks);
            }
            case GenericArrayType g -> check(where, g.getGenericComponentType(), leaks);
            case WildcardType w -> {
                for (Type b : w.getUpperBounds()) check(where, b, leaks);
                for (Type b : w.getLowerBounds()) check(where, b, leaks);
            }
            case TypeVariable<?> v -> {} // bounds are checked where the variable is declared
            default -> leaks.add(where + " unknown type " + t);
        }
    }
}
