/**
 * Getting a batch to the provider exactly once. Its keys are journaled before the submit; when the
 * answer does not come back (a 5xx, a timeout, a dropped connection, or a process that died while
 * waiting) the batch may exist anyway, so it is looked for among recent batches before any retry.
 */
import type { BatchClient, BatchHandle, BatchLine } from '../llm/batch/index.js';
import type { BatchJournal } from './batch-journal.js';
import type { OutBatch } from './batch-tracking.js';

const submitAttempts = 4;

/** A client error (4xx other than 408/409/429) will not change on a retry. */
export function isRefusal(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  return typeof status === 'number' && status >= 400 && status < 500 && ![408, 409, 429].includes(status);
}

/** The batch, or undefined when the answer did not come back (it may have been created: find it). */
async function trySubmit(client: BatchClient, lines: BatchLine[], tag: string): Promise<BatchHandle | undefined> {
  try {
    return await client.submit(lines, tag);
  } catch (error) {
    if (isRefusal(error)) throw error;
    return undefined;
  }
}

/**
 * The handle of the batch, submitted now or found after a lost answer; undefined when it never reached
 * the provider (a recovered batch that is not there, or every attempt lost). `batch.journaled` becomes
 * the journal's own record once the submit is journaled.
 */
export async function submitOrFind(client: BatchClient, batch: OutBatch, journal: BatchJournal, wait: { sleep(attempt: number): Promise<void> }): Promise<BatchHandle | undefined> {
  if (batch.lines) {
    const { local, provider, model, stage, keys, sampleKeys, holds, month, submittingAt: at } = batch.journaled;
    await journal.append({ type: 'submitting', local, provider, model, stage, keys, sampleKeys, holds, month, at });
    batch.journaled = journal.batches.get(local)!;
  }
  const { journaled, lines } = batch;
  let handle = lines ? await trySubmit(client, lines, journaled.local) : undefined;
  for (let attempt = 0; !handle && attempt < submitAttempts; attempt++) {
    handle = await client.find(journaled.local, journaled.keys.length, new Date(journaled.submittingAt));
    if (handle || !lines) break;
    await wait.sleep(attempt);
    handle = await trySubmit(client, lines, journaled.local);
  }
  return handle;
}
