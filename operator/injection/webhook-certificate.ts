import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { FailedPreconditionError, UnavailableError } from '../../lib/errors/accord-error.js';
import type { KubeAdmissionRegistrationApi } from '../../lib/kube/kube-admission-registration-api.js';
import type { KubeCoreApi } from '../../lib/kube/kube-core-api.js';
import { isKubeStatus, kubeErrorReason, KubeStatus } from '../../lib/kube/kube-errors.js';
import type { V1MutatingWebhookConfiguration, V1Secret } from '../../lib/kube/kube-objects.js';
import type { Logger } from '../../lib/log/logger.js';
import { sha256Hex } from '../../lib/x509/fingerprint.js';
import { ecdsaP256, generateEcKeyPair } from '../../lib/x509/generate-ec-key-pair.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { privateKeyToPem } from '../../lib/x509/private-key-pem.js';
import { randomSerialNumber } from '../../lib/x509/random-serial-number.js';
import type { ServingCertificate } from './webhook-server.js';

/** Data keys of the webhook certificate Secret. */
export const webhookSecretKeys = {
  /** The webhook CA that signed `tls.crt`. */
  caCertificate: 'ca.crt',
  /** Every CA the API server must trust: the current one first, then the previous one until it expires. */
  caBundle: 'ca-bundle.crt',
  certificate: 'tls.crt',
  privateKey: 'tls.key',
} as const;

/** Field manager of every write. */
const fieldManager = 'accord-operator';

/** The webhook's serving material as stored. */
export interface WebhookCertificate extends ServingCertificate {
  caCertificatePem: string;
  /** What the MutatingWebhookConfiguration's `caBundle` holds (PEM, before base64). */
  caBundlePem: string;
  notAfter: Date;
}

/** Who the serving certificate is for. */
export interface WebhookCertificateSubject {
  /** `<service>.<namespace>.svc` and its longer forms: what the API server dials. */
  dnsNames: readonly string[];
  /** IP SANs, e.g. 127.0.0.1 when the API server calls a `clientConfig.url` on loopback (tests). */
  ipAddresses?: readonly string[];
}

/**
 * Issues a fresh webhook CA and a serving certificate from it (ECDSA P-256). The CA is
 * self-signed and private to the webhook: it is trusted by nothing but the caBundle of the
 * operator's own webhook entry, so it can be replaced with every renewal. `previousCaPem` (still
 * valid) stays in the bundle so the API server keeps accepting the old certificate until it has
 * seen the new bundle.
 */
export async function issueWebhookCertificate(
  subject: WebhookCertificateSubject,
  now: Date,
  validityMs: number,
  previousCaPem?: string,
): Promise<WebhookCertificate> {
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const notAfter = new Date(now.getTime() + validityMs);
  const caKeys = await generateEcKeyPair();
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialNumber(),
    name: [{ CN: ['accord injection webhook CA'] }, { O: ['Accord'] }],
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await generateEcKeyPair();
  const firstName = subject.dnsNames[0] ?? subject.ipAddresses?.[0] ?? 'accord-injection-webhook';
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerialNumber(),
    subject: [{ CN: [firstName] }, { O: ['Accord'] }],
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: ecdsaP256,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...subject.dnsNames.map((value) => ({ type: 'dns' as const, value })),
        ...(subject.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
      ]),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const caCertificatePem = ca.toString('pem');
  const stillValidPrevious =
    previousCaPem === undefined
      ? []
      : pemToDerList(previousCaPem)
          .map((der) => new x509.X509Certificate(der))
          .filter((previous) => previous.notAfter.getTime() > now.getTime())
          .slice(0, 1)
          .map((previous) => previous.toString('pem'));
  return {
    caCertificatePem,
    caBundlePem: [caCertificatePem, ...stillValidPrevious].join('\n') + '\n',
    certificatePem: certificate.toString('pem'),
    privateKeyPem: await privateKeyToPem(keys.privateKey),
    notAfter,
  };
}

/** Whether the certificate expires within `renewBeforeMs` of `now` (so it must be renewed now). */
export function needsRenewal(
  certificate: Pick<WebhookCertificate, 'notAfter'>,
  now: Date,
  renewBeforeMs: number,
): boolean {
  return certificate.notAfter.getTime() - now.getTime() <= renewBeforeMs;
}

/** Certificates are logged by fingerprint, never as PEM. */
export function certificateFingerprint(pem: string): string {
  const [der] = pemToDerList(pem);
  return der === undefined ? 'none' : sha256Hex(der);
}

