import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { errorMessage } from '../errors/accord-error.js';

/** The config file's API version; bumped when a field changes meaning. */
export const configApiVersion = 'accord.dev/v1alpha1';

/** Invalid configuration: the process should print this and stop before doing anything. */
export class InvalidConfigError extends Error {
  override readonly name = 'InvalidConfigError';
}

export interface ConfigSources {
  /** Path of a YAML or JSON config file: `apiVersion`, `kind`, then the component's fields. */
  file?: string | undefined;
  /**
   * Values from command-line flags; they win over the file. Undefined entries are ignored at every
   * depth (and mappings left empty are dropped), so `main.ts` can pass every flag as read.
   */
  overrides?: Record<string, unknown>;
}

/**
 * Loads a component's configuration: schema defaults < versioned config file < flags. The zod
 * schema is the single source of types, defaults and validation; errors name the field.
 */
export async function loadConfig<S extends z.ZodType>(
  schema: S,
  kind: string,
  sources: ConfigSources,
): Promise<z.output<S>> {
  const fromFile = sources.file === undefined ? {} : await readConfigFile(sources.file, kind);
  return parseConfig(schema, deepMerge(fromFile, withoutUndefined(sources.overrides ?? {})));
}

/** Validates an already-merged config object; exported so tests can check schemas without files. */
export function parseConfig<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new InvalidConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

async function readConfigFile(path: string, kind: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidConfigError(`cannot read config file ${path}: ${errorMessage(error)}`);
  }
  return configFileFields(text, path, kind);
}

/**
 * Parses a config file's text (YAML or JSON), checks its `apiVersion` and `kind`, and returns the
 * remaining fields for a schema to validate. `path` only names the file in errors.
 */
export function configFileFields(text: string, path: string, kind: string): Record<string, unknown> {
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new InvalidConfigError(`cannot read config file ${path}: ${errorMessage(error)}`);
  }
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new InvalidConfigError(`config file ${path} must hold a mapping`);
  }
  const { apiVersion, kind: documentKind, ...fields } = document as Record<string, unknown>;
  if (apiVersion !== configApiVersion) {
    throw new InvalidConfigError(
      `config file ${path}: apiVersion must be ${configApiVersion}, got ${String(apiVersion)}`,
    );
  }
  if (documentKind !== kind) {
    throw new InvalidConfigError(`config file ${path}: kind must be ${kind}, got ${String(documentKind)}`);
  }
  return fields;
}

/** Drops unset flags at every depth, so a nested flag left out never hides the file's value. */
function withoutUndefined(value: Record<string, unknown>): Record<string, unknown> {
  const entries = Object.entries(value)
    .map(([key, entry]): [string, unknown] => [key, isPlainObject(entry) ? withoutUndefined(entry) : entry])
    .filter(([, entry]) => entry !== undefined && !(isPlainObject(entry) && Object.keys(entry).length === 0));
  return Object.fromEntries(entries);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Merges `override` into `base`: nested mappings merge, everything else is replaced. */
export function deepMerge(
  base: Record<string, unknown>,
  override: Record<string, unknown>,
): Record<string, unknown> {
  const result: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const existing = result[key];
    result[key] = isPlainObject(existing) && isPlainObject(value) ? deepMerge(existing, value) : value;
  }
  return result;
}
