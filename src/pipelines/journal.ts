/**
 * The call journal (calls.jsonl): every LLM call of a run, keyed by a deterministic key, written
 * before the run advances. Resuming a run replays it, so no call is paid for twice.
 */
import path from 'node:path';
import { JsonlAppender, readJsonl } from '../store/jsonl.js';
import type { Usage } from '../llm/types.js';
import { journalFile } from './run-files.js';

export interface JournalRecord {
  key: string;
  stage: string;
  sampleKey: string;
  provider: string;
  model: string;
  outcome: 'ok' | 'failed';
  value?: unknown;
  reason?: string;
  message?: string;
  usage: Usage;
  costUsd: number;
  attempts: number;
  /** Why earlier attempts did not count, replayed into the run's metrics. */
  retries?: string[];
  at: string;
}

export class CallJournal {
  private constructor(
    private readonly records: Map<string, JournalRecord>,
    private readonly appender: JsonlAppender,
  ) {}

  static async open(runDir: string): Promise<CallJournal> {
    const file = path.join(runDir, journalFile);
    const appender = await JsonlAppender.open(file); // repairs a line torn by a crash first
    const records = new Map<string, JournalRecord>();
    for await (const record of readJsonl<JournalRecord>(file)) records.set(record.key, record);
    return new CallJournal(records, appender);
  }

  /** The recorded answer for a key, handed out once: a run asks each key once, and memory is freed as it replays. */
  take(key: string): JournalRecord | undefined {
    const record = this.records.get(key);
    if (record) this.records.delete(key);
    return record;
  }

  /** Appends a new answer; it is not kept in memory (this session will not ask for it again). */
  async record(record: JournalRecord): Promise<void> {
    await this.appender.append(record);
  }

  close(): Promise<void> {
    return this.appender.close();
  }
}
