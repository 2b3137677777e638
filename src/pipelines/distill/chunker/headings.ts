/** Plain-text heading detection (legal and medical documents without markup) and heading titles. */

const structuralHeading = /^(?:ARTICLE|CHAPTER|PART|BOOK|Article|Chapter|Part|Book)\s+(?:[IVXLCDM]+|\d+)\b(.*)$/;
const romanChapter = /^[IVXLC]+\.\s+\P{Ll}+$/u;
export const sectionHeading = /^(?:SECTION|SEC\.|Section|Sec\.|§)\s*\d+[A-Za-z]?(?=[.:\s]|$)/;
export const caption = /^(?:TABLE|FIG\.?|FIGURE|PLATE)\b/i;
const frontOrBackMatter = /^(?:PREFACE|INTRODUCTION|CONTENTS|TABLE OF CONTENTS|CONCLUSION|APPENDIX|INDEX|GLOSSARY|BIBLIOGRAPHY|EPILOGUE|PROLOGUE|FOREWORD|AFTERWORD)\b/;
const lowercase = /\p{Ll}/u;
const stopWords = new Set(['A', 'AN', 'AND', 'BY', 'OF', 'THE', 'TO', 'IN', 'ON', 'AT', 'FOR', 'OR']);

export function headingTitle(line: string): string {
  return line.trim().replace(/(?:\s*\[\d+\])+$/, '').replace(/[\s.:]+$/, '').replace(/\s+/g, ' ');
}

function isTitleCase(line: string): boolean {
  if (line.length > 60 || !/^\p{Lu}/u.test(line) || /[.,;:!?]$/.test(line)) return false;
  const words = line.split(/\s+/);
  return words.length <= 10 && words.every((word) => word.length < 4 || /^[\p{Lu}\d("'_]/u.test(word));
}

/** A plain-text heading alone on its line (as in legal_guide.txt, medical_manual.txt), with its rank. */
export function plainHeading(line: string, blanksBefore: number, afterTopHeading: boolean): { rank: number; title: string } | undefined {
  const trimmed = line.trim();
  // Gutenberg [Sidenote: ...] and [Illustration: ...] markers and table captions are not headings.
  if (trimmed.length < 2 || trimmed.length > 80 || trimmed.startsWith('[') || caption.test(trimmed)) return undefined;
  const structural = structuralHeading.exec(trimmed);
  if (structural && (!lowercase.test(structural[1]!) || /^\s*[.:)\-–—]/.test(structural[1]!))) return { rank: 1, title: headingTitle(trimmed) };
  if (romanChapter.test(trimmed)) return { rank: 1, title: headingTitle(trimmed) };
  const section = sectionHeading.exec(trimmed);
  // "SECTION 3." alone is a heading; "SEC. 5. The said ballots..." is a paragraph that starts section 5.
  if (section) return /^[\s.:]*$/.test(trimmed.slice(section[0].length)) ? { rank: 3, title: headingTitle(section[0]) } : undefined;
  if (!lowercase.test(trimmed)) {
    const words = trimmed.match(/\p{L}+/gu) ?? [];
    if (/[,;]$/.test(trimmed) || !words.some((word) => word.length >= 3 && !stopWords.has(word))) return undefined;
    // A title right under ARTICLE/CHAPTER is its subtitle; one after a wide gap starts a new part.
    const rank = afterTopHeading ? 2 : frontOrBackMatter.test(trimmed) || blanksBefore >= 3 ? 1 : 2;
    return { rank, title: headingTitle(trimmed) };
  }
  if (afterTopHeading && /^_[^_]+_\.?$/.test(trimmed)) return { rank: 2, title: headingTitle(trimmed.replace(/_/g, '')) };
  if (blanksBefore >= 2 && isTitleCase(trimmed)) return { rank: afterTopHeading ? 2 : 3, title: headingTitle(trimmed) };
  return undefined;
}
