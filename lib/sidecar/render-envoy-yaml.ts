import { stringify as stringifyYaml } from 'yaml';
import type { Bootstrap, SecretFile } from './envoy-config-types.js';

/**
 * Serialises a bootstrap or SDS file as YAML (Envoy reads YAML and JSON alike). Deterministic:
 * the builders fix key order, so equal input gives byte-equal output, which the golden tests and
 * the secret writer's "rewrite only on change" rule both rely on. PEM stays a literal block.
 *
 * Written as YAML 1.1, because Envoy's parser (yaml-cpp) reads 1.1: there `n`, `no`, `on`, `y`,
 * `yes`, `off` are booleans, so a string such as a workload named `no` must be quoted, or Envoy
 * refuses the whole bootstrap ("node.id: string … unexpected character").
 */
export function renderEnvoyYaml(config: Bootstrap | SecretFile): string {
  return stringifyYaml(config, { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false });
}
