import { UsageError } from '../lib/cli/command-line.js';
import { errorMessage } from '../lib/errors/accord-error.js';
import type { CliEnvironment } from './cli-environment.js';

/** Reads a file named on the command line; a missing file is a usage error (exit 2), not a failure. */
export async function readInput(env: CliEnvironment, path: string): Promise<string> {
  try {
    return await env.readFile(path);
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${errorMessage(error)}`);
  }
}

/**
 * Reads a secret from the file `path`, or from standard input for `-`, trimmed. Secrets are
 * never flag values: those end up in shell history and in every user's `ps` output.
 */
export async function readSecretInput(env: CliEnvironment, path: string, what: string): Promise<string> {
  const text = path === '-' ? await env.readStdin() : await readInput(env, path);
  const secret = text.trim();
  if (secret === '') throw new UsageError(`${path === '-' ? 'standard input' : path} holds no ${what}`);
  return secret;
}
