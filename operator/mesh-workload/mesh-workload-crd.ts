// The MeshWorkload API (accord.dev/v1alpha1): the single source of crds/accord.dev_meshworkloads.yaml
// (written by `npm run generate`) and of the schemas the webhook and the reconciler parse it with.
// Add a field here, with its description and limits, and regenerate (docs/crds.md).
import { z } from 'zod';
import { conditionList } from '../../lib/kube/conditions.js';
import { type CrdDefinition, int64, withCelRules, withMaxProperties } from '../../lib/kube/crd-schema.js';
import type { CustomResourceDefinition } from '../../lib/kube/custom-resource-api.js';

/** Where MeshWorkloads are served. */
export const meshWorkloadResource = {
  group: 'accord.dev',
  version: 'v1alpha1',
  plural: 'meshworkloads',
  kind: 'MeshWorkload',
  isNamespaced: true,
} as const satisfies CustomResourceDefinition;

const labelValue = z.string().max(63);

const selectorRequirementSchema = withCelRules(
  z.object({
    key: z.string().min(1).max(317).describe('The label key.'),
    operator: z
      .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
      .describe('How the key relates to the values.'),
    values: z.array(labelValue).max(32).exactOptional().describe('The values for In and NotIn.'),
  }),
  [
    {
      rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
      message: 'In and NotIn need values; Exists and DoesNotExist take none',
      holds: ({ operator, values = [] }) =>
        operator === 'In' || operator === 'NotIn' ? values.length > 0 : values.length === 0,
    },
  ],
);

const selectorSchema = withCelRules(
  z
    .object({
      matchLabels: withMaxProperties(z.record(z.string(), labelValue), 32)
        .exactOptional()
        .describe('Labels a pod must carry.'),
      matchExpressions: z
        .array(selectorRequirementSchema)
        .max(16)
        .exactOptional()
        .describe("Set-based requirements, as in a Deployment's selector."),
    })
    .describe('The pods of this namespace that join the mesh (a label selector; it must select something).'),
  [
    {
      rule: 'has(self.matchLabels) && size(self.matchLabels) > 0 || has(self.matchExpressions) && size(self.matchExpressions) > 0',
      message:
        'selector must have matchLabels or matchExpressions (an empty selector would select every pod)',
      holds: ({ matchLabels = {}, matchExpressions = [] }) =>
        Object.keys(matchLabels).length > 0 || matchExpressions.length > 0,
    },
  ],
);

const secretName = z.string().min(1).max(253);

/** An https URL (the API server's CEL has `isURL`; the parser, the WHATWG URL parser). */
function httpsUrl(field: string, description: string) {
  return withCelRules(z.string().max(2048).describe(description), [
    {
      rule: "self.startsWith('https://') && isURL(self)",
      message: `${field} must be an https URL`,
      holds: (url) => url.startsWith('https://') && URL.canParse(url),
    },
  ]);
}

/**
 * `inbound` or `outbound`: `type` chooses the scheme and exactly its settings block is present (a
 * CEL rule, since a structural schema has no unions); `parseMeshWorkload` reads the chosen block
 * into a discriminated union.
 */
function translation<Basic extends z.ZodObject, Oidc extends z.ZodObject>(
  descriptions: { readonly translation: string; readonly type: string },
  basic: Basic,
  oidc: Oidc,
) {
  return withCelRules(
    z
      .object({
        type: z.enum(['none', 'basic', 'oidc']).default('none').describe(descriptions.type),
        basic: basic.exactOptional(),
        oidc: oidc.exactOptional(),
      })
      .describe(descriptions.translation),
    [
      {
        rule: "self.type == 'basic' ? has(self.basic) && !has(self.oidc) : self.type == 'oidc' ? has(self.oidc) && !has(self.basic) : !has(self.basic) && !has(self.oidc)",
        message:
          'set exactly the settings of the chosen type (basic for basic, oidc for oidc, none for none)',
        holds: (settings) =>
          settings.type === 'basic'
            ? settings.basic !== undefined && settings.oidc === undefined
            : settings.type === 'oidc'
              ? settings.oidc !== undefined && settings.basic === undefined
              : settings.basic === undefined && settings.oidc === undefined,
      },
    ],
  );
}

