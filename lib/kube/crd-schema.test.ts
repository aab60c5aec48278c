import { z } from 'zod';
import {
  asListMap,
  asListSet,
  int64,
  schemaIssueMessages,
  withCelRules,
  withMaxProperties,
  withTransitionRules,
} from './crd-schema.js';

/** The messages of parsing `value` with `schema`, as `spec`, or `[]` when it parses. */
function complaints(schema: z.ZodType, value: unknown): string[] {
  const result = schema.safeParse(value, { reportInput: true });
  return result.success ? [] : schemaIssueMessages(result.error, 'spec');
}

const nonEmpty = withCelRules(z.object({ items: z.array(z.string().max(8)).max(4) }), [
  {
    rule: 'size(self.items) > 0',
    message: 'items must not be empty',
    holds: ({ items }) => items.length > 0,
  },
]);

describe('withCelRules', () => {
  it('declares the rule for the API server and checks it in the parser with the same message', () => {
    expect(nonEmpty.meta()?.['x-kubernetes-validations']).toEqual([
      { rule: 'size(self.items) > 0', message: 'items must not be empty' },
    ]);
    expect(complaints(nonEmpty, { items: [] })).toEqual([
      'spec: Invalid value: "object": items must not be empty',
    ]);
    expect(complaints(nonEmpty, { items: ['a'] })).toEqual([]);
  });

  it('appends to the rules a schema already has', () => {
    const both = withCelRules(nonEmpty, [
      { rule: 'size(self.items) < 3', message: 'at most two', holds: ({ items }) => items.length < 3 },
    ]);
    expect(both.meta()?.['x-kubernetes-validations']?.map(({ message }) => message)).toEqual([
      'items must not be empty',
      'at most two',
    ]);
    expect(complaints(both, { items: ['a', 'b', 'c'] })).toEqual([
      'spec: Invalid value: "object": at most two',
    ]);
  });

  it('checks a rule only once the shape parsed, as the API server evaluates CEL', () => {
    expect(complaints(nonEmpty, {})).toEqual(['spec.items: Required value']);
  });
});

describe('withTransitionRules', () => {
  const immutable = { rule: 'self == oldSelf', message: 'immutable' };

  it('declares the rule for the API server only: the parser has no old object', () => {
    const schema = withTransitionRules(z.string().max(8), [immutable]);
    expect(schema.meta()?.['x-kubernetes-validations']).toEqual([immutable]);
    expect(complaints(schema, 'anything')).toEqual([]);
  });

  it('refuses a rule that does not compare with oldSelf (it needs a check of its own)', () => {
    expect(() => withTransitionRules(z.string(), [{ rule: 'size(self) > 0', message: 'x' }])).toThrow(
      /oldSelf/,
    );
  });
});

describe('list and map markers', () => {
  it('marks a list map and refuses two items with the same keys, as server-side apply does', () => {
    const list = asListMap(z.array(z.object({ name: z.string(), port: z.int() })), ['name']);
    expect(list.meta()).toMatchObject({
      'x-kubernetes-list-type': 'map',
      'x-kubernetes-list-map-keys': ['name'],
    });
    expect(
      complaints(list, [
        { name: 'a', port: 1 },
        { name: 'b', port: 2 },
        { name: 'a', port: 3 },
      ]),
    ).toEqual(['spec: duplicate entries for key [name="a"]']);
    expect(complaints(list, [{ name: 'a', port: 1 }])).toEqual([]);
  });

  it('marks a set and refuses a repeated value', () => {
    const set = asListSet(z.array(z.string()));
    expect(set.meta()).toMatchObject({ 'x-kubernetes-list-type': 'set' });
    expect(complaints(set, ['x', 'x'])).toEqual(['spec: duplicate entries for key [="x"]']);
  });

  it('bounds a map by maxProperties', () => {
    const labels = withMaxProperties(z.record(z.string(), z.string()), 2);
    expect(labels.meta()).toMatchObject({ maxProperties: 2 });
    expect(complaints(labels, { a: '1', b: '2', c: '3' })).toEqual([
      'spec: Too many: 3: must have at most 2 items',
    ]);
    expect(complaints(labels, { a: '1', b: '2' })).toEqual([]);
  });

  it('says int64 through format', () => {
    expect(int64().meta()).toEqual({ format: 'int64' });
  });
});

describe('schemaIssueMessages', () => {
  const schema = z.object({
    port: z.int().min(1).max(65535),
    name: z
      .string()
      .min(2)
      .max(4)
      .regex(/^[a-z]+$/),
    mode: z.enum(['none', 'basic']),
    zones: z.array(z.string()).min(2).max(3),
  });
  const valid = { port: 80, name: 'abc', mode: 'none', zones: ['a', 'b'] };

  it.each<[string, Record<string, unknown>, string]>([
    ['a missing field', { port: undefined }, 'spec.port: Required value'],
    [
      'a value of another type',
      { name: 3 },
      'spec.name: Invalid value: "integer": spec.name in body must be of type string: "integer"',
    ],
    [
      'a fraction for an integer',
      { port: 1.5 },
      'spec.port: Invalid value: "number": spec.port in body must be of type integer: "number"',
    ],
    [
      'a number above its maximum',
      { port: 70000 },
      'spec.port: Invalid value: 70000: spec.port in body should be less than or equal to 65535',
    ],
    [
      'a number below its minimum',
      { port: 0 },
      'spec.port: Invalid value: 0: spec.port in body should be greater than or equal to 1',
    ],
    [
      'a string too short',
      { name: 'a' },
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ],
    ['a string too long', { name: 'abcdef' }, 'spec.name: Too long: may not be more than 4 bytes'],
    [
      'a string off its pattern',
      { name: 'AB' },
      `spec.name: Invalid value: "AB": spec.name in body should match '^[a-z]+$'`,
    ],
    [
      'a value outside the enum',
      { mode: 'x' },
      'spec.mode: Unsupported value: "x": supported values: "none", "basic"',
    ],
    [
      'a list too short',
      { zones: ['a'] },
      'spec.zones: Invalid value: 1: spec.zones in body should have at least 2 items',
    ],
    [
      'a list too long',
      { zones: ['a', 'b', 'c', 'd'] },
      'spec.zones: Too many: 4: must have at most 3 items',
    ],
  ])('phrases %s as the API server does', (_, change, message) => {
    expect(complaints(schema, { ...valid, ...change })).toEqual([message]);
  });

  it('names list items by index', () => {
    const list = z.object({ items: z.array(z.object({ name: z.string().max(2) })) });
    expect(complaints(list, { items: [{ name: 'a' }, { name: 'abc' }] })).toEqual([
      'spec.items[1].name: Too long: may not be more than 2 bytes',
    ]);
  });

  it('names the root when there is no prefix and no path', () => {
    const result = z.string().safeParse(undefined, { reportInput: true });
    expect(result.success ? [] : schemaIssueMessages(result.error)).toEqual(['<root>: Required value']);
  });
});
