import { dirname } from 'node:path';
import { InvalidArgumentError } from '../errors/accord-error.js';
import { isValidTrustDomain } from '../spiffe/spiffe-id.js';
import type { SecretFile } from './envoy-config-types.js';
import { svidSecretName, trustBundlesSecretName } from './sidecar-secret-names.js';

const secretType = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret';

/** Where the sidecar's X509-SVID lives: both files in one directory, replaced by renames. */
export interface SvidFiles {
  certificateChainPath: string;
  privateKeyPath: string;
}

/**
 * The SDS file for the sidecar's own SVID. It names the certificate and key files rather than
 * holding them, and watches their directory: a renewal that renames new files into place is picked
 * up by Envoy without a restart and without rewriting this file.
 */
export function svidSecretFile(files: SvidFiles): SecretFile {
  const directory = dirname(files.certificateChainPath);
  if (dirname(files.privateKeyPath) !== directory) {
    throw new InvalidArgumentError('the SVID certificate chain and key must be in the same directory');
  }
  return {
    resources: [
      {
        '@type': secretType,
        name: svidSecretName,
        tls_certificate: {
          certificate_chain: { filename: files.certificateChainPath },
          private_key: { filename: files.privateKeyPath },
          watched_directory: { path: directory },
        },
      },
    ],
  };
}

/**
 * The SDS file for the validation context: Envoy's SPIFFE certificate validator with one trust
 * domain per trusted zone, each with its own bundle, so a peer's certificate is checked against the
 * bundle of the trust domain in its URI SAN only (never a merged pool).
 *
 * The bundles are inlined, not referenced by file name: Envoy 1.40 reads a SPIFFE validator's
 * `trust_bundle` files once, when the secret is (re)loaded, and reloads the secret only when the
 * SDS file's content changes. Rewriting this file whenever a bundle changes (a contract is
 * activated or revoked, a zone rotates its root) is what makes the change apply without a restart.
 *
 * @param bundles trust domain → PEM roots, as in the provider's `<trust-domain>.pem` files
 */
export function trustBundlesSecretFile(bundles: ReadonlyMap<string, string>): SecretFile {
  if (bundles.size === 0) {
    // Envoy rejects a SPIFFE validator without trust domains; the local zone is always trusted.
    throw new InvalidArgumentError('at least one trust domain is needed');
  }
  const trustDomains = [...bundles.keys()].sort().map((trustDomain) => {
    if (!isValidTrustDomain(trustDomain))
      throw new InvalidArgumentError(`invalid trust domain: ${trustDomain}`);
    const pem = bundles.get(trustDomain) ?? '';
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new InvalidArgumentError(`the bundle of ${trustDomain} holds no certificate`);
    }
    return { name: trustDomain, trust_bundle: { inline_string: pem } };
  });
  return {
    resources: [
      {
        '@type': secretType,
        name: trustBundlesSecretName,
        validation_context: {
          custom_validator_config: {
            name: 'envoy.tls.cert_validator.spiffe',
            typed_config: {
              '@type':
                'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig',
              trust_domains: trustDomains,
            },
          },
        },
      },
    ],
  };
}
