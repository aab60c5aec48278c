import { X509Certificate } from 'node:crypto';
import { rotationStatus, type ContractRotationStatus } from '../lib/contract/announced-rotation.js';
import type { RootActivation, ZoneRootRotationView, ZoneRootView } from '../lib/contract/root-rotation.js';
import { contractRootChains } from '../lib/contract/participant-roots.js';
import { participantOfTrustDomain, type TrustContract } from '../lib/contract/trust-contract.js';
import { formatTable } from './format-table.js';

/** Hex digits of a fingerprint shown in a table column; the full value is in the header and `-o json`. */
const shortFingerprintLength = 16;

/** A prepared root as `root prepare` and `root status` print it. */
export interface PreparedRootView {
  readonly rootSha256: string;
  /** The rotation that makes it the zone's root (1 for the zone's first rotation). */
  readonly sequence: number;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly preparedAt: string | null;
  /** From when the PKI lets it sign (every in-zone client has learnt it by then). */
  readonly activatableAt: string | null;
}

/** One contract of the zone in `root status`. */
export interface ContractRotationView {
  readonly contractId: string;
  readonly currentRootSha256: string;
  /** Whether the zone's current root there is revoked (an emergency): only a successor contract helps. */
  readonly isCurrentRootRevoked: boolean;
  /** The prepared root, or null when none is prepared. */
  readonly nextRootSha256: string | null;
  readonly isAnnounced: boolean;
  readonly acknowledgedBy: readonly string[];
  /** Partners that have not acknowledged the prepared root (empty when none is prepared). */
  readonly pendingPartners: readonly string[];
}

/** `root status`: the zone's roots by role and, per active contract, where the prepared root stands. */
export interface RootRotationStatusView {
  readonly trustDomain: string;
  readonly signingRootSha256: string;
  readonly next: PreparedRootView | null;
  readonly retiring: readonly { readonly rootSha256: string; readonly retireAfter: string | null }[];
  readonly contracts: readonly ContractRotationView[];
}

/** `root prepare`'s result: the prepared root, and whether this call prepared it or found it prepared. */
export interface PreparedRootResult {
  readonly trustDomain: string;
  readonly isNew: boolean;
  readonly root: PreparedRootView;
}

/** `root announce`'s result per contract. */
export interface AnnounceResult {
  readonly trustDomain: string;
  readonly rootSha256: string;
  readonly contracts: readonly {
    readonly contractId: string;
    readonly result: 'announced' | 'already-announced';
  }[];
}

/** The prepared root of a PKI view, its validity read from the certificate itself. */
export function preparedRootView(root: ZoneRootView): PreparedRootView {
  const certificate = new X509Certificate(root.certificatePem);
  return {
    rootSha256: root.sha256,
    sequence: root.sequence,
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    preparedAt: root.preparedAt?.toISOString() ?? null,
    activatableAt: root.activatableAt?.toISOString() ?? null,
  };
}

/** Where the zone's rotation stands: the PKI's view of its roots and the contracts as the repository serves them. */
export function rootRotationStatusView(
  view: ZoneRootRotationView,
  contracts: readonly TrustContract[],
): RootRotationStatusView {
  const next = view.next;
  const statuses: ContractRotationStatus[] = rotationStatus(contracts, view.trustDomain, next?.sha256 ?? '');
  return {
    trustDomain: view.trustDomain,
    signingRootSha256: view.signing.sha256,
    next: next === undefined ? null : preparedRootView(next),
    retiring: view.retiring.map((root) => ({
      rootSha256: root.sha256,
      retireAfter: root.retireAfter?.toISOString() ?? null,
    })),
    contracts: statuses.map((status) => ({
      contractId: status.contractId,
      currentRootSha256: status.currentRootSha256,
      isCurrentRootRevoked: isRevokedIn(
        contracts.find((contract) => contract.id === status.contractId),
        view.trustDomain,
        status.currentRootSha256,
      ),
      nextRootSha256: next?.sha256 ?? null,
      isAnnounced: status.isAnnounced,
      acknowledgedBy: status.acknowledgedBy,
      pendingPartners: next === undefined ? [] : status.pendingPartners,
    })),
  };
}

