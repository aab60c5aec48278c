/** The `--help` texts, per command; `''` is the overview. Kept beside the parser's flag table. */
const globalFlags = `Global flags:
  --config FILE           Config file (kind AccordctlConfig) for the flags below; default $ACCORDCTL_CONFIG
  --repository HOST:PORT  Contract repository address
  --cert FILE             Your SVID (PEM, leaf first); also the approval signer certificate
  --key FILE              Your private key (PKCS#8 PEM)
  --ca FILE               Roots the repository's server certificate chains to (PEM)
  -o, --output FORMAT     table (default) or json
  -h, --help              Show help
`;

const topics: Record<string, string> = {
  '': `accordctl: administer Accord trust contracts

Usage: accordctl COMMAND [flags]

Commands:
  contracts propose   Propose a contract between two or more zones
  contracts approve   Approve a contract as your zone (signs it with --key)
  contracts revoke    Revoke a contract your zone is part of
  contracts delete    Delete a contract (admins)
  contracts list      List the contracts you can see
  contracts show      Show one contract, its participants and verified approvals
  audit verify        Verify the repository's hash-chained audit log against your checkpoint
  bundle show         Show the bundles a provider installed

Exit codes: 0 ok, 1 failed (server error or local check), 2 usage error,
3 repository unreachable, 4 audit log verification failed.

${globalFlags}`,
  contracts: `Usage: accordctl contracts propose|approve|revoke|delete|list|show [flags]

Run 'accordctl contracts VERB --help' for a verb's flags.
`,
  'contracts propose': `Usage: accordctl contracts propose --participant SPEC --participant SPEC [--id ID] [--approve]
       accordctl contracts propose -f contract.yaml [--id ID] [--approve]

  --participant SPEC  name=zone-a,trust-domain=zone-a.example,root=path/to/root.pem (repeatable)
  -f, --file FILE     YAML/JSON: {id, participants: [{name, trustDomain, root | rootPem}]}
                      or a TrustContract resource (metadata.name, spec.participants)
  --id ID             Contract id (a DNS label); the repository assigns a UUID when absent
  --approve           Approve as your zone right after proposing

${globalFlags}`,
  'contracts approve': `Usage: accordctl contracts approve ID

Signs the contract's canonical bytes with --key; --cert must be an SVID of a participant's trust
domain issued by that participant's root in the contract. Prints what is approved first.

${globalFlags}`,
  'contracts revoke': `Usage: accordctl contracts revoke ID --reason TEXT

${globalFlags}`,
  'contracts delete': `Usage: accordctl contracts delete ID

${globalFlags}`,
  'contracts list': `Usage: accordctl contracts list [--state proposed|active|revoked]

${globalFlags}`,
  'contracts show': `Usage: accordctl contracts show ID

${globalFlags}`,
  audit: `Usage: accordctl audit verify [--checkpoint FILE]
`,
  'audit verify': `Usage: accordctl audit verify [--checkpoint FILE]

Fetches the whole audit log, verifies its hash chain, checks that it still contains the head
accepted last time (the checkpoint), then saves the new head. Default checkpoint:
$XDG_STATE_HOME/accord/audit-checkpoint-<repository>.json (~/.local/state when unset).

${globalFlags}`,
  bundle: `Usage: accordctl bundle show --dir DIR
`,
  'bundle show': `Usage: accordctl bundle show --dir DIR

Lists the roots per trusted zone a provider wrote to DIR (its outputDirectory).

${globalFlags}`,
};

/** The help text of a topic (a command or command group), or the overview for an unknown topic. */
export function helpText(topic: string): string {
  return topics[topic] ?? topics[''] ?? '';
}
