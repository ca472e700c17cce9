/**
 * Runs `work` over `items`, at most `size` at a time (Glance's scrub_pool_size), in order of
 * start; resolves once all started ones have finished. `stop()` ends it early: nothing new
 * starts, what runs finishes.
 */
export async function runPool<T>(
  items: readonly T[],
  size: number,
  work: (item: T) => Promise<void>,
  stop: () => boolean = () => false,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && !stop()) {
      await work(items[next++]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
}
