import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/util/log.js';

describe('logger', () => {
  it('writes JSON lines with every secret scrubbed, and drops lines under its level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', secrets: ['SENTINEL-key-abc123'], write: (line) => lines.push(line) });
    log.debug('hidden');
    log.warn('provider said SENTINEL-key-abc123 was wrong', { detail: 'key=SENTINEL-key-abc123' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('SENTINEL-key-abc123');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'warn', message: 'provider said [redacted] was wrong', detail: 'key=[redacted]' });
  });
});
