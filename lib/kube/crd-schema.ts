// The vocabulary of Accord's CRD definitions: zod schemas that are at once the runtime parser of a
// custom resource and, through `npm run generate` (scripts/schema-gen), the source of its
// CustomResourceDefinition, the way Go operators write kubebuilder markers on their API types and let
// controller-gen write the CRDs. A marker here adds the OpenAPI/Kubernetes keyword for the API server
// and the same check for the parser, so the two cannot drift apart (docs/crds.md).
import { z } from 'zod';
import type { CustomResourceDefinition } from './custom-resource-api.js';

/** One entry of `x-kubernetes-validations`: a CEL rule and the message the API server answers with. */
export interface CelRule {
  readonly rule: string;
  readonly message: string;
}

/**
 * A CEL rule the runtime parser checks too: `holds` states the rule in TypeScript for the webhook
 * and the reconciler, which do not go through the API server's validation (the webhook reads
 * objects it did not admit; a unit test has no API server). test/kube/crds.test.ts shows on every
 * example that both verdicts agree.
 */
export interface CheckedCelRule<T> extends CelRule {
  readonly holds: (value: T) => boolean;
}

declare module 'zod' {
  // The Kubernetes extensions the generator copies into the openAPIV3Schema; typed here so that a
  // misspelt marker is a compile error rather than a keyword the API server ignores.
  interface GlobalMeta {
    'x-kubernetes-validations'?: readonly CelRule[];
    'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
    'x-kubernetes-list-map-keys'?: readonly string[];
    maxProperties?: number;
    format?: 'date-time' | 'int32' | 'int64';
  }
}

/** What a custom issue of a marker says, so that `schemaIssueMessages` phrases it as the API server does. */
type MarkerIssueKind = 'cel' | 'duplicate' | 'tooMany';

/**
 * Adds CEL rules that the API server evaluates (`x-kubernetes-validations`) and the parser checks
 * with `holds`, both with the same message. A rule is checked by the parser only when the value's
 * own shape parsed, as the API server evaluates CEL only on a structurally valid object.
 */
export function withCelRules<S extends z.ZodType>(
  schema: S,
  rules: readonly CheckedCelRule<z.output<S>>[],
): S {
  const annotated = appendValidations(schema, rules);
  return rules.reduce<S>(
    (checked, { holds, message }) =>
      checked.refine((value) => holds(value), { message, params: { kind: 'cel' satisfies MarkerIssueKind } }),
    annotated,
  );
}

/**
 * Adds transition rules (CEL over `oldSelf`): only the API server sees the stored object, so only it
 * can refuse the change; the parser, which reads one object, has nothing to compare against.
 */
export function withTransitionRules<S extends z.ZodType>(schema: S, rules: readonly CelRule[]): S {
  if (rules.some(({ rule }) => !rule.includes('oldSelf'))) {
    throw new Error('a transition rule compares with oldSelf; give other rules a check (withCelRules)');
  }
  return appendValidations(schema, rules);
}

function appendValidations<S extends z.ZodType>(schema: S, rules: readonly CelRule[]): S {
  const meta = schema.meta() ?? {};
  const validations = [
    ...(meta['x-kubernetes-validations'] ?? []),
    ...rules.map(({ rule, message }) => ({ rule, message })),
  ];
  return schema.meta({ ...meta, 'x-kubernetes-validations': validations });
}

/**
 * A list whose items are identified by `keys` (`x-kubernetes-list-type: map`): server-side apply
 * merges it item by item, and the API server refuses two items with the same keys, as the parser does.
 */
export function asListMap<Item extends z.ZodObject>(
  list: z.ZodArray<Item>,
  keys: readonly [keyof z.output<Item> & string, ...(keyof z.output<Item> & string)[]],
): z.ZodArray<Item> {
  return withoutDuplicates(
    list,
    (item: z.output<Item>) => `[${keys.map((key) => `${key}=${JSON.stringify(item[key])}`).join(',')}]`,
  ).meta({ ...list.meta(), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });
}

/** A list of distinct scalars (`x-kubernetes-list-type: set`), refused with duplicates by both sides. */
export function asListSet<Item extends z.ZodString>(list: z.ZodArray<Item>): z.ZodArray<Item> {
  return withoutDuplicates(list, (item: z.output<Item>) => `[=${JSON.stringify(item)}]`).meta({
    ...list.meta(),
    'x-kubernetes-list-type': 'set',
  });
}

/** Refuses a repeated item in the words of server-side apply (`duplicate entries for key [name="a"]`). */
function withoutDuplicates<Item extends z.ZodType>(
  list: z.ZodArray<Item>,
  pathElement: (item: z.output<Item>) => string,
): z.ZodArray<Item> {
  return list.check((context) => {
    const elements = context.value.map(pathElement);
    const repeated = elements.find((element, index) => elements.indexOf(element) !== index);
    if (repeated === undefined) return;
    context.issues.push({
      code: 'custom',
      input: context.value,
      message: `duplicate entries for key ${repeated}`,
      params: { kind: 'duplicate' satisfies MarkerIssueKind },
    });
  });
}

