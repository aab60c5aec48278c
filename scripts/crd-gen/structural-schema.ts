import { z } from 'zod';

/** One node of a CRD's `openAPIV3Schema` (apiextensions.k8s.io/v1 JSONSchemaProps). */
export interface SchemaNode {
  type?: unknown;
  description?: unknown;
  enum?: unknown;
  format?: unknown;
  pattern?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  maxLength?: unknown;
  maxItems?: unknown;
  maxProperties?: unknown;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  propertyNames?: SchemaNode;
  [keyword: string]: unknown;
}

/**
 * The keywords a generated node may carry, in the order they are written: what a field is first,
 * its limits next, its children last, so a reviewer reads a field before its subfields. Anything
 * else zod could produce (anyOf, oneOf, const, $ref, exclusive bounds, …) is either not allowed in a
 * structural schema or not something Accord's API needs, and the generator refuses it.
 */
const keywordOrder = [
  'type',
  'description',
  'default',
  'enum',
  'format',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'maxProperties',
  'required',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-validations',
  'properties',
  'additionalProperties',
  'items',
] as const;

const allowedKeywords: ReadonlySet<string> = new Set(keywordOrder);

/** zod writes a safe integer's and an int32's range as bounds; Kubernetes says `format` instead. */
const impliedIntegerBounds = new Map<number, 'int32' | 'int64'>([
  [Number.MAX_SAFE_INTEGER, 'int64'],
  [Number.MIN_SAFE_INTEGER, 'int64'],
  [2 ** 31 - 1, 'int32'],
  [-(2 ** 31), 'int32'],
]);

/**
 * The structural `openAPIV3Schema` of `schema` (the input side: defaulted fields are optional), or
 * an error naming the field that a CRD cannot say or that breaks Accord's rules for its API: every
 * property has a description; every string, list and map is bounded (maxLength or enum, maxItems,
 * maxProperties), which keeps objects small and lets the API server estimate CEL costs.
 */
export function structuralSchema(schema: z.ZodType, path: string): SchemaNode {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }) as SchemaNode;
  delete root.$schema;
  return normalized(root, path);
}

function normalized(node: SchemaNode, path: string): SchemaNode {
  const result: SchemaNode = { ...node };
  for (const keyword of Object.keys(result)) {
    if (!allowedKeywords.has(keyword) && keyword !== 'propertyNames') {
      throw new Error(
        `${path}: a CRD schema cannot use "${keyword}" here (a structural schema has one shape per field)`,
      );
    }
  }
  switch (result.type) {
    case 'object':
      normalizeObject(result, path);
      break;
    case 'array':
      normalizeArray(result, path);
      break;
    case 'integer':
      normalizeInteger(result);
      break;
    case 'string':
      if (typeof result.pattern === 'string') result.pattern = withoutEscapedSlashes(result.pattern);
      if (result.maxLength === undefined && result.enum === undefined && result.format !== 'date-time') {
        throw new Error(`${path}: a string needs a maxLength (or an enum)`);
      }
      break;
    case 'number':
    case 'boolean':
      break;
    default:
      throw new Error(`${path}: every field needs one type, not ${JSON.stringify(result.type)}`);
  }
  return ordered(result);
}

function normalizeObject(node: SchemaNode, path: string): void {
  const { properties, additionalProperties, propertyNames } = node;
  if (propertyNames !== undefined && Object.keys(propertyNames).some((keyword) => keyword !== 'type')) {
    throw new Error(`${path}: a CRD cannot restrict map keys`);
  }
  delete node.propertyNames;
  if (properties !== undefined && additionalProperties !== undefined) {
    throw new Error(`${path}: an object has either properties or additionalProperties (a map), not both`);
  }
  if (properties !== undefined) {
    node.properties = Object.fromEntries(
      Object.entries(properties).map(([name, property]) => {
        const field = `${path}.${name}`;
        if (typeof property.description !== 'string' || property.description === '') {
          throw new Error(`${field}: every field needs a description`);
        }
        return [name, normalized(property, field)];
      }),
    );
  } else if (typeof additionalProperties === 'object') {
    if (node.maxProperties === undefined) throw new Error(`${path}: a map needs a maxProperties`);
    node.additionalProperties = normalized(additionalProperties, `${path}[*]`);
  } else {
    throw new Error(
      `${path}: an object needs properties or a value schema (a free-form object is not allowed)`,
    );
  }
}

function normalizeArray(node: SchemaNode, path: string): void {
  if (node.items === undefined) throw new Error(`${path}: a list needs an item schema`);
  if (node.maxItems === undefined) throw new Error(`${path}: a list needs a maxItems`);
  node.items = normalized(node.items, `${path}[*]`);
}

function normalizeInteger(node: SchemaNode): void {
  const minimumFormat = impliedIntegerBounds.get(node.minimum as number);
  if (minimumFormat !== undefined) {
    delete node.minimum;
    node.format ??= minimumFormat;
  }
  const maximumFormat = impliedIntegerBounds.get(node.maximum as number);
  if (maximumFormat !== undefined) {
    delete node.maximum;
    node.format ??= maximumFormat;
  }
}

/**
 * A JavaScript RegExp's source escapes "/" (it would end a regex literal); RE2, the API server's
 * engine, needs no escape there, and the CRD reads better without it.
 */
function withoutEscapedSlashes(pattern: string): string {
  return pattern.replace(/(?<!\\)((?:\\\\)*)\\\//g, '$1/');
}

/** The node with its keywords in `keywordOrder`: stable output whatever order zod emits them in. */
function ordered(node: SchemaNode): SchemaNode {
  return Object.fromEntries(
    keywordOrder.filter((keyword) => node[keyword] !== undefined).map((keyword) => [keyword, node[keyword]]),
  );
}
