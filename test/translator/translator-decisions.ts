/**
 * How many inbound decisions with `reason` (`ok` for allowed) a translator has counted, read from
 * its ops server's `/metrics` (`accord_translator_decisions_total`).
 */
export async function inboundDecisions(opsPort: number, reason: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${String(opsPort)}/metrics`, {
    signal: AbortSignal.timeout(5_000),
  });
  return (await response.text())
    .split('\n')
    .filter(
      (line) =>
        line.startsWith('accord_translator_decisions_total{') &&
        line.includes('direction="inbound"') &&
        line.includes(`reason="${reason}"`),
    )
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}
