/**
 * Logs go to stderr as one JSON object per line: stdout belongs to the stdio MCP transport. Every
 * line is scrubbed of secrets before it is written.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export function createLogger(options: { level?: LogLevel; secrets?: string[]; write?: (line: string) => void } = {}): Logger {
  const threshold = order[options.level ?? 'info'];
  const secrets = options.secrets ?? [];
  const write = options.write ?? ((line: string) => process.stderr.write(line));
  const emit = (level: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (order[level] < threshold) return;
    let line = JSON.stringify({ at: new Date().toISOString(), level, message, ...fields });
    for (const secret of secrets) line = line.split(secret).join('[redacted]');
    write(line + '\n');
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
