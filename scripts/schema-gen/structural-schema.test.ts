import { z } from 'zod';
import { int64, withCelRules } from '../../lib/kube/crd-schema.js';
import { structuralSchema } from './structural-schema.js';

const name = z.string().max(63).describe('A name.');

describe('structuralSchema', () => {
  it('writes the OpenAPI keywords of each field in a fixed order, with its CEL rules', () => {
    const schema = withCelRules(
      z
        .object({
          port: z.int().min(1).max(65535).describe('A port.'),
          name: name.regex(/^[a-z]+$/).min(1),
        })
        .describe('The spec.'),
      [{ rule: 'self.port != 22', message: 'not ssh', holds: ({ port }) => port !== 22 }],
    );
    const node = structuralSchema(schema, 'spec');
    expect(node).toEqual({
      type: 'object',
      description: 'The spec.',
      required: ['port', 'name'],
      'x-kubernetes-validations': [{ rule: 'self.port != 22', message: 'not ssh' }],
      properties: {
        port: { type: 'integer', description: 'A port.', minimum: 1, maximum: 65535 },
        name: { type: 'string', description: 'A name.', minLength: 1, maxLength: 63, pattern: '^[a-z]+$' },
      },
    });
    expect(Object.keys(node)).toEqual([
      'type',
      'description',
      'required',
      'x-kubernetes-validations',
      'properties',
    ]);
    expect(Object.keys(node.properties?.name ?? {})).toEqual([
      'type',
      'description',
      'minLength',
      'maxLength',
      'pattern',
    ]);
  });

  it('writes a "/" in a pattern as RE2 reads it, without the escape a JavaScript RegExp adds', () => {
    const schema = z.object({ path: name.regex(/^[a-z]+\/[a-z]+$/) });
    expect(structuralSchema(schema, 'spec').properties?.path?.pattern).toBe('^[a-z]+/[a-z]+$');
  });

  it('leaves defaulted and optional fields out of required and writes the default', () => {
    const schema = z.object({
      type: z.enum(['none', 'basic']).default('none').describe('The type.'),
      extra: name.optional(),
    });
    expect(structuralSchema(schema, 'spec')).toEqual({
      type: 'object',
      properties: {
        type: { type: 'string', description: 'The type.', default: 'none', enum: ['none', 'basic'] },
        extra: { type: 'string', description: 'A name.', maxLength: 63 },
      },
    });
  });

  it('says int64 and int32 through format instead of the bounds zod writes', () => {
    const schema = z.object({
      generation: int64().min(0).describe('A generation.'),
      pods: z.int32().min(0).describe('A count.'),
      anything: z.int().describe('Any safe integer.'),
    });
    expect(structuralSchema(schema, 'status').properties).toEqual({
      generation: { type: 'integer', description: 'A generation.', format: 'int64', minimum: 0 },
      pods: { type: 'integer', description: 'A count.', format: 'int32', minimum: 0 },
      anything: { type: 'integer', description: 'Any safe integer.', format: 'int64' },
    });
  });

  it('writes a bounded string map', () => {
    const labels = z.object({
      labels: z.record(z.string(), z.string().max(63)).meta({ description: 'Labels.', maxProperties: 8 }),
    });
    expect(structuralSchema(labels, 'spec').properties?.labels).toEqual({
      type: 'object',
      description: 'Labels.',
      maxProperties: 8,
      additionalProperties: { type: 'string', maxLength: 63 },
    });
  });

  it.each<[string, z.ZodType, RegExp]>([
    [
      'a field without a description',
      z.object({ name: z.string().max(3) }),
      /^spec\.name: every field needs a description$/,
    ],
    [
      'a string without a maxLength',
      z.object({ name: z.string().describe('x') }),
      /^spec\.name: a string needs a maxLength/,
    ],
    [
      'a list without a maxItems',
      z.object({ names: z.array(name).describe('x') }),
      /^spec\.names: a list needs a maxItems$/,
    ],
    [
      'a map without a maxProperties',
      z.object({ labels: z.record(z.string(), name).describe('x') }),
      /^spec\.labels: a map needs a maxProperties$/,
    ],
    [
      'a union (no single shape per field)',
      z.object({ value: z.union([name, z.int()]).describe('x') }),
      /^spec\.value: a CRD schema cannot use "anyOf"/,
    ],
    [
      'a literal',
      z.object({ value: z.literal('x').describe('x') }),
      /^spec\.value: a CRD schema cannot use "const"/,
    ],
    [
      'a free-form object',
      z.object({ value: z.looseObject({}).describe('x') }),
      /^spec\.value: an object has either properties or additionalProperties/,
    ],
    [
      'a list of items without a type',
      z.object({ value: z.array(z.unknown()).max(2).describe('x') }),
      /^spec\.value\[\*\]: every field needs one type/,
    ],
  ])('refuses %s, naming the field', (_, schema, message) => {
    expect(() => structuralSchema(schema, 'spec')).toThrow(message);
  });
});
