import { sign, webcrypto, type KeyObject, type X509Certificate } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError, errorMessage } from '../errors/accord-error.js';
import { spiffeIdOf } from '../spiffe/spiffe-id.js';
import type { VerifiedSvid } from '../spiffe/x509-svid.js';
import type { ConsentSigner } from './zone-approvers.js';
import {
  canonicalRootActivationBytes,
  canonicalRootAnnouncementBytes,
  canonicalRootRevocationBytes,
} from './canonical-root-statements.js';
import type {
  RootActivation,
  RootAnnouncement,
  RootAnnouncementTerms,
  RootRevocation,
} from './root-rotation.js';
import { contractTermsSha256 } from './canonical-consent.js';
import type { ContractParticipant, ContractTerms } from './trust-contract.js';
import { verifyApproverCertificate } from './zone-approvers.js';
import { isSignedByCertificateKey } from '../x509/signature-verdicts.js';

/** Signs `bytes` with a root's private key (ECDSA P-256 / SHA-256, IEEE P1363): what the zone PKI does. */
export function signWithRootKey(rootKey: KeyObject, bytes: Uint8Array): Uint8Array {
  return new Uint8Array(sign('sha256', bytes, { key: rootKey, dsaEncoding: 'ieee-p1363' }));
}

/** Whether `signature` is `root`'s ECDSA P-256 / SHA-256 (IEEE P1363) signature over `bytes`. */
export function isSignedByRoot(root: X509Certificate, bytes: Uint8Array, signature: Uint8Array): boolean {
  return isSignedByCertificateKey(root, bytes, signature);
}

/** The replaced root's signature of an announcement: the zone PKI signs it with that root's key. */
export function signRootAnnouncementTerms(
  terms: RootAnnouncementTerms,
  previousRootKey: KeyObject,
): Uint8Array {
  return signWithRootKey(previousRootKey, canonicalRootAnnouncementBytes(terms));
}

/**
 * The approver's signature of an announcement the PKI already signed: the zone's consent, made
 * with a designated approver's key (accordctl). Returns the signature and the chain to carry.
 */
export async function signRootAnnouncementAsApprover(
  terms: RootAnnouncementTerms,
  signer: Pick<ConsentSigner, 'privateKey' | 'certificateChainDer'>,
): Promise<{ signature: Uint8Array; certificateChainDer: Uint8Array[] }> {
  const signature = await webcrypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    signer.privateKey,
    canonicalRootAnnouncementBytes(terms),
  );
  return {
    signature: new Uint8Array(signature),
    certificateChainDer: signer.certificateChainDer.map((der) => new Uint8Array(der)),
  };
}

/** Builds and signs an activation with the new root's key. */
export function signRootActivation(
  activation: Omit<RootActivation, 'signature'>,
  newRootKey: KeyObject,
): RootActivation {
  return { ...activation, signature: signWithRootKey(newRootKey, canonicalRootActivationBytes(activation)) };
}

/** Builds and signs a revocation with the revoked root's own key. */
export function signRootRevocation(
  revocation: Omit<RootRevocation, 'signature'>,
  rootKey: KeyObject,
): RootRevocation {
  return { ...revocation, signature: signWithRootKey(rootKey, canonicalRootRevocationBytes(revocation)) };
}

/**
 * Checks an activation against the root it activates (already verified as announced): signed by
 * that root's key, and the old root retires no earlier than the activation. Throws
 * `PermissionDeniedError` saying why.
 */
export function verifyRootActivation(activation: RootActivation, root: X509Certificate): void {
  if (activation.previousRootRetireAfter.getTime() < activation.activatedAt.getTime()) {
    throw new PermissionDeniedError(
      `root activation rejected: the previous root would retire (${activation.previousRootRetireAfter.toISOString()}) before the activation (${activation.activatedAt.toISOString()})`,
    );
  }
  if (!isSignedByRoot(root, canonicalRootActivationBytes(activation), activation.signature)) {
    throw new PermissionDeniedError(
      `root activation rejected: not signed by the key of root ${activation.rootSha256} it activates`,
    );
  }
}

