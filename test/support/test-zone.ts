import { KeyObject, X509Certificate, type webcrypto } from 'node:crypto';
import { signConsentTimestamp, type ConsentTimestamper } from '../../lib/contract/consent-timestamp.js';
import type { ConsentSigner } from '../../lib/contract/zone-approvers.js';
import type { ParticipantProposal } from '../../lib/contract/validate-proposal.js';
import { parseSpiffeId } from '../../lib/spiffe/spiffe-id.js';
import { createSelfSignedCa } from '../../lib/x509/create-self-signed-ca.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { issueX509Svid } from '../../lib/x509/issue-x509-svid.js';
import { privateKeyToPem } from '../../lib/x509/private-key-pem.js';

const hourMs = 60 * 60 * 1000;
const dayMs = 24 * hourMs;

/** A validity window for a test certificate. */
export interface TestValidity {
  readonly notBefore?: Date;
  readonly notAfter?: Date;
}

/** A leaf X509-SVID minted by a test zone, with everything a client or approval signer needs. */
export interface TestSvid {
  readonly spiffeId: string;
  readonly certificateDer: Uint8Array;
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
  readonly privateKey: webcrypto.CryptoKey;
  readonly privateKeyPem: string;
  /** The SVID as a consent signer (chain: the leaf only), timestamped by its root now. */
  readonly signer: ConsentSigner;
  /** The same signer, timestamped at `now()` (a test clock) instead. */
  signerAt(now: () => Date): ConsentSigner;
}

/**
 * A throw-away trust zone for tests: an EC P-256 root CA that mints X509-SVIDs, both built by the
 * production `lib/x509` helpers. Tests use real certificates instead of mocking verification, so
 * they exercise the same code paths as production.
 */
export interface TestZone extends TestRoot {
  readonly name: string;
  /** The participant entry a proposer would write for this zone. */
  readonly participant: ParticipantProposal;
  /** The zone's admin SVID (`/accord/admin`): what accordctl reads with --cert/--key and signs approvals with. */
  readonly admin: TestSvid;
  /** The zone's operator SVID (`/accord/operator`), the zone's other designated approver. */
  readonly operator: TestSvid;
}

/**
 * A root CA of a test trust domain with its key: a zone's root, or the next root of a rotation
 * (test/support/test-root-rotation.ts), which signs root statements and mints SVIDs like a PKI.
 */
export interface TestRoot {
  readonly trustDomain: string;
  readonly rootPem: string;
  readonly rootDer: Uint8Array;
  readonly rootSha256: string;
  readonly root: X509Certificate;
  /** The root's private key, for root statements (announcements, activations, revocations). */
  readonly rootKey: KeyObject;
  /** The root's private key (PKCS#8 PEM): for a real zone PKI run with this root (test-zone-pki.ts). */
  readonly rootPrivateKeyPem: string;
  /**
   * Timestamps consent signatures with this root at `now()`, as the zone PKI's TimestampConsent
   * does (without its check of the caller).
   */
  timestamper(now?: () => Date): ConsentTimestamper;
  /** Mints an X509-SVID for `spiffe://<trustDomain><path>`. */
  issue(path: string, validity?: TestValidity): Promise<TestSvid>;
  /** Mints a leaf with an arbitrary SPIFFE ID (e.g. another zone's), signed by this root. */
  issueWithUri(uri: string, validity?: TestValidity): Promise<TestSvid>;
}

/** Creates a test zone named `name` with trust domain `<name>.example` unless given. */
export async function createTestZone(
  name: string,
  trustDomain = `${name}.example`,
  validity: TestValidity = {},
): Promise<TestZone> {
  const root = await createTestRoot(trustDomain, validity);
  return {
    ...root,
    name,
    participant: { name, trustDomain, publicKey: root.rootPem, hash: root.rootSha256 },
    admin: await root.issue('/accord/admin'),
    operator: await root.issue('/accord/operator'),
  };
}

/** Creates a root CA for `trustDomain` (URI SAN `spiffe://<trustDomain>`, as zone PKIs make them). */
export async function createTestRoot(trustDomain: string, validity: TestValidity = {}): Promise<TestRoot> {
  const rootKeys = await generateEcKeyPair();
  const rootPem = await createSelfSignedCa({
    keys: rootKeys,
    trustDomain,
    notBefore: validity.notBefore ?? new Date(Date.now() - dayMs),
    notAfter: validity.notAfter ?? new Date(Date.now() + 365 * dayMs),
  });
  const root = new X509Certificate(rootPem);
  const rootDer = new Uint8Array(root.raw);

  const timestamper =
    (now: () => Date = () => new Date()): ConsentTimestamper =>
    (signatureSha256) =>
      signConsentTimestamp(rootKeys.privateKey, trustDomain, signatureSha256, now());
  const issueWithUri = async (uri: string, leafValidity: TestValidity = {}): Promise<TestSvid> => {
    const leafKeys = await generateEcKeyPair();
    const certificatePem = await issueX509Svid({
      issuerCertificatePem: rootPem,
      issuerKeys: rootKeys,
      subjectPublicKey: leafKeys.publicKey,
      spiffeId: parseSpiffeId(uri),
      validity: {
        notBefore: leafValidity.notBefore ?? new Date(Date.now() - hourMs),
        notAfter: leafValidity.notAfter ?? new Date(Date.now() + dayMs),
      },
    });
    const certificate = new X509Certificate(certificatePem);
    const certificateDer = new Uint8Array(certificate.raw);
    const signerAt = (now: () => Date): ConsentSigner => ({
      privateKey: leafKeys.privateKey,
      certificateChainDer: [certificateDer],
      timestamp: timestamper(now),
    });
    return {
      spiffeId: uri,
      certificateDer,
      certificatePem: certificate.toString(),
      certificate,
      privateKey: leafKeys.privateKey,
      privateKeyPem: await privateKeyToPem(leafKeys.privateKey),
      signer: signerAt(() => new Date()),
      signerAt,
    };
  };
  const issue = (path: string, leafValidity?: TestValidity) =>
    issueWithUri(`spiffe://${trustDomain}${path}`, leafValidity);
  return {
    trustDomain,
    rootPem: root.toString(),
    rootDer,
    rootSha256: sha256Hex(rootDer),
    root,
    rootKey: KeyObject.from(rootKeys.privateKey),
    rootPrivateKeyPem: await privateKeyToPem(rootKeys.privateKey),
    timestamper,
    issue,
    issueWithUri,
  };
}
