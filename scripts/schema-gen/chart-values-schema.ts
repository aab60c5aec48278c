// The vocabulary of a Helm chart's values definition (charts/accord/values.ts): a zod schema that
// is the single source of the chart's values.schema.json and values.yaml (`npm run generate`), as the
// typed CRD definitions are of crds/ (docs/crds.md, docs/helm.md). Every value is declared once with
// its type, bounds, pattern, default and description; the generator writes the JSON Schema helm
// validates with and the commented values.yaml users read.
import type { z } from 'zod';

/** A fragment of JSON Schema (draft-07), for what zod cannot say: a condition across values. */
export type JsonSchemaFragment = Readonly<Record<string, unknown>>;

declare module 'zod' {
  // The JSON Schema keywords a values definition adds as metadata; typed here so that a misspelt
  // one is a compile error rather than a keyword helm ignores.
  interface GlobalMeta {
    /** Example values (JSON Schema `examples`); values.yaml shows the first, commented, after the value. */
    examples?: readonly unknown[];
    if?: JsonSchemaFragment;
    then?: JsonSchemaFragment;
  }
}

/**
 * A chart's values, declared once. `schema` is a strict object of strict objects (unknown values are
 * refused); every value has a description and a default, which values.yaml holds.
 */
export interface ChartValuesDefinition {
  /** The schema's title, e.g. `Values of the Accord chart`. */
  readonly title: string;
  /** What the values are and how they are written: the schema's description and values.yaml's header. */
  readonly description: string;
  readonly schema: z.ZodObject<z.core.$ZodLooseShape, z.core.$strict>;
}

/**
 * A rule across values that JSON Schema states as `if`/`then` (e.g. "in hub mode at least one zone
 * is enrolled"): helm checks `if`/`then`; the definition's own parser checks `holds`, refusing with
 * `message` at `path`, so the two readings of the definition agree, and the generator, which parses
 * the defaults with it, refuses defaults that break the rule. One rule per object (JSON Schema has
 * one `if` per node).
 */
export function withValuesRule<S extends z.ZodType>(
  schema: S,
  rule: {
    readonly if: JsonSchemaFragment;
    readonly then: JsonSchemaFragment;
    /** The value the rule constrains, e.g. `['repo', 'enrolledZones']`: the parser's error names it. */
    readonly path: readonly string[];
    readonly message: string;
    readonly holds: (value: z.output<S>) => boolean;
  },
): S {
  const meta = schema.meta() ?? {};
  if (meta.if !== undefined)
    throw new Error('a values object takes one rule (JSON Schema has one if per node)');
  return schema
    .meta({ ...meta, if: rule.if, then: rule.then })
    .refine((value) => rule.holds(value), { path: [...rule.path], message: rule.message });
}
