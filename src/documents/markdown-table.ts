/**
 * Tables as GitHub Markdown tables (`| Fruit | Sugar |`), first row as the header. Our own code, not
 * turndown-plugin-gfm: that plugin leaves a table without <th> cells as raw HTML, and Word tables
 * (mammoth) and PDF tables have none.
 */

export function markdownTable(rows: string[][]): string {
  const width = Math.max(...rows.map((row) => row.length));
  const cell = (value: string | undefined) => (value ?? '').replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
  const line = (row: string[]) => `| ${Array.from({ length: width }, (_, i) => cell(row[i])).join(' | ')} |`;
  const [header, ...body] = rows;
  return [line(header ?? []), `|${' --- |'.repeat(width)}`, ...body.map(line)].join('\n');
}

/** The rows of a Markdown table made by markdownTable, without its header separator. */
export function tableRows(table: string): string[] {
  return table.split('\n').filter((line, index) => index !== 1);
}
