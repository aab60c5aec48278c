import { z } from 'zod';
import { asListMap, asListSet } from '../../lib/kube/crd-schema.js';
import { type ChartValuesDefinition, withValuesRule } from './chart-values-schema.js';
import { valuesJsonSchema } from './values-json-schema.js';

/** A shared shape, extracted into the schema's definitions by its id. */
const secretRef = z
  .strictObject({
    name: z.string().max(253).describe('Secret name.'),
    key: z.string().describe('Key in the Secret.'),
  })
  .meta({ id: 'testSecretRef', description: 'A Secret key.' });

function chart(schema: z.ZodObject<z.core.$ZodLooseShape, z.core.$strict>): ChartValuesDefinition {
  return { title: 'Values of the test chart', description: 'The test values.', schema };
}

describe('valuesJsonSchema', () => {
  it('writes draft-07 with every value required, described, defaulted and closed to unknown keys', () => {
    const schema = valuesJsonSchema(
      chart(
        z.strictObject({
          replicas: z.int().min(1).max(9).default(1).describe('Replicas.'),
          server: z
            .strictObject({
              port: z.int().min(1).max(65535).default(8443).describe('A port.'),
              path: z
                .string()
                .regex(/^\/[a-z]+$/)
                .default('/x')
                .describe('A path.'),
            })
            .prefault({})
            .describe('The server.'),
        }),
      ),
    );
    expect(schema).toEqual({
      $schema: 'http://json-schema.org/draft-07/schema#',
      title: 'Values of the test chart',
      type: 'object',
      description: 'The test values.',
      required: ['replicas', 'server'],
      additionalProperties: false,
      properties: {
        replicas: { type: 'integer', description: 'Replicas.', default: 1, minimum: 1, maximum: 9 },
        server: {
          type: 'object',
          description: 'The server.',
          required: ['port', 'path'],
          additionalProperties: false,
          properties: {
            port: { type: 'integer', description: 'A port.', default: 8443, minimum: 1, maximum: 65535 },
            // As RE2 reads it: no escaped slash.
            path: { type: 'string', description: 'A path.', default: '/x', pattern: '^/[a-z]+$' },
          },
        },
      },
      definitions: {},
    });
    expect(Object.keys(schema.properties?.server ?? {})).toEqual([
      'type',
      'description',
      'required',
      'additionalProperties',
      'properties',
    ]);
  });

  it('refers to a shared shape, described and defaulted where it is used', () => {
    const schema = valuesJsonSchema(
      chart(
        z.strictObject({
          ca: secretRef.default({ name: 'ca', key: 'ca.pem' }).describe('The CA.'),
          tokens: z.array(secretRef.describe('A token.')).default([]).describe('Tokens.'),
        }),
      ),
    );
    expect(schema.properties?.ca).toEqual({
      description: 'The CA.',
      default: { name: 'ca', key: 'ca.pem' },
      allOf: [{ $ref: '#/definitions/testSecretRef' }],
    });
    expect(schema.definitions).toEqual({
      testSecretRef: {
        type: 'object',
        description: 'A Secret key.',
        required: ['name', 'key'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', description: 'Secret name.', maxLength: 253 },
          key: { type: 'string', description: 'Key in the Secret.' },
        },
      },
    });
  });

  it('says a list set as uniqueItems, and keeps examples and a rule across values', () => {
    const values = withValuesRule(
      z.strictObject({
        mode: z.enum(['a', 'b']).default('a').describe('The mode.'),
        names: asListSet(z.array(z.string().describe('A name.')))
          .default([])
          .meta({ description: 'Names.', examples: [['x', 'y']] }),
      }),
      {
        if: { properties: { mode: { const: 'b' } } },
        then: { properties: { names: { minItems: 1 } } },
        path: ['names'],
        message: 'mode b needs a name',
        holds: ({ mode, names }) => mode !== 'b' || names.length > 0,
      },
    );
    const schema = valuesJsonSchema(chart(values));
    expect(schema.properties?.names).toEqual({
      type: 'array',
      description: 'Names.',
      default: [],
      examples: [['x', 'y']],
      uniqueItems: true,
      items: { type: 'string', description: 'A name.' },
    });
    expect(schema).toMatchObject({
      if: { properties: { mode: { const: 'b' } } },
      then: { properties: { names: { minItems: 1 } } },
    });
    expect(values.safeParse({ mode: 'b' }).error?.issues[0]).toMatchObject({
      path: ['names'],
      message: 'mode b needs a name',
    });
  });

  it('leaves out the bounds zod implies for an integer', () => {
    const schema = valuesJsonSchema(
      chart(z.strictObject({ count: z.int().default(3).describe('A count.') })),
    );
    expect(schema.properties?.count).toEqual({ type: 'integer', description: 'A count.', default: 3 });
  });

  it.each<[string, z.ZodObject<z.core.$ZodLooseShape, z.core.$strict>, string]>([
    [
      'a value without a description',
      z.strictObject({ port: z.int().default(1) }),
      'port: every field needs a description',
    ],
    [
      'a nested value without a description',
      z.strictObject({
        pki: z
          .strictObject({ ttl: z.string().default('1h') })
          .prefault({})
          .describe('The PKI.'),
      }),
      'pki.ttl: every field needs a description',
    ],
    [
      'a part of a list item without a description',
      z.strictObject({
        zones: z
          .array(z.strictObject({ name: z.string() }))
          .default([])
          .describe('Zones.'),
      }),
      'zones[*].name: every field needs a description',
    ],
    [
      'an object open to unknown keys',
      z.strictObject({
        pki: z
          .looseObject({ port: z.int().default(1).describe('A port.') })
          .prefault({})
          .describe('The PKI.'),
      }),
      'pki: an object of values refuses unknown keys (not a z.looseObject)',
    ],
    [
      'an optional value, which values.yaml would not show',
      z.strictObject({ tag: z.string().optional().describe('A tag.') }),
      'tag: every value is in values.yaml: give it a default instead of making it optional',
    ],
    [
      'a free-form map',
      z.strictObject({ labels: z.record(z.string(), z.string()).default({}).describe('Labels.') }),
      'labels: values.schema.json cannot use "propertyNames" here',
    ],
    [
      'a literal',
      z.strictObject({ kind: z.literal('Zone').default('Zone').describe('The kind.') }),
      'kind: values.schema.json cannot use "const" here',
    ],
    [
      'a list map, which JSON Schema cannot say',
      z.strictObject({
        zones: asListMap(z.array(z.strictObject({ name: z.string().describe('A name.') })), ['name'])
          .default([])
          .describe('Zones.'),
      }),
      'zones: a list of values may be a set (uniqueItems), not x-kubernetes-list-type "map"',
    ],
  ])('refuses %s, naming the value', (_case, values, message) => {
    expect(() => valuesJsonSchema(chart(values))).toThrow(message);
  });
});
