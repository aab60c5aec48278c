// The names an injected sidecar's Envoy and translator agree on: the operator renders Envoy's
// bootstrap with them, the translator writes the SDS files Envoy then reads.

/** The SDS secret holding the sidecar's own X509-SVID (certificate chain and key). */
export const svidSecretName = 'accord-svid';

/** The SDS secret holding the validation context: one SPIFFE trust bundle per trusted zone. */
export const trustBundlesSecretName = 'accord-trust-bundles';

/**
 * The file in the secrets directory that holds secret `name`. Envoy's file-based SDS wants exactly
 * one resource per file, named as the config names it, so the file is named after the secret.
 */
export function secretFileName(name: string): string {
  return `${name}.yaml`;
}

/** The ext_authz context extension that tells the translator which way a request goes. */
export const directionContextKey = 'accord.direction';
