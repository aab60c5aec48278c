import type { X509Certificate, webcrypto } from 'node:crypto';
import { InvalidArgumentError, PermissionDeniedError, errorMessage } from '../errors/accord-error.js';
import { spiffeIdOf } from '../spiffe/spiffe-id.js';
import { verifyX509Svid, type VerifiedSvid } from '../spiffe/x509-svid.js';
import { sha256Hex } from '../x509/fingerprint.js';
import { certificateFromDer } from '../x509/signature-verdicts.js';
import type { ConsentTimestamper } from './consent-timestamp.js';
import { contractLimits } from './contract-limits.js';
import type { ContractParticipant } from './trust-contract.js';

/**
 * The SPIFFE ID path namespace Accord reserves for its own components in every trust domain, as
 * SPIRE reserves `/spire/*`: the zone PKI issues IDs under it only through the bootstrap-token
 * grants the zone's administrator configures, never to a Kubernetes ServiceAccount (whose IDs all
 * lie under `/ns/`). See docs/threat-model.md, "Designated approvers".
 */
export const reservedComponentPath = '/accord';

/**
 * The paths of a zone's designated approvers: the only identities whose signatures count as the
 * zone's consent (approvals and revocations of contracts). `/accord/admin` is the zone's human
 * administrator (accordctl, the console), `/accord/operator` the zone's operator (TrustContract
 * resources). Both lie in the reserved namespace, so no workload can hold them, and they are the
 * same in every zone, so a partner needs nothing but the contract to check them.
 */
export const zoneApproverPaths: readonly string[] = [
  `${reservedComponentPath}/admin`,
  `${reservedComponentPath}/operator`,
];

/** The SPIFFE IDs (URIs) that may sign consent for `trustDomain`, for checks and error messages. */
export function zoneApproverIds(trustDomain: string): string[] {
  return zoneApproverPaths.map((path) => spiffeIdOf(trustDomain, path).uri);
}

/** Whether the SPIFFE ID `uri` is one of the designated approvers of `trustDomain`. */
export function isZoneApprover(uri: string, trustDomain: string): boolean {
  return zoneApproverIds(trustDomain).includes(uri);
}

/**
 * What a designated approver signs a zone's consent with: its P-256 key, its SVID (signer first,
 * optionally followed by the zone root), and its zone PKI's timestamping. accordctl builds one from
 * the admin's files, the operator from its SVID source.
 */
export interface ConsentSigner {
  /** ECDSA P-256 private key (WebCrypto), usable for `sign`. */
  readonly privateKey: webcrypto.CryptoKey;
  /** DER certificates, signer first; optionally followed by the zone root itself. */
  readonly certificateChainDer: readonly Uint8Array[];
  /** Asks the signer's own zone PKI to timestamp a signature (`TimestampConsent`). */
  readonly timestamp: ConsentTimestamper;
}

/**
 * Checks that `chainDer` proves a designated approver of `participant` at `at`, and returns the
 * signer's verified SVID and certificate; the one check every consent signature (approval or
 * revocation) goes through, in the repository, the providers, the operator and accordctl:
 * - the chain is the signer's certificate, optionally followed by exactly one of `roots`
 *   (zone PKIs sign leaves with the root; intermediates are not accepted);
 * - the signer is an X509-SVID of *that participant's* trust domain, issued by one of `roots` (the
 *   participant's roots its contract trusts at `at`; by default its pinned root), not a CA, and
 *   valid (as is the root) at `at`;
 * - its SPIFFE ID is one of the participant's designated approvers (`zoneApproverPaths`);
 * - its key is ECDSA P-256.
 * `field` names the input in errors (`approval`, `revocation`). Malformed input throws
 * `InvalidArgumentError`; a well-formed chain that is not a designated approver of the participant
 * at `at` throws `PermissionDeniedError`.
 */
export function verifyApproverCertificate(
  participant: ContractParticipant,
  chainDer: readonly Uint8Array[],
  at: Date,
  field: string,
  roots: readonly ContractParticipant[] = [participant],
): VerifiedSvid {
  if (chainDer.length === 0)
    throw new InvalidArgumentError(`${field}.certificate_chain: empty; the signer certificate comes first`);
  if (chainDer.length > contractLimits.maxChainCertificates) {
    throw new InvalidArgumentError(
      `${field}.certificate_chain: at most the signer certificate and the participant root (intermediates are not accepted)`,
    );
  }
  for (const [index, der] of chainDer.entries()) {
    if (der.byteLength > contractLimits.maxCertificateDerBytes) {
      throw new InvalidArgumentError(
        `${field}.certificate_chain[${index}]: larger than ${contractLimits.maxCertificateDerBytes} bytes`,
      );
    }
  }
  const [signerDer, rootDer] = chainDer;
  if (signerDer === undefined) throw new InvalidArgumentError(`${field}.certificate_chain: empty`);
  if (rootDer !== undefined && !roots.some((root) => root.rootSha256 === sha256Hex(rootDer))) {
    throw new PermissionDeniedError(
      `${field} rejected: certificate_chain[1] is not a root of participant ${participant.name} in the contract`,
    );
  }
  let certificate: X509Certificate;
  try {
    certificate = certificateFromDer(signerDer);
  } catch (error) {
    throw new InvalidArgumentError(`${field}.certificate_chain[0]: not a valid DER X.509 certificate`, {
      cause: error,
    });
  }
  let svid: VerifiedSvid;
  try {
    svid = verifyX509Svid(
      certificate,
      new Map([[participant.trustDomain, roots.map((root) => root.root)]]),
      at,
    );
  } catch (error) {
    throw new PermissionDeniedError(
      `${field} rejected: the signer is not an identity of participant ${participant.name} (${participant.trustDomain}) at ${at.toISOString()}: ${errorMessage(error)}`,
    );
  }
  if (!isZoneApprover(svid.spiffeId.uri, participant.trustDomain)) {
    throw new PermissionDeniedError(
      `${field} rejected: the signer ${svid.spiffeId.uri} is not a designated approver of participant ${participant.name} (only ${zoneApproverIds(participant.trustDomain).join(', ')})`,
    );
  }
  const keyDetails = certificate.publicKey.asymmetricKeyDetails;
  if (certificate.publicKey.asymmetricKeyType !== 'ec' || keyDetails?.namedCurve !== 'prime256v1') {
    throw new PermissionDeniedError(`${field} rejected: the signer key is not ECDSA P-256`);
  }
  return svid;
}
