// The TrustContract API (accord.dev/v1alpha1): the single source of crds/accord.dev_trustcontracts.yaml
// (written by `npm run generate`) and of the schemas the reconciler parses spec and status with.
// Add a field here, with its description and limits, and regenerate (docs/crds.md).
import { z } from 'zod';
import { conditionList } from '../../lib/kube/conditions.js';
import {
  asListMap,
  asListSet,
  type CrdDefinition,
  int64,
  withCelRules,
  withTransitionRules,
} from '../../lib/kube/crd-schema.js';
import { trustContractResource } from '../../lib/kube/trust-contract-api.js';

const pemHeader = '-----BEGIN CERTIFICATE-----';

/** Participants of one contract: the spec's `maxItems`, which bounds every per-participant status list. */
const maxParticipants = 16;

/** A DNS label (RFC 1123), as a participant's zone name and the contract id must be. */
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function keyReference(kind: 'Secret' | 'ConfigMap') {
  return z
    .object({
      namespace: z.string().min(1).max(63).describe(`Namespace of the ${kind}.`),
      name: z.string().min(1).max(253).describe(`Name of the ${kind}.`),
      key: z.string().min(1).max(253).describe('The key whose value is the PEM.'),
    })
    .describe(`A key of a ${kind} holding the PEM.`);
}

const rootSchema = withCelRules(
  z
    .object({
      pem: withCelRules(z.string().max(16384).describe('The root certificate, PEM encoded.'), [
        {
          rule: `self.startsWith('${pemHeader}')`,
          message: `pem must start with ${pemHeader}`,
          holds: (pem) => pem.startsWith(pemHeader),
        },
      ]).optional(),
      secretKeyRef: keyReference('Secret').optional(),
      configMapKeyRef: keyReference('ConfigMap').optional(),
    })
    .describe("The zone's root CA certificate (PEM), inline or from a Secret or ConfigMap key. Exactly one."),
  [
    {
      rule: '[has(self.pem), has(self.secretKeyRef), has(self.configMapKeyRef)].filter(x, x).size() == 1',
      message: 'root needs exactly one of pem, secretKeyRef or configMapKeyRef',
      holds: (root) =>
        [root.pem, root.secretKeyRef, root.configMapKeyRef].filter((source) => source !== undefined)
          .length === 1,
    },
  ],
);

const participantSchema = z.object({
  name: z
    .string()
    .min(1)
    .max(63)
    .regex(dnsLabel)
    .describe("The participant's zone name, a DNS label (e.g. zone-a)."),
  trustDomain: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-z0-9._-]+$/)
    .describe(
      "The zone's SPIFFE trust domain (e.g. zone-a.example): lower-case letters, digits, dots, dashes and underscores.",
    ),
  root: rootSchema,
});

/**
 * `spec` of a TrustContract: the participants, each with the root its approvals must chain to. The
 * reconciler parses it with this schema before it resolves the roots.
 */
export const trustContractSpecSchema = withCelRules(
  withTransitionRules(
    z
      .object({
        participants: asListMap(
          z
            .array(participantSchema)
            .min(2)
            .max(maxParticipants)
            .describe('The zones of the contract, at least two, each named once.'),
          ['name'],
        ),
      })
      .describe('The participants. Immutable once applied, because approvals sign exactly these.'),
    [
      {
        rule: 'self.participants == oldSelf.participants',
        message:
          'participants are immutable (approvals sign them); delete the TrustContract and apply a new one',
      },
    ],
  ),
  [
    {
      // Quadratic in the participants; maxItems 16 and the trust domain's maxLength keep its
      // estimated cost far inside the API server's per-rule budget.
      rule: 'self.participants.all(p, self.participants.exists_one(q, q.trustDomain == p.trustDomain))',
      message: 'every participant must have its own trust domain',
      holds: ({ participants }) =>
        new Set(participants.map(({ trustDomain }) => trustDomain)).size === participants.length,
    },
  ],
);

/** A TrustContract's spec, as the API server stores it. */
export type TrustContractSpec = z.output<typeof trustContractSpecSchema>;

const sha256Hex = /^[0-9a-f]{64}$/;

function dateTime(description: string) {
  return z.string().max(64).meta({ format: 'date-time', description });
}

const participantRootSchema = z
  .object({
    sha256: z
      .string()
      .max(64)
      .regex(sha256Hex)
      .describe("Lower-case hex SHA-256 of the root's DER: its fingerprint."),
    sequence: z
      .int()
      .min(0)
      .describe("The zone's rotation sequence of this root; 0 for the root the contract pins."),
    notBefore: dateTime("Start of the root certificate's validity."),
    notAfter: dateTime("End of the root certificate's validity."),
    announcedAt: dateTime(
      'When the zone announced this root (signed by the root it replaces and by an approver of the zone).',
    ).optional(),
    acknowledgedBy: asListSet(z.array(z.string().max(63)).max(maxParticipants - 1))
      .optional()
      .describe(
        'Partners whose contract provider reported installing this announced root, as the repository recorded it (an authenticated report, not a signature); the zone activates it once every partner is listed.',
      ),
    activatedAt: dateTime(
      'When this root started to sign (its activation, signed by its own key).',
    ).optional(),
    retireAfter: dateTime(
      'When this replaced root leaves every bundle: the last certificate it signed has expired by then.',
    ).optional(),
    revokedAt: dateTime(
      'When the zone revoked this root (signed by its own key): it is trusted nowhere, and nothing it vouched for.',
    ).optional(),
  })
  .describe('One root of a participant, with what its verified root statements say about it.');

