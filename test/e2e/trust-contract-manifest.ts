/** The namespace and key of the Secret holding a partner zone's root in a zone cluster. */
export interface RootSecretLocation {
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
}

/** A zone as a TrustContract names it. */
export interface ManifestZone {
  readonly name: string;
  readonly trustDomain: string;
  readonly rootPem: string;
}

/** A TrustContract as `kubectl apply` takes it. */
export interface TrustContractManifest {
  apiVersion: 'accord.dev/v1alpha1';
  kind: 'TrustContract';
  metadata: { name: string };
  spec: {
    participants: {
      name: string;
      trustDomain: string;
      root: { pem: string } | { secretKeyRef: RootSecretLocation };
    }[];
  };
}

/** Where a zone's root is published in its partners' clusters (namespace `accord`, key `ca.crt`). */
export function rootSecretLocation(namespace: string, zoneName: string): RootSecretLocation {
  return { namespace, name: `${zoneName}-root`, key: 'ca.crt' };
}

/**
 * The TrustContract `id` between `participants` as `appliedIn` applies it: its own root inline
 * (`root.pem`), every partner's from the Secret published in its cluster (`root.secretKeyRef`), so
 * every contract exercises both forms and both must resolve to the same fingerprints in every zone.
 */
export function trustContractManifest(
  id: string,
  participants: readonly ManifestZone[],
  appliedIn: ManifestZone,
  rootNamespace: string,
): TrustContractManifest {
  return {
    apiVersion: 'accord.dev/v1alpha1',
    kind: 'TrustContract',
    metadata: { name: id },
    spec: {
      participants: participants.map((zone) => ({
        name: zone.name,
        trustDomain: zone.trustDomain,
        root:
          zone.trustDomain === appliedIn.trustDomain
            ? { pem: zone.rootPem }
            : { secretKeyRef: rootSecretLocation(rootNamespace, zone.name) },
      })),
    },
  };
}
