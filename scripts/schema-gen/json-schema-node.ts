// What the two schema generators share: both start from zod's JSON Schema of a typed definition and
// rewrite it node by node under their own rules — a CRD's structural openAPIV3Schema
// (structural-schema.ts) and the chart's values.schema.json (values-json-schema.ts). The rules that
// hold for both live here: every field is described, keywords come in a fixed order, a pattern
// reads as RE2 reads it, and zod's implied integer range is not a bound anybody wrote.
import { z } from 'zod';

/** One node of a generated schema (a CRD's JSONSchemaProps or a draft-07 JSON Schema). */
export interface SchemaNode {
  type?: unknown;
  description?: unknown;
  default?: unknown;
  enum?: unknown;
  format?: unknown;
  pattern?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  maxLength?: unknown;
  maxItems?: unknown;
  maxProperties?: unknown;
  required?: unknown;
  $ref?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  propertyNames?: SchemaNode;
  anyOf?: SchemaNode[];
  allOf?: SchemaNode[];
  definitions?: Record<string, SchemaNode>;
  [keyword: string]: unknown;
}

/**
 * zod's JSON Schema of `schema`, refusing what JSON Schema cannot say (a transform's output, a
 * custom check's meaning) rather than silently dropping it.
 */
export function zodJsonSchema(
  schema: z.ZodType,
  options: { io: 'input' | 'output'; target?: 'draft-07' },
): SchemaNode {
  return z.toJSONSchema(schema, { ...options, unrepresentable: 'throw' }) as SchemaNode;
}

/**
 * The properties of an object node, each normalised by `normalize`, or an error naming the first
 * one without a description: every CRD field and every chart value says what it is for.
 */
export function describedProperties(
  properties: Record<string, SchemaNode>,
  path: string,
  normalize: (node: SchemaNode, path: string) => SchemaNode,
): Record<string, SchemaNode> {
  return Object.fromEntries(
    Object.entries(properties).map(([name, property]) => {
      const field = path === '' ? name : `${path}.${name}`;
      if (typeof property.description !== 'string' || property.description === '') {
        throw new Error(`${field}: every field needs a description`);
      }
      return [name, normalize(property, field)];
    }),
  );
}

/**
 * Throws, naming the field, if `node` uses a keyword outside `allowed`: `what` names the schema
 * (`a CRD schema`), `reason` says why it cannot hold more.
 */
export function refuseOtherKeywords(
  node: SchemaNode,
  allowed: ReadonlySet<string>,
  path: string,
  { what, reason }: { what: string; reason: string },
): void {
  const keyword = Object.keys(node).find((name) => !allowed.has(name));
  if (keyword !== undefined) {
    throw new Error(`${path || '<root>'}: ${what} cannot use "${keyword}" here (${reason})`);
  }
}

/** zod writes a safe integer's and an int32's range as bounds; nobody wrote them. */
const impliedIntegerBounds = new Map<number, 'int32' | 'int64'>([
  [Number.MAX_SAFE_INTEGER, 'int64'],
  [Number.MIN_SAFE_INTEGER, 'int64'],
  [2 ** 31 - 1, 'int32'],
  [-(2 ** 31), 'int32'],
]);

/**
 * Removes the bounds zod implies for `z.int()` and `z.int32()` from an integer node and returns the
 * format they stood for (`int64`, `int32`), or undefined when the node had no implied bound.
 */
export function withoutImpliedIntegerBounds(node: SchemaNode): 'int32' | 'int64' | undefined {
  const minimumFormat = impliedIntegerBounds.get(node.minimum as number);
  if (minimumFormat !== undefined) delete node.minimum;
  const maximumFormat = impliedIntegerBounds.get(node.maximum as number);
  if (maximumFormat !== undefined) delete node.maximum;
  return minimumFormat ?? maximumFormat;
}

/**
 * A JavaScript RegExp's source escapes "/" (it would end a regex literal); RE2, the engine of both
 * the API server and Helm's JSON Schema validator, needs no escape there, and the schema reads
 * better without it.
 */
export function withoutEscapedSlashes(pattern: string): string {
  return pattern.replace(/(?<!\\)((?:\\\\)*)\\\//g, '$1/');
}

/** `node` with its keywords in `order`: stable output whatever order zod emits them in. */
export function orderedKeywords(node: SchemaNode, order: readonly string[]): SchemaNode {
  return Object.fromEntries(
    order.filter((keyword) => node[keyword] !== undefined).map((keyword) => [keyword, node[keyword]]),
  );
}
