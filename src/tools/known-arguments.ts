/**
 * Unknown arguments are refused, not dropped. zod strips keys an object does not declare, so a typo
 * (`sampels`) or a feature this version lacks (`mode: "batch"`) would run as if it were not there:
 * the user asks for half price and pays full. Every tool's input goes through `refusingUnknown` in
 * defineTool, so a key added to any tool schema is known at once, and MCP clients see
 * `additionalProperties: false` in tools/list.
 */
import { z } from 'zod';

type AnySchema = z.core.$ZodType;

function quoted(keys: readonly PropertyKey[]): string {
  return keys.map((key) => `"${String(key)}"`).join(', ');
}

/** The message for keys an object does not declare: which, and what it does take. */
function unknownKeysError(tool: string, known: string[], topLevel: boolean): z.core.$ZodErrorMap {
  return (issue) => {
    if (issue.code !== 'unrecognized_keys') return undefined;
    const plural = issue.keys.length > 1;
    if (!topLevel) return `unknown key${plural ? 's' : ''} ${quoted(issue.keys)}; known keys here: ${known.join(', ')}.`;
    return (
      `${tool} does not know the argument${plural ? 's' : ''} ${quoted(issue.keys)}, so nothing was done. ` +
      `Its arguments are: ${known.join(', ') || '(none)'}. Fix the spelling or leave ${plural ? 'them' : 'it'} out.`
    );
  };
}

/** A copy of `schema` in which every object, however deeply nested, refuses keys it does not declare. */
export function refusingUnknown<S extends AnySchema>(schema: S, tool: string, topLevel = true): S {
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  // parent: true keeps the descriptions registered on the original, so tools/list shows them still.
  const rebuilt = (changes: Record<string, unknown>) => (schema as unknown as z.ZodType).clone({ ...def, ...changes } as never, { parent: true }) as unknown as S;
  switch (def.type) {
    case 'object': {
      const shape = Object.fromEntries(Object.entries(def.shape as Record<string, AnySchema>).map(([key, field]) => [key, refusingUnknown(field, tool, false)]));
      return rebuilt({ shape, catchall: z.never(), error: unknownKeysError(tool, Object.keys(shape), topLevel) });
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
      return rebuilt({ innerType: refusingUnknown(def.innerType as AnySchema, tool, topLevel) });
    case 'array':
      return rebuilt({ element: refusingUnknown(def.element as AnySchema, tool, false) });
    default:
      return schema;
  }
}