/** Where the material lives and which webhook entry trusts it. */
export interface WebhookCertificateLocation {
  namespace: string;
  secretName: string;
  /** The MutatingWebhookConfiguration and the name of the operator's entry in its `webhooks`. */
  webhookConfigurationName: string;
  webhookName: string;
}

/** What the manager needs; the clients come from lib/kube's factories (every call has a deadline). */
export interface WebhookCertificateManagerOptions {
  core: Pick<KubeCoreApi, 'readNamespacedSecret' | 'createNamespacedSecret' | 'replaceNamespacedSecret'>;
  admissionRegistration: Pick<
    KubeAdmissionRegistrationApi,
    'readMutatingWebhookConfiguration' | 'replaceMutatingWebhookConfiguration'
  >;
  location: WebhookCertificateLocation;
  subject: WebhookCertificateSubject;
  /** Validity of each certificate; default 90 days. */
  validityMs?: number;
  /** Renew when less than this is left; default a third of the validity. */
  renewBeforeMs?: number;
  now: () => Date;
  logger: Logger;
}

const dayMs = 24 * 3_600_000;

/**
 * Keeps the webhook's serving certificate in a Secret and the `caBundle` of the operator's
 * webhook entry in sync with it. `ensure()` is level-triggered and safe to run from several
 * replicas at once: the Secret is created only if absent (409 → the winner's material is read
 * back) and replaced only with the resourceVersion just read (409 → re-read), like the PKI's CA
 * Secret; the MutatingWebhookConfiguration is replaced the same way, changing only that entry's
 * `caBundle`. The new bundle is written before the caller serves the new certificate, and keeps
 * the previous CA, so no admission call fails during a renewal.
 */
export class WebhookCertificateManager {
  readonly #options: WebhookCertificateManagerOptions;
  readonly #validityMs: number;
  readonly #renewBeforeMs: number;

  constructor(options: WebhookCertificateManagerOptions) {
    this.#options = options;
    this.#validityMs = options.validityMs ?? 90 * dayMs;
    this.#renewBeforeMs = options.renewBeforeMs ?? Math.floor(this.#validityMs / 3);
  }

  /** Makes sure a valid certificate exists and the webhook trusts it; returns what to serve. */
  async ensure(): Promise<WebhookCertificate> {
    return this.#converge(false);
  }

  /** Replaces the certificate and CA now, whatever their expiry (e.g. after a suspected key leak). */
  async rotate(): Promise<WebhookCertificate> {
    return this.#converge(true);
  }

