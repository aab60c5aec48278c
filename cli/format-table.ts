/**
 * Aligns rows under upper-case headers, kubectl style: two spaces between columns, no borders,
 * so the output stays greppable and `awk`-able.
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = columnWidths(headers, rows);
  return [
    alignRow(
      headers.map((header) => header.toUpperCase()),
      widths,
    ),
    ...rows.map((row) => alignRow(row, widths)),
  ]
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * A table printed a batch at a time as rows arrive (`contracts watch`, like `kubectl get -w`): the
 * header with the first batch, columns as wide as the widest cell seen so far, so later rows stay
 * aligned unless a longer cell arrives.
 */
export class TableStream {
  readonly #headers: readonly string[];
  #widths: number[] | undefined;

  constructor(headers: readonly string[]) {
    this.#headers = headers;
  }

  /** The lines for `rows`, preceded by the header the first time. */
  format(rows: readonly (readonly string[])[]): string {
    const isFirst = this.#widths === undefined;
    const widths = columnWidths(this.#headers, rows).map((width, column) =>
      Math.max(width, this.#widths?.[column] ?? 0),
    );
    this.#widths = widths;
    const lines = rows.map((row) => alignRow(row, widths));
    if (isFirst)
      lines.unshift(
        alignRow(
          this.#headers.map((header) => header.toUpperCase()),
          widths,
        ),
      );
    return lines.map((line) => `${line}\n`).join('');
  }
}

function columnWidths(headers: readonly string[], rows: readonly (readonly string[])[]): number[] {
  return headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
}

function alignRow(cells: readonly string[], widths: readonly number[]): string {
  return widths
    .map((width, column) => {
      const cell = cells[column] ?? '';
      return column === widths.length - 1 ? cell : cell.padEnd(width);
    })
    .join('  ')
    .trimEnd();
}
