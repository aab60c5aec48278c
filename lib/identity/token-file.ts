import { readFile } from 'node:fs/promises';

/**
 * Reads a bearer token from a file (a mounted Secret, a projected ServiceAccount token), without
 * the surrounding whitespace that `echo token > file` or an editor adds. Every reader of a token
 * file uses this, so the PKI hashes exactly the string its clients send.
 */
export async function readTokenFile(path: string): Promise<string> {
  return (await readFile(path, 'utf8')).trim();
}
