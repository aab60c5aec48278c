import { stringify as stringifyYaml } from 'yaml';
import type { Bootstrap, SecretFile } from './envoy-config-types.js';

/**
 * Serialises a bootstrap or SDS file as YAML (Envoy reads YAML and JSON alike). Deterministic:
 * the builders fix key order, so equal input gives byte-equal output, which the golden tests and
 * the secret writer's "rewrite only on change" rule both rely on. PEM stays a literal block.
 */
export function renderEnvoyYaml(config: Bootstrap | SecretFile): string {
  return stringifyYaml(config, { lineWidth: 0, aliasDuplicateObjects: false });
}
