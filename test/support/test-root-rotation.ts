import { contractTermsSha256 } from '../../lib/contract/canonical-consent.js';
import type {
  RootActivation,
  RootAnnouncement,
  RootAnnouncementTerms,
  RootRevocation,
} from '../../lib/contract/root-rotation.js';
import {
  signRootActivation,
  signRootAnnouncementAsApprover,
  signRootAnnouncementTerms,
  signRootRevocation,
} from '../../lib/contract/root-statement-signature.js';
import type { ContractTerms } from '../../lib/contract/trust-contract.js';
import type { TestRoot, TestSvid } from './test-zone.js';

/** What an announcement builder may change to forge or misdirect one; every field defaults to the genuine value. */
export interface AnnouncementOptions {
  readonly sequence?: number;
  readonly announcedAt?: Date;
  /** The root whose key signs as "the replaced root" (default: `previous`). */
  readonly continuitySigner?: TestRoot;
  /** The approver SVID (default: the zone's admin). */
  readonly approver?: TestSvid;
  /** Terms to sign instead of the contract's (another contract, another zone). */
  readonly terms?: Partial<RootAnnouncementTerms>;
}

/**
 * A root announcement as a zone PKI and its admin would make it: `previous`'s key and the approver
 * sign the canonical bytes announcing `next` in `contract`.
 */
export async function announceRoot(
  contract: ContractTerms,
  previous: TestRoot,
  next: TestRoot,
  approver: TestSvid,
  options: AnnouncementOptions = {},
): Promise<RootAnnouncement> {
  const terms: RootAnnouncementTerms = {
    contractId: contract.id,
    contractTermsSha256: contractTermsSha256(contract),
    trustDomain: previous.trustDomain,
    sequence: options.sequence ?? 1,
    previousRootSha256: previous.rootSha256,
    rootSha256: next.rootSha256,
    announcedAt: options.announcedAt ?? new Date(Math.floor(Date.now())),
    ...options.terms,
  };
  const approval = await signRootAnnouncementAsApprover(terms, (options.approver ?? approver).signer);
  return {
    ...terms,
    rootPem: next.rootPem,
    root: next.root,
    previousRootSignature: signRootAnnouncementTerms(terms, (options.continuitySigner ?? previous).rootKey),
    approverSignature: approval.signature,
    approverCertificateChainDer: approval.certificateChainDer,
  };
}

/** `next`'s activation after `previous`, signed by `next`'s key; the old root retires after `retainMs`. */
export function activateRoot(
  previous: TestRoot,
  next: TestRoot,
  sequence: number,
  activatedAt: Date,
  retainMs: number,
): RootActivation {
  return signRootActivation(
    {
      trustDomain: next.trustDomain,
      sequence,
      previousRootSha256: previous.rootSha256,
      rootSha256: next.rootSha256,
      activatedAt,
      previousRootRetireAfter: new Date(activatedAt.getTime() + retainMs),
    },
    next.rootKey,
  );
}

/** `root`'s revocation, signed by `signer`'s key (default: its own, the genuine case). */
export function revokeRoot(root: TestRoot, reason: string, signer: TestRoot = root): RootRevocation {
  return signRootRevocation(
    {
      trustDomain: root.trustDomain,
      rootSha256: root.rootSha256,
      revokedAt: new Date(Math.floor(Date.now())),
      reason,
    },
    signer.rootKey,
  );
}
