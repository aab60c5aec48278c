import { stringFlag, type CommandSpec, type FlagValues } from './command-line.js';

/**
 * The flags of `zoneClientFields` (lib/config/config-fields.ts) that zone daemons share: how to
 * reach the repository and the zone PKI, and the bootstrap token for the first SVID.
 */
export const zoneClientFlags: CommandSpec['flags'] = {
  repository: { type: 'string', valueName: 'HOST:PORT', description: 'Contract repository address.' },
  'repository-ca': {
    type: 'string',
    valueName: 'FILE',
    description: "Roots of the repository's server certificate.",
  },
  'repository-server-id': {
    type: 'string',
    valueName: 'ID',
    description: 'SPIFFE ID the repository must present.',
  },
  pki: { type: 'string', valueName: 'HOST:PORT', description: "This zone's PKI address." },
  'pki-ca': { type: 'string', valueName: 'FILE', description: "This zone's root (PEM), to reach the PKI." },
  'bootstrap-token-file': {
    type: 'string',
    valueName: 'FILE',
    description: 'Bootstrap token for the first SVID.',
  },
};

/** The config overrides of `zoneClientFlags` (undefined where a flag is absent). */
export function zoneClientOverrides(values: FlagValues): Record<string, unknown> {
  return {
    repositoryAddress: stringFlag(values, 'repository'),
    repositoryCaFile: stringFlag(values, 'repository-ca'),
    repositoryServerId: stringFlag(values, 'repository-server-id'),
    pkiAddress: stringFlag(values, 'pki'),
    pkiCaFile: stringFlag(values, 'pki-ca'),
    bootstrapTokenFile: stringFlag(values, 'bootstrap-token-file'),
  };
}