/** Whether `rootSha256` of `trustDomain` is revoked in `contract`'s verified chain of that zone's roots. */
function isRevokedIn(contract: TrustContract | undefined, trustDomain: string, rootSha256: string): boolean {
  const own = contract === undefined ? undefined : participantOfTrustDomain(contract, trustDomain);
  if (contract === undefined || own === undefined) return false;
  const links = contractRootChains(contract).chains.get(own.name)?.links ?? [];
  return links.some((link) => link.root.rootSha256 === rootSha256 && link.isRevoked);
}

/** `root status` for people: the roots, a table of contracts, and what the operator can do next. */
export function formatRootRotationStatus(status: RootRotationStatusView): string {
  const lines = [`Zone ${status.trustDomain}`, `  signing root   ${status.signingRootSha256}`];
  if (status.next !== null)
    lines.push(`  prepared root  ${status.next.rootSha256} (${preparedDetails(status.next)})`);
  for (const root of status.retiring) {
    lines.push(
      `  retiring root  ${root.rootSha256}${root.retireAfter === null ? '' : ` (trusted until ${root.retireAfter})`}`,
    );
  }
  const table =
    status.contracts.length === 0
      ? `${status.trustDomain} is in no active contract.\n`
      : formatTable(
          ['contract', 'current root', 'next root', 'announced', 'acknowledged', 'pending'],
          status.contracts.map((contract) => [
            contract.contractId,
            `${shortFingerprint(contract.currentRootSha256)}${contract.isCurrentRootRevoked ? ' (revoked)' : ''}`,
            contract.nextRootSha256 === null ? '-' : shortFingerprint(contract.nextRootSha256),
            contract.nextRootSha256 === null ? '-' : contract.isAnnounced ? 'yes' : 'no',
            listOrDash(contract.acknowledgedBy),
            listOrDash(contract.pendingPartners),
          ]),
        );
  return `${lines.join('\n')}\n\n${table}\n${statusVerdict(status)}\n`;
}

function statusVerdict(status: RootRotationStatusView): string {
  const revoked = status.contracts.filter((contract) => contract.isCurrentRootRevoked);
  if (revoked.length > 0)
    return `Your zone's root is revoked in ${revoked.map((contract) => contract.contractId).join(', ')}: trust there comes back only through a successor contract (docs/root-rotation.md, "Recovering a zone after an emergency").`;
  if (status.next === null) return 'No root rotation is prepared (accordctl root prepare).';
  const unannounced = status.contracts.filter((contract) => !contract.isAnnounced);
  if (unannounced.length > 0)
    return `Not announced in ${unannounced.map((contract) => contract.contractId).join(', ')} (accordctl root announce).`;
  const pending = status.contracts.filter((contract) => contract.pendingPartners.length > 0);
  if (pending.length > 0)
    return `Waiting for partners to install the prepared root: ${pendingList(pending)} (accordctl root activate --wait).`;
  return 'Every partner installed the prepared root: ready to activate (accordctl root activate).';
}

/** `root prepare` for people. */
export function formatPreparedRoot(result: PreparedRootResult): string {
  const { root } = result;
  return (
    `${result.isNew ? 'Prepared the next root of' : 'Already prepared: the next root of'} ${result.trustDomain} (rotation ${root.sequence}):\n` +
    `  SHA-256        ${root.rootSha256}\n` +
    `  valid          ${root.notBefore} to ${root.notAfter}\n` +
    `  may sign from  ${root.activatableAt ?? 'unknown'} (in-zone clients learn it by then)\n` +
    'Next: accordctl root announce\n'
  );
}

/** `root announce` for people: one row per active contract of the zone. */
export function formatAnnounceResult(result: AnnounceResult): string {
  if (result.contracts.length === 0)
    return `${result.trustDomain} is in no active contract: there is nothing to announce.\n`;
  return (
    `Root ${result.rootSha256} of ${result.trustDomain}:\n` +
    formatTable(
      ['contract', 'result'],
      result.contracts.map((contract) => [contract.contractId, contract.result.replace('-', ' ')]),
    ) +
    "Next: partners' providers install it and acknowledge (accordctl root status), then accordctl root activate --wait\n"
  );
}

