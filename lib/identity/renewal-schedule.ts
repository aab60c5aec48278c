/**
 * When to renew a certificate: at 2/3 of its lifetime, the SPIFFE/SPIRE convention, which leaves a
 * third of the lifetime for retries while the PKI is unavailable. Returns milliseconds from `now`
 * (0 if already due).
 */
export function renewalDelayMs(notBefore: Date, notAfter: Date, now: Date): number {
  const renewAtMs = notBefore.getTime() + ((notAfter.getTime() - notBefore.getTime()) * 2) / 3;
  return Math.max(0, Math.round(renewAtMs - now.getTime()));
}
