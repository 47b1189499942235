/** CSV for spreadsheets: UTF-8 with a BOM (Excel then shows Vietnamese correctly), CRLF, every cell quoted. */
export function csvCell(v: unknown): string {
  const text = v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : typeof v === 'object' ? JSON.stringify(v) : String(v);
  // A leading = + - @ would make a spreadsheet run the cell as a formula.
  return `"${(/^[=+\-@]/.test(text) ? `'${text}` : text).replace(/"/g, '""')}"`;
}

/** Header names are our own text: quoted only when they must be. */
function headerCell(name: string): string {
  return /[",\r\n]|^[=+\-@]/.test(name) ? csvCell(name) : name;
}

export function csvDocument(header: string[], rows: unknown[][]): string {
  return `\uFEFF${[header.map(headerCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\r\n')}\r\n`;
}
