const dnsLabelPattern = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Whether `value` is an RFC 1123 DNS label (lower-case, at most 63 characters), the grammar of
 * contract ids and participant names: they end up in Kubernetes object names and file names.
 */
export function isDnsLabel(value: string): boolean {
  return dnsLabelPattern.test(value);
}
