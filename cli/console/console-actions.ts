import { X509Certificate } from 'node:crypto';
import { participantOfTrustDomain } from '../../lib/contract/trust-contract.js';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  errorMessage,
} from '../../lib/errors/accord-error.js';
import { parseSpiffeBundle, spiffeBundleRoots } from '../../lib/spiffe/spiffe-bundle.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { derToPem, pemToDerList } from '../../lib/x509/pem.js';
import type { CliEnvironment } from '../cli-environment.js';
import { withConsentSigner, type CallerConsentSigner } from '../consent-signer.js';
import { approveContract, revokeContract } from '../contract-consent.js';
import { withRepository, type Connection } from '../connection-options.js';
import { contractStatus, contractView } from '../contract-view.js';
import { contractSummary } from './contract-summary.js';
import { proposalOf } from '../propose-contract.js';
import type {
  ActionResult,
  ApproveRequest,
  InspectRootRequest,
  InspectedRoot,
  ProposeRequest,
} from './console-api.js';
import { approvalPreview } from './contract-detail.js';

/** This zone as the console proposes it: its participant name and root. */
export interface ConsoleZone {
  readonly name: string;
  readonly trustDomain: string;
  /** The zone's root (PEM), or undefined when the console was given none: it then cannot propose. */
  readonly rootPem: string | undefined;
}

/**
 * What the console's buttons do, signed and sent in the console process with accordctl's own
 * code: `proposalOf` validates a proposal as `contracts propose` does, `approveContract` and
 * `revokeContract` sign as `contracts approve` and `contracts revoke` do, with the SVID and key of
 * the accordctl configuration, read again for every action (so a renewed SVID is used at once),
 * and the zone PKI's timestamp. One implementation, two front ends.
 */
export class ConsoleActions {
  readonly #env: CliEnvironment;
  readonly #connection: Connection;
  readonly #zone: ConsoleZone;

  constructor(env: CliEnvironment, connection: Connection, zone: ConsoleZone) {
    this.#env = env;
    this.#connection = connection;
    this.#zone = zone;
  }

  /** Proposes a contract between this zone and the partner, and approves it as this zone if asked. */
  async propose(request: ProposeRequest): Promise<ActionResult> {
    const rootPem = this.#zone.rootPem;
    if (rootPem === undefined) {
      throw new FailedPreconditionError(
        'this console has no root of its zone to propose with: start it with --zone-root FILE (or pki.ca in the config file)',
      );
    }
    const proposal = proposalOf(request.id.trim(), [
      { name: this.#zone.name, trustDomain: this.#zone.trustDomain, rootPem },
      {
        name: request.partner.name.trim(),
        trustDomain: request.partner.trustDomain.trim(),
        rootPem: request.partner.rootPem,
      },
    ]);
    const proposeAs = (signer: CallerConsentSigner | undefined) =>
      withRepository(this.#env, this.#connection, async (repository) => {
        const created = await repository.create(proposal);
        const approval =
          signer === undefined
            ? undefined
            : await approveContract(repository, signer, created, this.#env.clock);
        const view = contractView(approval?.contract ?? created);
        const approved =
          approval === undefined ? '' : ` and approved as ${approval.participant} (${approval.trustDomain})`;
        return {
          message: `contract ${view.id} proposed${approved}; ${contractStatus(view)}`,
          contract: contractSummary(approval?.contract ?? created, this.#zone.trustDomain),
        };
      });
    return request.approve
      ? withConsentSigner(this.#env, this.#connection, 'approve', proposeAs)
      : proposeAs(undefined);
  }

  /**
   * Approves contract `id` as this zone, only if the contract still yields the canonical bytes the
   * user reviewed (at the reviewed `signedAt`): a contract that changed since is refused, never
   * signed unseen. The approval itself is signed at the time of the request.
   */
  async approve(id: string, request: ApproveRequest): Promise<ActionResult> {
    const reviewedAt = new Date(request.reviewed.signedAt);
    if (Number.isNaN(reviewedAt.getTime()))
      throw new InvalidArgumentError('reviewed.signedAt: not a timestamp');
    return withConsentSigner(this.#env, this.#connection, 'approve', (signer) =>
      withRepository(this.#env, this.#connection, async (repository) => {
        const contract = await repository.get(id);
        const participant = participantOfTrustDomain(contract, signer.spiffeId.trustDomain);
        if (
          participant !== undefined &&
          approvalPreview(contract, participant.name, reviewedAt).canonicalBytes !==
            request.reviewed.canonicalBytes
        ) {
          throw new FailedPreconditionError(
            `contract ${id} is not the one you reviewed (its participants, roots or creation time differ): review it again`,
          );
        }
        const approval = await approveContract(repository, signer, contract, this.#env.clock);
        const view = contractView(approval.contract);
        return {
          message: `contract ${id} approved as ${approval.participant} (${approval.trustDomain}); ${contractStatus(view)}`,
          contract: contractSummary(approval.contract, this.#zone.trustDomain),
        };
      }),
    );
  }

  /**
   * Revokes contract `id` for good as this zone, with the reason recorded in the contract and the
   * audit log: signed like an approval (reason included) and timestamped by the zone PKI.
   */
  async revoke(id: string, reason: string): Promise<ActionResult> {
    return withConsentSigner(this.#env, this.#connection, 'revoke', (signer) =>
      withRepository(this.#env, this.#connection, async (repository) => {
        const revoked = await revokeContract(
          repository,
          signer,
          await repository.get(id),
          reason,
          this.#env.clock,
        );
        return {
          message: `contract ${id} ${contractStatus(contractView(revoked.contract))}`,
          contract: contractSummary(revoked.contract, this.#zone.trustDomain),
        };
      }),
    );
  }

  /** Deletes contract `id` (repository admins; the audit log keeps its history). */
  async delete(id: string): Promise<ActionResult> {
    await withRepository(this.#env, this.#connection, (repository) => repository.delete(id));
    return { message: `contract ${id} deleted`, contract: null };
  }
}

/**
 * Reads the roots in pasted or uploaded text for the propose form: PEM certificates, or the
 * `x509-svid` keys of a SPIFFE bundle (JSON). Says in words what is wrong with anything else.
 */
export function inspectRoots(request: InspectRootRequest): InspectedRoot[] {
  let ders: Uint8Array[];
  if (request.format === 'pem') {
    ders = pemToDerList(request.text);
  } else {
    const document = parseSpiffeBundle(request.text);
    if (document === undefined)
      throw new InvalidArgumentError('not a SPIFFE bundle: expected JSON with "keys" and "spiffe_sequence"');
    ders = spiffeBundleRoots(document).map((base64) => new Uint8Array(Buffer.from(base64, 'base64')));
    if (ders.length === 0) throw new InvalidArgumentError('the SPIFFE bundle holds no x509-svid key');
  }
  return ders.map((der, index) => {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch (error) {
      throw new InvalidArgumentError(
        `certificate ${index + 1} is not a valid X.509 certificate: ${errorMessage(error)}`,
      );
    }
    return {
      rootPem: derToPem(der),
      sha256: sha256Hex(der),
      subject: certificate.subject.replace(/\n/g, ', '),
      notBefore: new Date(certificate.validFrom).toISOString(),
      notAfter: new Date(certificate.validTo).toISOString(),
    };
  });
}