/** `root activate`'s result: the activation and the partners it went ahead without (`--force`). */
export interface ActivationResult {
  readonly trustDomain: string;
  readonly rootSha256: string;
  readonly sequence: number;
  readonly previousRootSha256: string;
  readonly activatedAt: string;
  readonly previousRootRetireAfter: string;
  readonly forcedPast: readonly {
    readonly contractId: string;
    readonly pendingPartners: readonly string[];
  }[];
}

/** The activation as `root activate` reports it. */
export function activationResult(
  activation: RootActivation,
  forcedPast: readonly ContractRotationStatus[],
): ActivationResult {
  return {
    trustDomain: activation.trustDomain,
    rootSha256: activation.rootSha256,
    sequence: activation.sequence,
    previousRootSha256: activation.previousRootSha256,
    activatedAt: activation.activatedAt.toISOString(),
    previousRootRetireAfter: activation.previousRootRetireAfter.toISOString(),
    forcedPast: forcedPast.map((status) => ({
      contractId: status.contractId,
      pendingPartners: status.pendingPartners,
    })),
  };
}

/** `root activate` for people. */
export function formatActivationResult(result: ActivationResult): string {
  const forced =
    result.forcedPast.length === 0
      ? ''
      : `Forced without the acknowledgement of: ${pendingList(result.forcedPast)}; calls there fail until they install it.\n`;
  return (
    `Root ${result.rootSha256} of ${result.trustDomain} signs now (rotation ${result.sequence}).\n` +
    forced +
    `The replaced root ${result.previousRootSha256} stays trusted until ${result.previousRootRetireAfter} (its last certificate has expired by then).\n` +
    'Renew your admin certificate before then (accordctl login --renew) so that it chains to the new root.\n'
  );
}

/** `root cancel` for people. */
export function formatCancelResult(
  trustDomain: string,
  rootSha256: string,
  contractIds: readonly string[],
): string {
  return (
    `Cancelled the prepared root ${rootSha256} of ${trustDomain}; it never signed.\n` +
    (contractIds.length === 0
      ? 'It was announced in no contract.\n'
      : `Its revocation is posted to ${contractIds.join(', ')}: partners drop it at their next sync.\n`)
  );
}

/** `root emergency` for people: what happened, and what the zone and its partners must do next. */
export function formatEmergencyResult(
  trustDomain: string,
  rootSha256: string,
  contractIds: readonly string[],
): string {
  return (
    `EMERGENCY rotation of ${trustDomain}: every root it held is revoked; root ${rootSha256} signs now.\n` +
    (contractIds.length === 0
      ? 'No active contract held a revoked root.\n'
      : `Revocations posted to ${contractIds.join(', ')}: partners drop the revoked roots at their next sync, and cross-zone calls with ${trustDomain} stop.\n`) +
    'Next, in your zone (docs/root-rotation.md, "Recovering a zone after an emergency"):\n' +
    '  1. Replace bootstrap tokens that may have leaked with the root, and make every pkiCaFile the new root.\n' +
    `  2. Let every client re-bootstrap (yourself: accordctl login --token-file FILE): certificates of the revoked roots reach nothing any more.\n` +
    `  3. Have a successor contract proposed per partner, pinning root ${rootSha256} (accordctl contracts propose, a repository admin), and approve it.\n` +
    'Next, for each partner: approve the successor contract (accordctl contracts approve ID); until every participant has, no call between the zones succeeds.\n'
  );
}

function preparedDetails(root: PreparedRootView): string {
  return `rotation ${root.sequence}, valid ${root.notBefore} to ${root.notAfter}, may sign from ${root.activatableAt ?? 'unknown'}`;
}

function pendingList(
  contracts: readonly { readonly contractId: string; readonly pendingPartners: readonly string[] }[],
): string {
  return contracts
    .map((contract) => `${contract.contractId} (${contract.pendingPartners.join(', ')})`)
    .join(', ');
}

function shortFingerprint(sha256: string): string {
  return sha256.slice(0, shortFingerprintLength);
}

function listOrDash(values: readonly string[]): string {
  return values.length === 0 ? '-' : values.join(',');
}
