import type { ChartValuesDefinition } from './chart-values-schema.js';
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
 * The keywords a node of values.schema.json may carry, in the order they are written: what a value
 * is, its default and examples, its limits, then its children, then the shapes it refers to. Unlike
 * a structural CRD schema, JSON Schema for Helm may refer to shared definitions (`$ref`, written by
 * zod as `allOf: [{$ref}]` where the use adds a description or default), offer alternatives
 * (`anyOf`) and state conditions (`if`/`then`). Anything else is refused, naming the value.
 */
const keywordOrder = [
  '$schema',
  'title',
  'type',
  'description',
  'default',
  'examples',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'required',
  'additionalProperties',
  'properties',
  'items',
  '$ref',
  'allOf',
  'anyOf',
  'if',
  'then',
  'definitions',
] as const;

/** What a value node may carry: no root keywords, and a list set (asListSet) becomes uniqueItems. */
const valueKeywords: ReadonlySet<string> = new Set([
  ...keywordOrder.filter((keyword) => !['$schema', 'title', 'definitions'].includes(keyword)),
  'x-kubernetes-list-type',
]);

const refusal = { what: 'values.schema.json', reason: 'JSON Schema draft-07 as helm validates it' };

/**
 * values.schema.json for `definition` (JSON Schema draft-07, which helm validates the merged values
 * against), or an error naming the value that breaks the rules a chart's values follow here: every
 * value has a description; every object refuses unknown keys (`additionalProperties: false`), so a
 * typo or an old value name fails the install instead of being ignored; and
 * every value outside a list is required, so values.yaml holds each with its default and a value
 * cannot be removed with `--set x=null`.
 */
export function valuesJsonSchema(definition: ChartValuesDefinition): SchemaNode {
  const {
    $schema,
    definitions = {},
    ...values
  } = zodJsonSchema(definition.schema, { io: 'output', target: 'draft-07' });
  return orderedKeywords(
    {
      $schema,
      title: definition.title,
      ...normalized({ ...values, description: definition.description }, '', true),
      definitions: Object.fromEntries(
        Object.entries(definitions).map(([name, shared]) => [
          name,
          normalized(shared, `#/definitions/${name}`, false),
        ]),
      ),
    },
    keywordOrder,
  );
}

/**
 * One node, normalised. `isValue`: the node is reached from the root through properties only, so
 * values.yaml holds it (inside a list or a shared definition, only the use site's default does).
 */
function normalized(node: SchemaNode, path: string, isValue: boolean): SchemaNode {
  const result: SchemaNode = { ...node };
  const listType = result['x-kubernetes-list-type'];
  if (listType !== undefined) {
    if (listType !== 'set')
      throw new Error(
        `${path}: a list of values may be a set (uniqueItems), not x-kubernetes-list-type ${JSON.stringify(listType)}`,
      );
    delete result['x-kubernetes-list-type'];
    result.uniqueItems = true;
  }
  refuseOtherKeywords(result, valueKeywords, path, refusal);
  if (result.allOf !== undefined) result.allOf = result.allOf.map((part) => normalized(part, path, false));
  if (result.anyOf !== undefined) result.anyOf = result.anyOf.map((part) => normalized(part, path, false));
  switch (result.type) {
    case 'object':
      normalizeObject(result, path, isValue);
      break;
    case 'array':
      if (result.items === undefined) throw new Error(`${path}: a list needs an item schema`);
      result.items = normalized(result.items, `${path}[*]`, false);
      break;
    case 'integer':
      // z.int()'s implied safe-integer range is no bound of the chart's.
      withoutImpliedIntegerBounds(result);
      break;
    case 'string':
      if (typeof result.pattern === 'string') result.pattern = withoutEscapedSlashes(result.pattern);
      break;
    case 'number':
    case 'boolean':
      break;
    case undefined:
      if (result.$ref === undefined && result.allOf === undefined && result.anyOf === undefined) {
        throw new Error(`${path || '<root>'}: every value needs a type`);
      }
      break;
    default:
      throw new Error(`${path || '<root>'}: every value needs one type, not ${JSON.stringify(result.type)}`);
  }
  return orderedKeywords(result, keywordOrder);
}

function normalizeObject(node: SchemaNode, path: string, isValue: boolean): void {
  const { properties } = node;
  if (properties === undefined) {
    throw new Error(
      `${path || '<root>'}: an object of values needs its properties (values.yaml documents each)`,
    );
  }
  if (node.additionalProperties !== false) {
    throw new Error(`${path || '<root>'}: an object of values refuses unknown keys (not a z.looseObject)`);
  }
  if (isValue) {
    const required = new Set(Array.isArray(node.required) ? (node.required as unknown[]) : []);
    const optional = Object.keys(properties).find((name) => !required.has(name));
    if (optional !== undefined) {
      throw new Error(
        `${path === '' ? optional : `${path}.${optional}`}: every value is in values.yaml: give it a default instead of making it optional`,
      );
    }
  }
  node.properties = describedProperties(properties, path, (property, field) =>
    normalized(property, field, isValue),
  );
}
