/**
 * Panflow's public API: the only package a program that embeds Panflow needs to import.
 *
 * <ul>
 *   <li>{@link dev.panflow.api.Flow}: a trained model loaded from its checkpoint; sampling and
 *       log-likelihoods, safe to call from many threads at once.</li>
 *   <li>{@link dev.panflow.api.Trainer}: Conditional Flow Matching training, configured by a
 *       builder, reporting to a {@link dev.panflow.api.ProgressListener}.</li>
 *   <li>{@link dev.panflow.api.DataSets}: training data from the built-in sets, a file,
 *       {@code float[][]} rows or a {@link java.lang.foreign.MemorySegment}.</li>
 * </ul>
 *
 * Everything that owns off-heap memory is {@link java.lang.AutoCloseable}. Bad arguments throw
 * {@link dev.panflow.UserError} (an {@link java.lang.IllegalArgumentException}) naming the
 * parameter or the file at fault.
 */
package dev.panflow.api;
