/**
 * `text` broken at spaces into lines of at most `width` characters (a word longer than that stays
 * whole on its own line): how the generators fold long descriptions in CRDs and comments in
 * values.yaml, so the files read as if written by hand within the repository's 100 columns.
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  return [...lines, current];
}
