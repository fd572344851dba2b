/**
 * SIMD kernels (Vector API) and their scalar twins: GEMM, convolutions, element-wise ops,
 * reductions, softmax, group norm, Adam, exp.
 *
 * <p>Two rules keep C2 from boxing vectors (an allocation per iteration, and the operation run
 * in Java). A vector carried round a loop is updated by a method called on a fresh vector,
 * {@code acc = load(x, i).add(acc)}, never on itself, {@code acc = acc.add(load(x, i))}: the
 * carried value's parse-time type is {@code FloatVector}, so a call on it is virtual and is
 * inlined only through the call site's receiver-type profile, which a method compiled early does
 * not have yet (the test execution {@code isolated-jvm-no-type-profile} compiles with none).
 * And a helper that takes or returns a vector is force-inlined by the JIT flags
 * ({@code panflow.jit.flags}; {@code JitFlagsTest} keeps the list whole).
 */
package dev.panflow.kernels;
