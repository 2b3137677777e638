/**
 * Maps an (async) iterable through `fn` with at most `concurrency` calls in flight, yielding results
 * in input order. Input is pulled lazily, so a slow consumer keeps memory bounded: at most
 * `concurrency` items are held at once. `shouldStop` is checked before each new item starts.
 */
export async function* mapOrdered<In, Out>(
  source: Iterable<In> | AsyncIterable<In>,
  concurrency: number,
  fn: (item: In, index: number) => Promise<Out>,
  shouldStop: () => boolean = () => false,
): AsyncGenerator<Out> {
  const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]()) as
    | AsyncIterator<In>
    | Iterator<In>;
  const window: Promise<Out>[] = [];
  let index = 0;
  let exhausted = false;
  const fill = async () => {
    while (!exhausted && window.length < concurrency && !shouldStop()) {
      const next = await iterator.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const promise = fn(next.value, index++);
      promise.catch(() => undefined); // observed when its turn comes; avoids an unhandled rejection meanwhile
      window.push(promise);
    }
  };
  try {
    await fill();
    while (window.length > 0) {
      const head = window.shift()!;
      const value = await head;
      await fill();
      yield value;
    }
  } finally {
    // Let in-flight work settle before returning, so nothing runs after the caller moves on.
    await Promise.allSettled(window);
    if (!exhausted) await iterator.return?.();
  }
}