/** Checks a root revocation against the root it revokes: signed by that root's own key. */
export function verifyRootRevocation(revocation: RootRevocation, root: X509Certificate): void {
  if (!isSignedByRoot(root, canonicalRootRevocationBytes(revocation), revocation.signature)) {
    throw new PermissionDeniedError(
      `root revocation rejected: not signed by the key of root ${revocation.rootSha256} it revokes`,
    );
  }
}

/**
 * Verifies one announcement of `participant`'s next root, given the root it replaces (`previous`,
 * already in the participant's chain) and the participant's roots trusted at the announcement's
 * time (`rootsAtAnnouncement`: who may certify the approver). It counts only if:
 * - it names the participant's trust domain, and the new root is a self-signed CA of that trust
 *   domain (URI SAN `spiffe://<td>`), other than the root it replaces, and valid at `announcedAt`;
 * - the replaced root was valid at `announcedAt` and its key signed the canonical bytes;
 * - a designated approver of the participant, certified by one of `rootsAtAnnouncement` and valid
 *   at `announcedAt` (a time the replaced root's signature vouches for), signed them too.
 * Returns the approver's verified SVID; throws `PermissionDeniedError` saying why.
 */
export function verifyRootAnnouncement(
  contract: ContractTerms,
  participant: ContractParticipant,
  announcement: RootAnnouncement,
  previous: ContractParticipant,
  rootsAtAnnouncement: readonly ContractParticipant[],
): VerifiedSvid {
  const reject = (reason: string): never => {
    throw new PermissionDeniedError(
      `root announcement ${announcement.sequence} of ${participant.name} rejected: ${reason}`,
    );
  };
  if (
    announcement.contractId !== contract.id ||
    announcement.contractTermsSha256 !== contractTermsSha256(contract)
  ) {
    reject(
      `it was signed for another contract (${announcement.contractId}, terms ${announcement.contractTermsSha256})`,
    );
  }
  if (announcement.trustDomain !== participant.trustDomain) {
    reject(`it is about trust domain ${announcement.trustDomain}, not ${participant.trustDomain}`);
  }
  if (announcement.previousRootSha256 !== previous.rootSha256) {
    reject(`it replaces root ${announcement.previousRootSha256}, not ${previous.rootSha256}`);
  }
  if (announcement.rootSha256 === previous.rootSha256) reject('the new root is the root it replaces');
  const rootTrustDomainId = spiffeIdOf(participant.trustDomain, '').uri;
  if (announcement.root.subjectAltName !== `URI:${rootTrustDomainId}`) {
    reject(
      `the new root does not name trust domain ${participant.trustDomain} (URI SAN ${rootTrustDomainId})`,
    );
  }
  const at = announcement.announcedAt.getTime();
  for (const [label, root] of [
    ['the replaced root', previous.root],
    ['the new root', announcement.root],
  ] as const) {
    if (at < Date.parse(root.validFrom) || at > Date.parse(root.validTo)) {
      reject(`${label} is not valid at ${announcement.announcedAt.toISOString()}`);
    }
  }
  const bytes = canonicalRootAnnouncementBytes(announcement);
  if (!isSignedByRoot(previous.root, bytes, announcement.previousRootSignature)) {
    reject(`it is not signed by the key of the root it replaces (${previous.rootSha256})`);
  }
  let svid: VerifiedSvid | undefined;
  const refusals: string[] = [];
  for (const root of rootsAtAnnouncement) {
    try {
      svid = verifyApproverCertificate(
        root,
        announcement.approverCertificateChainDer,
        announcement.announcedAt,
        'root announcement',
      );
      break;
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      refusals.push(errorMessage(error));
    }
  }
  if (svid === undefined) {
    return reject(`its approver signature does not come from a designated approver: ${refusals.join('; ')}`);
  }
  if (!isSignedByCertificateKey(svid.certificate, bytes, announcement.approverSignature)) {
    reject(`the approver's signature (${svid.spiffeId.uri}) does not verify over the canonical bytes`);
  }
  return svid;
}
