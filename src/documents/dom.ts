/** The few DOM members the extractors use, typed here because the project compiles without the DOM lib. */
import { parseHTML } from 'linkedom';

export interface DomNode {
  nodeType: number;
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<DomNode>;
  outerHTML?: string;
  getAttribute?(name: string): string | null;
  querySelectorAll?(selector: string): ArrayLike<DomNode>;
  remove?(): void;
}

export interface DomDocument {
  body: DomNode | null;
  documentElement: DomNode;
  title: string;
  querySelectorAll(selector: string): ArrayLike<DomNode>;
}

/** Parses markup without running it: linkedom has no script engine, and scripts are removed before anything reads the tree. */
export function parseMarkup(html: string): DomDocument {
  return parseHTML(html).document as unknown as DomDocument;
}

export const elementNode = 1;
export const textNode = 3;

export function tagOf(node: DomNode): string {
  return node.nodeName.toLowerCase();
}

/** Text with runs of whitespace made single spaces, as a browser shows it. */
export function flatText(node: DomNode): string {
  return (node.textContent ?? '').replace(/\s+/g, ' ').trim();
}
