import type { z } from 'zod';
import {
  describedProperties,
  orderedKeywords,
  refuseOtherKeywords,
  type SchemaNode,
  withoutEscapedSlashes,
  withoutImpliedIntegerBounds,
  zodJsonSchema,
} from './json-schema-node.js';

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

/** `propertyNames` (from `z.record`) is allowed in and dropped: a CRD cannot restrict map keys. */
const allowedKeywords: ReadonlySet<string> = new Set([...keywordOrder, 'propertyNames']);

/**
 * The structural `openAPIV3Schema` of `schema` (the input side: defaulted fields are optional), or
 * an error naming the field that a CRD cannot say or that breaks Accord's rules for its API: every
 * property has a description; every string, list and map is bounded (maxLength or enum, maxItems,
 * maxProperties), which keeps objects small and lets the API server estimate CEL costs.
 */
export function structuralSchema(schema: z.ZodType, path: string): SchemaNode {
  const root = zodJsonSchema(schema, { io: 'input' });
  delete root.$schema;
  return normalized(root, path);
}

function normalized(node: SchemaNode, path: string): SchemaNode {
  const result: SchemaNode = { ...node };
  refuseOtherKeywords(result, allowedKeywords, path, {
    what: 'a CRD schema',
    reason: 'a structural schema has one shape per field',
  });
  switch (result.type) {
    case 'object':
      normalizeObject(result, path);
      break;
    case 'array':
      normalizeArray(result, path);
      break;
    case 'integer': {
      // Kubernetes says int64 and int32 through `format`, not through bounds.
      const implied = withoutImpliedIntegerBounds(result);
      if (implied !== undefined) result.format ??= implied;
      break;
    }
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
  return orderedKeywords(result, keywordOrder);
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
    node.properties = describedProperties(properties, path, normalized);
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