/** A map with at most `maxProperties` entries (the API server's `maxProperties`). */
export function withMaxProperties<S extends z.ZodRecord<z.ZodString, z.ZodType>>(
  record: S,
  maxProperties: number,
): S {
  return record
    .check((context) => {
      const count = Object.keys(context.value).length;
      if (count <= maxProperties) return;
      context.issues.push({
        code: 'custom',
        input: context.value,
        message: `Too many: ${count}: must have at most ${maxProperties} items`,
        params: { kind: 'tooMany' satisfies MarkerIssueKind },
      });
    })
    .meta({ ...record.meta(), maxProperties });
}

/** A Kubernetes `int64` (metadata.generation and the like): any safe integer. */
export function int64(): z.ZodInt {
  return z.int().meta({ format: 'int64' });
}

/** A column of `kubectl get` (`additionalPrinterColumns`). */
export interface PrinterColumn {
  readonly name: string;
  readonly type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  /** A path into the object, e.g. `.status.state`; the generator checks that the schema has it. */
  readonly jsonPath: string;
  readonly description: string;
}

/**
 * Everything a CustomResourceDefinition says, in one typed value: scripts/schema-gen writes the YAML
 * from it, and the controllers parse `spec` and `status` with the same schemas.
 */
export interface CrdDefinition {
  /** Group, version, plural, kind and scope, as the controllers address the resource. */
  readonly resource: CustomResourceDefinition;
  readonly singular: string;
  readonly shortNames: readonly string[];
  readonly categories: readonly string[];
  /** What an object of this kind is (the schema's root description). */
  readonly description: string;
  readonly spec: z.ZodType;
  readonly status: z.ZodType;
  /** Rules over the whole object, e.g. on `metadata.name`; the parsers read metadata separately. */
  readonly resourceRules: readonly CelRule[];
  readonly printerColumns: readonly PrinterColumn[];
}

/**
 * The problems of a failed parse, phrased as the API server phrases the same violation of the
 * generated schema (`spec.port: Invalid value: 70000: spec.port in body should be less than or
 * equal to 65535`), so an `InvalidSpec` condition reads like `kubectl apply`'s answer. `prefix` is
 * the path of the parsed value in the object, e.g. `spec`.
 */
export function schemaIssueMessages(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((issue) => schemaIssueMessage(issue, prefix));
}

function schemaIssueMessage(issue: z.core.$ZodIssue, prefix: string): string {
  const path = fieldPath(prefix, issue.path);
  const input: unknown = issue.input;
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return `${path}: Required value`;
      return `${path}: Invalid value: "${jsonType(input)}": ${path} in body must be of type ${openApiType(issue.expected)}: "${jsonType(input)}"`;
    case 'too_big':
      if (issue.origin === 'string') return `${path}: Too long: may not be more than ${issue.maximum} bytes`;
      if (Array.isArray(input))
        return `${path}: Too many: ${input.length}: must have at most ${issue.maximum} items`;
      return `${path}: Invalid value: ${String(input)}: ${path} in body should be less than or equal to ${issue.maximum}`;
    case 'too_small':
      if (typeof input === 'string')
        return `${path}: Invalid value: "${input}": ${path} in body should be at least ${issue.minimum} chars long`;
      if (Array.isArray(input))
        return `${path}: Invalid value: ${input.length}: ${path} in body should have at least ${issue.minimum} items`;
      return `${path}: Invalid value: ${String(input)}: ${path} in body should be greater than or equal to ${issue.minimum}`;
    case 'invalid_format':
      if (issue.format === 'regex' && issue.pattern !== undefined)
        return `${path}: Invalid value: ${JSON.stringify(input)}: ${path} in body should match '${regexSource(issue.pattern)}'`;
      return `${path}: ${issue.message}`;
    case 'invalid_value':
      return `${path}: Unsupported value: ${JSON.stringify(input)}: supported values: ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
    case 'custom':
      return issue.params?.kind === 'cel'
        ? `${path}: Invalid value: "${jsonType(input)}": ${issue.message}`
        : `${path}: ${issue.message}`;
    case 'invalid_union':
    case 'invalid_key':
    case 'invalid_element':
    case 'not_multiple_of':
    case 'unrecognized_keys':
      // Not produced by Accord's CRD schemas (no unions, no key schemas, objects strip unknown keys).
      return `${path}: ${issue.message}`;
  }
}

/** `spec.participants[0].name`, as the API server names a field. */
function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  const suffix = path
    .map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${String(segment)}`))
    .join('');
  const joined = `${prefix}${suffix}`.replace(/^\./, '');
  return joined === '' ? '<root>' : joined;
}

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function openApiType(zodType: string): string {
  if (zodType === 'int') return 'integer';
  if (zodType === 'record') return 'object';
  return zodType;
}

/** zod reports a pattern as `/source/flags`; the API server quotes the source. */
function regexSource(pattern: string): string {
  return pattern.replace(/^\/(.*)\/[a-z]*$/s, '$1');
}
