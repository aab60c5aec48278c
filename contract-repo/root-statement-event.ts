import type { X509Certificate } from 'node:crypto';
import type { JsonValue } from '../lib/contract/canonical-json.js';
import type { RootActivation, RootAnnouncement, RootRevocation } from '../lib/contract/root-rotation.js';

/**
 * The four root-rotation changes of a contract (docs/root-rotation.md), as the repository decides
 * them and the audit log records them. Like approvals, they are verified before they exist; the
 * transition function only places them.
 */
export type RootStatementEvent =
  | { readonly action: 'announce-root'; readonly announcement: RootAnnouncement }
  | { readonly action: 'activate-root'; readonly activation: RootActivation }
  | {
      readonly action: 'acknowledge-root';
      /** The announcing zone and the root the acknowledging zone installed. */
      readonly trustDomain: string;
      readonly rootSha256: string;
      /** The acknowledging zone; who and when are the event's actor and time. */
      readonly acknowledgingTrustDomain: string;
    }
  | { readonly action: 'revoke-root'; readonly revocation: RootRevocation };

/** The actions of `RootStatementEvent`. */
export type RootStatementAction = RootStatementEvent['action'];

/**
 * How a record refers to certificates: base64 DER in the audit log, an index into a table in a
 * snapshot. `certificateOf` turns the stored form back into DER; `rootOf` into a parsed root.
 */
export interface StoredCertificates {
  readonly certificateOf: (stored: JsonValue, index: number) => Uint8Array;
  readonly rootOf: (stored: JsonValue) => X509Certificate;
}

/** A root statement as the details of its audit record; certificates as base64 DER. */
export function rootStatementToDetails(event: RootStatementEvent): Record<string, JsonValue> {
  switch (event.action) {
    case 'announce-root': {
      const announcement = event.announcement;
      return {
        contractTermsSha256: announcement.contractTermsSha256,
        trustDomain: announcement.trustDomain,
        sequence: announcement.sequence,
        previousRootSha256: announcement.previousRootSha256,
        root: Buffer.from(announcement.root.raw).toString('base64'),
        rootSha256: announcement.rootSha256,
        announcedAt: announcement.announcedAt.toISOString(),
        previousRootSignature: base64(announcement.previousRootSignature),
        approverSignature: base64(announcement.approverSignature),
        approverCertificateChain: announcement.approverCertificateChainDer.map(base64),
      };
    }
    case 'activate-root':
      return {
        trustDomain: event.activation.trustDomain,
        sequence: event.activation.sequence,
        previousRootSha256: event.activation.previousRootSha256,
        rootSha256: event.activation.rootSha256,
        activatedAt: event.activation.activatedAt.toISOString(),
        previousRootRetireAfter: event.activation.previousRootRetireAfter.toISOString(),
        signature: base64(event.activation.signature),
      };
    case 'acknowledge-root':
      return {
        trustDomain: event.trustDomain,
        rootSha256: event.rootSha256,
        acknowledgingTrustDomain: event.acknowledgingTrustDomain,
      };
    case 'revoke-root':
      return {
        trustDomain: event.revocation.trustDomain,
        rootSha256: event.revocation.rootSha256,
        revokedAt: event.revocation.revokedAt.toISOString(),
        reason: event.revocation.reason,
        signature: base64(event.revocation.signature),
      };
  }
}

/**
 * The inverse of `rootStatementToDetails` for a record of `contractId`; throws `TypeError` naming a
 * missing or mistyped field. Shape only: what was stored had been verified before it was appended.
 */
export function rootStatementFromDetails(
  action: RootStatementAction,
  contractId: string,
  details: Readonly<Record<string, JsonValue>>,
  certificates: StoredCertificates,
): RootStatementEvent {
  const text = (field: string) => stringField(details, field);
  switch (action) {
    case 'announce-root': {
      const root = certificates.rootOf(details.root ?? null);
      const chain = details.approverCertificateChain;
      if (!Array.isArray(chain)) throw new TypeError('details.approverCertificateChain is not an array');
      return {
        action,
        announcement: {
          contractId,
          contractTermsSha256: text('contractTermsSha256'),
          trustDomain: text('trustDomain'),
          sequence: integerField(details, 'sequence'),
          previousRootSha256: text('previousRootSha256'),
          rootPem: root.toString(),
          root,
          rootSha256: text('rootSha256'),
          announcedAt: new Date(text('announcedAt')),
          previousRootSignature: bytesOf(text('previousRootSignature')),
          approverSignature: bytesOf(text('approverSignature')),
          approverCertificateChainDer: (chain as readonly JsonValue[]).map(certificates.certificateOf),
        },
      };
    }
    case 'activate-root':
      return {
        action,
        activation: {
          trustDomain: text('trustDomain'),
          sequence: integerField(details, 'sequence'),
          previousRootSha256: text('previousRootSha256'),
          rootSha256: text('rootSha256'),
          activatedAt: new Date(text('activatedAt')),
          previousRootRetireAfter: new Date(text('previousRootRetireAfter')),
          signature: bytesOf(text('signature')),
        },
      };
    case 'acknowledge-root':
      return {
        action,
        trustDomain: text('trustDomain'),
        rootSha256: text('rootSha256'),
        acknowledgingTrustDomain: text('acknowledgingTrustDomain'),
      };
    case 'revoke-root':
      return {
        action,
        revocation: {
          trustDomain: text('trustDomain'),
          rootSha256: text('rootSha256'),
          revokedAt: new Date(text('revokedAt')),
          reason: text('reason'),
          signature: bytesOf(text('signature')),
        },
      };
  }
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

function bytesOf(base64Text: string): Uint8Array {
  return new Uint8Array(Buffer.from(base64Text, 'base64'));
}

function stringField(fields: Readonly<Record<string, JsonValue>>, field: string): string {
  const value = fields[field];
  if (typeof value !== 'string') throw new TypeError(`details.${field} is not a string`);
  return value;
}

function integerField(fields: Readonly<Record<string, JsonValue>>, field: string): number {
  const value = fields[field];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1)
    throw new TypeError(`details.${field} is not a positive integer`);
  return value;
}
