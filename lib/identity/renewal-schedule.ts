/**
 * When to renew a certificate or token: at 2/3 of its usable lifetime, the SPIFFE/SPIRE convention
 * (SPIRE agents renew at 1/2), which leaves a third of the lifetime for retries while the PKI is
 * unavailable. The usable lifetime runs from `obtainedAt`, when the holder received it, to
 * `notAfter` — not from notBefore: the PKI back-dates notBefore by its `clockSkew`, and measured
 * from there every renewal came `clockSkew`/3 early, and at once, in a loop, whenever `clockSkew`
 * reached twice the lifetime. Returns milliseconds from `now` (0 if already due).
 */
export function renewalDelayMs(obtainedAt: Date, notAfter: Date, now: Date): number {
  const renewAtMs = obtainedAt.getTime() + ((notAfter.getTime() - obtainedAt.getTime()) * 2) / 3;
  return Math.max(0, Math.round(renewAtMs - now.getTime()));
}
