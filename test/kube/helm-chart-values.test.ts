// The chart's committed values.yaml and values.schema.json, read as helm reads them: both are
// generated from charts/accord/values.ts (npm run verify fails on drift); these tests hold the
// promises a Helm user relies on even for a hand-edited copy.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { chartValues } from '../../charts/accord/values.js';
import type { SchemaNode } from '../../scripts/schema-gen/json-schema-node.js';
import { valuesJsonSchema } from '../../scripts/schema-gen/values-json-schema.js';

const chartDirectory = resolve(__dirname, '../../charts/accord');
const values = parse(readFileSync(join(chartDirectory, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(chartDirectory, 'values.schema.json'), 'utf8')) as SchemaNode;

/** A node as a validator sees it: a `$ref` (or zod's `allOf: [{$ref}]`) merged with what the use adds. */
function resolved(node: SchemaNode): SchemaNode {
  const reference = node.$ref ?? node.allOf?.[0]?.$ref;
  if (typeof reference !== 'string') return node;
  const shared = schema.definitions?.[reference.replace('#/definitions/', '')];
  if (shared === undefined) throw new Error(`${reference} is not a definition`);
  return { ...shared, ...node };
}

/** Every value of values.yaml (list items as `name[i]`) with the schema node that describes it. */
function valueNodes(value: unknown, node: SchemaNode, path: string): { path: string; node?: SchemaNode }[] {
  if (Array.isArray(value)) {
    const items = node.items === undefined ? undefined : resolved(node.items);
    return value.flatMap((item, index) =>
      items === undefined
        ? [{ path: `${path}[${index}]` }]
        : [{ path: `${path}[${index}]`, node: items }, ...children(item, items, `${path}[${index}]`)],
    );
  }
  return children(value, node, path);
}

function children(value: unknown, node: SchemaNode, path: string): { path: string; node?: SchemaNode }[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const childPath = path === '' ? key : `${path}.${key}`;
    const property = node.properties?.[key];
    if (property === undefined) return [{ path: childPath }];
    return [{ path: childPath, node: property }, ...valueNodes(child, resolved(property), childPath)];
  });
}

describe("the chart's values", () => {
  const described = valueNodes(values, schema, '');

  it('has a description in the schema for every value of values.yaml', () => {
    const undescribed = described
      .filter(({ node }) => typeof node?.description !== 'string' || node.description === '')
      .map(({ path }) => path);
    expect(undescribed).toEqual([]);
    // Nested values, shared shapes and list items are all reached.
    expect(described.map(({ path }) => path)).toEqual(
      expect.arrayContaining([
        'pki.svidTtl',
        'provider.bootstrapToken.secretName',
        'operator.injection.envoy.resources.limits.memory',
        'zone.meshNamespaces[0]',
      ]),
    );
  });

  it('holds exactly the values the schema defines, each with the default the schema gives', () => {
    expect(described.filter(({ node }) => node === undefined).map(({ path }) => path)).toEqual([]);
    const inValuesYaml = new Set(described.map(({ path }) => path));
    expect(schemaValuePaths(schema, '').filter((path) => !inValuesYaml.has(path))).toEqual([]);
    const mismatched = described
      .filter(({ node }) => node?.default !== undefined)
      .filter(({ path, node }) => JSON.stringify(valueAt(path)) !== JSON.stringify(node?.default))
      .map(({ path }) => path);
    expect(mismatched).toEqual([]);
  });

  it('cannot be generated with a value that has no description, which the generator names', () => {
    const undescribedValue = chartValues.schema.safeExtend({ replicaCount: z.int().min(1).default(1) });
    expect(() => valuesJsonSchema({ ...chartValues, schema: undescribedValue })).toThrow(
      'replicaCount: every field needs a description',
    );
  });
});

/** The paths of the values a schema node defines, down to those written whole (a default or a shared shape). */
function schemaValuePaths(node: SchemaNode, path: string): string[] {
  return Object.entries(node.properties ?? {}).flatMap(([key, property]) => {
    const childPath = path === '' ? key : `${path}.${key}`;
    const isWhole = property.default !== undefined || property.properties === undefined;
    return isWhole ? [childPath] : [childPath, ...schemaValuePaths(property, childPath)];
  });
}

/** The value of values.yaml at a dotted path (list indices as `[i]`). */
function valueAt(path: string): unknown {
  return path
    .split(/\.|(?=\[)/)
    .reduce<unknown>(
      (value, segment) =>
        (value as Record<string, unknown>)[segment.startsWith('[') ? segment.slice(1, -1) : segment],
      values,
    );
}