const inboundSchema = translation(
  {
    translation:
      "How calls from other zones are presented to the application. Default none: the translator verifies the caller's WIT and signature and has no local credential to map it to, so calls are refused until a type is chosen (an identity-only mode, headers without credentials, is not implemented by the translator).",
    type: 'basic (HTTP Basic credentials from a Secret), oidc (a token the translator mints as the local issuer) or none.',
  },
  z
    .object({
      usersSecretName: secretName.describe(
        "Secret with key `credentials.yaml`: the translator's mapping file, `mappings: [{workload: <SPIFFE ID>, user: <optional remote user>, username, password}]`, the local Basic credentials to present for each remote caller.",
      ),
    })
    .describe('Basic credentials per remote caller, from a Secret of this namespace.'),
  z
    .object({
      issuer: httpsUrl('issuer', "The local issuer URL (https), the tokens' iss."),
      audience: z
        .string()
        .min(1)
        .max(256)
        .describe("The audience the application expects (the tokens' aud)."),
      signingKeySecretName: secretName.describe(
        'Secret with key `signing-key.pem`: the PKCS#8 PEM private key (EC P-256/P-384, Ed25519 or RSA) whose public key the application trusts for this issuer.',
      ),
      keyId: z.string().min(1).max(256).describe("The kid of the signing key in the issuer's JWKS."),
      ttlSeconds: z
        .int()
        .min(1)
        .max(3600)
        .exactOptional()
        .describe('Lifetime of a minted token. Default 300.'),
      mappingsSecretName: secretName.describe(
        "Secret with key `credentials.yaml`: the translator's mapping file, `mappings: [{workload: <SPIFFE ID>, user: <optional remote user>, subject}]`.",
      ),
    })
    .describe(
      "The translator mints a token of the local OIDC issuer for each verified call (sub = the mapped subject, act.sub = the calling workload), signed with the issuer's key; the application validates it as it validates the issuer's own tokens. No token exchange with the issuer takes place.",
    ),
);

const outboundSchema = translation(
  {
    translation:
      "How the application's own calls to other zones are authenticated before they leave through Envoy. Default none: the workload makes no calls to other zones (no outbound listener; the translator signs only for an authenticated local user).",
    type: 'basic (check HTTP Basic credentials against a Secret), oidc (validate bearer tokens of the local issuer) or none.',
  },
  z
    .object({
      usersSecretName: secretName.describe(
        "Secret with key `users.yaml`: the translator's user file, `users: {<name>: scrypt$N$r$p$salt$hash}` (scrypt hashes, never plain passwords).",
      ),
    })
    .describe('The local users allowed to call out, from a Secret of this namespace.'),
  z
    .object({
      issuer: httpsUrl('issuer', 'The issuer URL (https); tokens must carry it as iss.'),
      audience: z.string().min(1).max(256).describe('The audience tokens must carry.'),
      jwksUri: httpsUrl(
        'jwksUri',
        "The issuer's JWKS URL (https); absent, the translator reads it from the issuer's discovery document.",
      ).exactOptional(),
      userClaim: z
        .string()
        .min(1)
        .max(256)
        .exactOptional()
        .describe("The claim naming the user that goes into Accord's user header. Default sub."),
    })
    .describe('Bearer tokens of the local issuer, validated against its JWKS (asymmetric algorithms only).'),
);

/** `spec` of a MeshWorkload; `parseMeshWorkload` reads it into the domain type. */
export const meshWorkloadSpecSchema = z
  .object({
    selector: selectorSchema,
    port: z
      .int()
      .min(1)
      .max(65535)
      .describe("The port the application listens on; Envoy's inbound listener forwards to it."),
    inbound: inboundSchema.exactOptional(),
    outbound: outboundSchema.exactOptional(),
  })
  .describe('Which pods join the mesh, the port they serve on and how their credentials are translated.');

/** `status` of a MeshWorkload: what the operator last did for it. */
export const meshWorkloadStatusSchema = z
  .object({
    observedGeneration: int64().optional().describe('The metadata.generation this status describes.'),
    injectedPods: z.int32().min(0).optional().describe('Selected pods that carry the sidecars.'),
    conditions: conditionList('Ready, with a reason.').optional(),
  })
  .describe('What the operator last did for this workload.');

/** The MeshWorkload CustomResourceDefinition (crds/accord.dev_meshworkloads.yaml). */
export const meshWorkloadCrd: CrdDefinition = {
  resource: meshWorkloadResource,
  singular: 'meshworkload',
  shortNames: ['mw'],
  categories: ['accord'],
  description:
    "Pods that join the mesh: their calls to other zones leave through Envoy with the workload's identity, and calls from other zones arrive translated into the scheme the application already speaks.",
  spec: meshWorkloadSpecSchema,
  status: meshWorkloadStatusSchema,
  resourceRules: [],
  printerColumns: [
    {
      name: 'Port',
      type: 'integer',
      jsonPath: '.spec.port',
      description: "The application port Envoy's inbound listener forwards to.",
    },
    {
      name: 'Inbound',
      type: 'string',
      jsonPath: '.spec.inbound.type',
      description: 'The credential scheme the application accepts.',
    },
    {
      name: 'Outbound',
      type: 'string',
      jsonPath: '.spec.outbound.type',
      description: 'The credential scheme the application sends.',
    },
    {
      name: 'Pods',
      type: 'integer',
      jsonPath: '.status.injectedPods',
      description: 'Selected pods that carry the sidecars.',
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'Time since the MeshWorkload was created.',
    },
  ],
};
