/**
 * Each command takes only its own flags. node:util parseArgs knows every command's flags at once, so
 * `distill --samples 10` would parse and be ignored, and a typo gets Node's message without the
 * flags that would have been right. This check runs before anything else, so nothing is spent.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError } from './errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Flags every command takes. */
const everywhere = ['help', 'version'];

/** Throws, naming the flags `argv`'s command does not take and the ones it does; unknown commands are left to the caller. */
export function refuseUnknownFlags<O extends Options>(argv: string[], options: O, commandFlags: Record<string, readonly (keyof O & string)[]>): void {
  const { tokens } = parseArgs({ args: argv, options, allowPositionals: true, strict: false, tokens: true });
  const command = tokens.find((token) => token.kind === 'positional')?.value;
  const known = command === undefined ? undefined : commandFlags[command];
  if (!known) return;
  const unknown = [...new Set(tokens.flatMap((token) => (token.kind === 'option' && !known.includes(token.name) && !everywhere.includes(token.name) ? [token.rawName] : [])))];
  if (unknown.length === 0) return;
  const takes = known.length > 0 ? `It takes: ${known.map((flag) => `--${flag}`).join(', ')}.` : 'It takes no flags.';
  throw new InputError(`The ${command} command does not know ${unknown.join(', ')}, so nothing was done. ${takes} (distillery --help lists every command.)`, 'input_unknown');
}