const participantRootsSchema = z
  .object({
    name: z.string().max(63).describe("The participant's zone name."),
    trustDomain: z.string().max(255).describe("The participant's SPIFFE trust domain."),
    phase: z
      .enum(['Stable', 'Announced', 'Overlap', 'Revoked'])
      .describe(
        'Stable: one root. Announced: a next root is announced, not signing yet. Overlap: the new root signs, the replaced one is trusted until retireAfter. Revoked: no root of the participant is trusted.',
      ),
    currentRoot: participantRootSchema
      .optional()
      .describe('The root the participant signs with now; absent when its roots are revoked.'),
    nextRoot: participantRootSchema
      .optional()
      .describe('The announced root that will replace currentRoot, with the partners that installed it.'),
    previousRoot: participantRootSchema
      .optional()
      .describe('The root currentRoot replaced, still trusted until its retireAfter.'),
    revokedRoot: participantRootSchema
      .optional()
      .describe(
        'The revoked root its chain ends at (an emergency or a cancelled rotation); roots after it are not followed.',
      ),
  })
  .describe(
    "A participant's roots in this contract, computed by this zone's operator from the pinned root and the root statements it verified itself (docs/root-rotation.md); statements that do not verify are not shown.",
  );

/** One participant's entry of `status.participants`: its roots as this zone verified them. */
export type ParticipantRootsStatus = z.output<typeof participantRootsSchema>;

/** One root of a participant as `status.participants[*]` shows it. */
export type ParticipantRootStatus = z.output<typeof participantRootSchema>;

/**
 * `status` of a TrustContract: what the operator last saw in the repository. Every field is
 * optional to the API server (the operator writes them all; `readTrustContractStatus` requires
 * what it relies on).
 */
export const trustContractStatusSchema = z
  .object({
    observedGeneration: int64().optional().describe('The metadata.generation this status describes.'),
    contractId: z.string().max(63).optional().describe("The contract's id in the repository."),
    state: z
      .enum(['Proposed', 'Active', 'Revoked'])
      .optional()
      .describe("The contract's state in the repository."),
    approvedBy: asListSet(z.array(z.string().max(63)).max(16))
      .optional()
      .describe('Names of the participants whose approval the operator verified.'),
    approvalSummary: z
      .string()
      .max(8)
      .optional()
      .describe('Verified approvals out of participants, e.g. 1/2 (for kubectl get).'),
    participants: asListMap(z.array(participantRootsSchema).max(maxParticipants), ['name'])
      .optional()
      .describe(
        "Every participant's current root and, during a rotation, its next or previous root (at most one participant entry each, as many as the spec's participants).",
      ),
    rotatingParticipants: z
      .int()
      .min(0)
      .max(maxParticipants)
      .optional()
      .describe('Participants with a next or previous root, i.e. in a root rotation (for kubectl get).'),
    conditions: conditionList(
      'Proposed, Approved (by this zone), Active and Revoked, each with a reason.',
    ).optional(),
  })
  .describe('What the operator last saw in the contract repository.');

/** The TrustContract CustomResourceDefinition (crds/accord.dev_trustcontracts.yaml). */
export const trustContractCrd: CrdDefinition = {
  resource: trustContractResource,
  singular: 'trustcontract',
  shortNames: ['tc'],
  categories: ['accord'],
  description:
    'A trust contract between two or more trust zones. It becomes active only when every participant has approved it with a key certified by its own root; any participant can revoke it. The resource name is the contract id in the repository, so it must be the same in every zone.',
  spec: trustContractSpecSchema,
  status: trustContractStatusSchema,
  resourceRules: [
    {
      // The reconciler takes the contract id from metadata.name and validateProposal refuses an id
      // that is not a DNS label, so the parser agrees without a check of its own here.
      rule: 'size(self.metadata.name) <= 63',
      message: 'metadata.name is the contract id and must be at most 63 characters',
    },
  ],
  printerColumns: [
    {
      name: 'State',
      type: 'string',
      jsonPath: '.status.state',
      description: "The contract's state in the repository (Proposed, Active or Revoked).",
    },
    {
      name: 'Approved',
      type: 'string',
      jsonPath: '.status.approvalSummary',
      description: 'Participants that approved, out of all participants (e.g. 1/2).',
    },
    {
      name: 'Rotating',
      type: 'integer',
      jsonPath: '.status.rotatingParticipants',
      description:
        'Participants in a root rotation (a next root announced, or a replaced root not yet retired).',
    },
    {
      name: 'Contract',
      type: 'string',
      jsonPath: '.status.contractId',
      description: "The contract's id in the repository.",
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'Time since the TrustContract was created.',
    },
  ],
};