  async #converge(isForced: boolean): Promise<WebhookCertificate> {
    let material: WebhookCertificate | undefined;
    for (let attempt = 0; attempt < 3 && material === undefined; attempt += 1) {
      material = await this.#ensureSecret(isForced && attempt === 0);
    }
    if (material === undefined) throw new UnavailableError('the webhook certificate Secret kept changing');
    await this.#syncCaBundle(material.caBundlePem);
    return material;
  }

  /** One read-decide-write round; `undefined` when somebody else wrote first (try again). */
  async #ensureSecret(isForced: boolean): Promise<WebhookCertificate | undefined> {
    const { core, location, logger } = this.#options;
    const now = this.#options.now();
    const secret = await this.#readSecret();
    if (secret === undefined) {
      const material = await issueWebhookCertificate(this.#options.subject, now, this.#validityMs);
      try {
        await core.createNamespacedSecret({
          namespace: location.namespace,
          fieldManager,
          body: {
            metadata: { name: location.secretName, namespace: location.namespace, labels: secretLabels },
            type: 'Opaque',
            data: secretData(material),
          },
        });
      } catch (error) {
        if (isKubeStatus(error, KubeStatus.conflict)) return undefined;
        throw apiFailure('create', `Secret ${location.namespace}/${location.secretName}`, error);
      }
      logger.info('webhook certificate created', {
        fingerprint: certificateFingerprint(material.certificatePem),
      });
      return material;
    }
    const stored = materialFromSecret(secret);
    if (stored !== undefined && !isForced && !needsRenewal(stored, now, this.#renewBeforeMs)) return stored;
    const material = await issueWebhookCertificate(
      this.#options.subject,
      now,
      this.#validityMs,
      stored?.caCertificatePem,
    );
    secret.data = { ...secret.data, ...secretData(material) };
    try {
      await core.replaceNamespacedSecret({
        name: location.secretName,
        namespace: location.namespace,
        fieldManager,
        body: secret,
      });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.conflict)) return undefined;
      throw apiFailure('update', `Secret ${location.namespace}/${location.secretName}`, error);
    }
    logger.info('webhook certificate renewed', {
      fingerprint: certificateFingerprint(material.certificatePem),
      reason: stored === undefined ? 'unreadable' : isForced ? 'rotation' : 'expiry',
    });
    return material;
  }

  async #syncCaBundle(caBundlePem: string): Promise<void> {
    const { admissionRegistration, location, logger } = this.#options;
    const wanted = Buffer.from(caBundlePem, 'utf8').toString('base64');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      let configuration: V1MutatingWebhookConfiguration;
      try {
        configuration = await admissionRegistration.readMutatingWebhookConfiguration({
          name: location.webhookConfigurationName,
        });
      } catch (error) {
        if (isKubeStatus(error, KubeStatus.notFound)) {
          // Not installed yet (the chart or the operator's wiring creates it with this bundle);
          // the next ensure() syncs it.
          logger.warn('webhook configuration missing', { name: location.webhookConfigurationName });
          return;
        }
        throw apiFailure('get', `MutatingWebhookConfiguration ${location.webhookConfigurationName}`, error);
      }
      const entry = (configuration.webhooks ?? []).find((webhook) => webhook.name === location.webhookName);
      if (entry === undefined) {
        throw new FailedPreconditionError(
          `MutatingWebhookConfiguration ${location.webhookConfigurationName} has no webhook ${location.webhookName}`,
        );
      }
      if (entry.clientConfig.caBundle === wanted) return;
      entry.clientConfig.caBundle = wanted;
      try {
        // Written back with the resourceVersion just read; every other entry stays as it was.
        await admissionRegistration.replaceMutatingWebhookConfiguration({
          name: location.webhookConfigurationName,
          fieldManager,
          body: configuration,
        });
        logger.info('webhook caBundle updated', {
          webhook: location.webhookName,
          fingerprint: certificateFingerprint(caBundlePem),
        });
        return;
      } catch (error) {
        if (!isKubeStatus(error, KubeStatus.conflict)) {
          throw apiFailure(
            'update',
            `MutatingWebhookConfiguration ${location.webhookConfigurationName}`,
            error,
          );
        }
      }
    }
    throw new UnavailableError(
      `MutatingWebhookConfiguration ${location.webhookConfigurationName} kept changing`,
    );
  }

  async #readSecret(): Promise<V1Secret | undefined> {
    const { core, location } = this.#options;
    try {
      return await core.readNamespacedSecret({ name: location.secretName, namespace: location.namespace });
    } catch (error) {
      if (isKubeStatus(error, KubeStatus.notFound)) return undefined;
      throw apiFailure('get', `Secret ${location.namespace}/${location.secretName}`, error);
    }
  }
}

const secretLabels: Record<string, string> = {
  'app.kubernetes.io/name': 'accord',
  'app.kubernetes.io/component': 'injection-webhook',
};

function secretData(material: WebhookCertificate): Record<string, string> {
  const base64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
  return {
    [webhookSecretKeys.caCertificate]: base64(material.caCertificatePem),
    [webhookSecretKeys.caBundle]: base64(material.caBundlePem),
    [webhookSecretKeys.certificate]: base64(material.certificatePem),
    [webhookSecretKeys.privateKey]: base64(material.privateKeyPem),
  };
}

/**
 * The material in the Secret, or `undefined` when a key is missing or unreadable: unlike the
 * PKI's CA, this material protects nothing but the webhook and is simply reissued.
 */
function materialFromSecret(secret: V1Secret): WebhookCertificate | undefined {
  const read = (key: string): string | undefined => {
    const value = secret.data?.[key];
    return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8');
  };
  const caCertificatePem = read(webhookSecretKeys.caCertificate);
  const caBundlePem = read(webhookSecretKeys.caBundle);
  const certificatePem = read(webhookSecretKeys.certificate);
  const privateKeyPem = read(webhookSecretKeys.privateKey);
  if (
    caCertificatePem === undefined ||
    caBundlePem === undefined ||
    certificatePem === undefined ||
    privateKeyPem === undefined
  ) {
    return undefined;
  }
  try {
    const notAfter = new x509.X509Certificate(certificatePem).notAfter;
    return { caCertificatePem, caBundlePem, certificatePem, privateKeyPem, notAfter };
  } catch {
    return undefined;
  }
}

function apiFailure(verb: string, what: string, error: unknown): Error {
  return new UnavailableError(`cannot ${verb} ${what}: ${kubeErrorReason(error)}`);
}
