/** The overlap a chunk carries from the one before it. */
import { splittable, tokensOfParts, type Part } from './parts.js';
import { trailingSentences } from './sentences.js';

/** Up to `budget` (overlapTokens) of the emitted chunk's trailing paragraphs or sentences, never a heading. */
export function overlapFrom(emitted: readonly Part[], budget: number): Part[] {
  const taken: Part[] = [];
  for (let i = emitted.length - 1; i >= 0 && budget > 0; i--) {
    const part = emitted[i]!;
    if (part.kind === 'heading') break;
    const whole: Part = { ...part, kind: 'overlap', headingRank: 0 };
    if (tokensOfParts([whole, ...taken]) <= budget) {
      taken.unshift(whole);
      continue;
    }
    if (splittable.has(part.kind) || part.kind === 'overlap') {
      const room = budget - (taken.length > 0 ? tokensOfParts(taken) + 2 : 0);
      const tail = room > 0 ? trailingSentences(part.text, room) : undefined;
      const partial: Part | undefined = tail && { kind: 'overlap', text: tail.text, tokens: tail.tokens, path: part.path, headingRank: 0, page: part.pageEnd ?? part.page };
      if (partial && tokensOfParts([partial, ...taken]) <= budget) taken.unshift(partial);
    }
    break;
  }
  return taken;
}
