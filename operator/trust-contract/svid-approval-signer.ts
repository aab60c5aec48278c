import type { ConsentTimestamper } from '../../lib/contract/consent-timestamp.js';
import type { ConsentSigner } from '../../lib/contract/zone-approvers.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import { consentSignerFromPem } from '../../lib/identity/pki-consent-signer.js';
import type { SvidSource } from '../../lib/identity/svid-source.js';
import type { Logger } from '../../lib/log/logger.js';

/**
 * The zone's consent signer: the operator's current SVID (`/accord/operator`, a designated
 * approver; its key and leaf certificate, which chains to the zone root the consent is verified
 * against) with the zone PKI's timestamping, switched over as the SVID renews. Call after
 * `svids.start()` resolved.
 */
export async function svidApprovalSigner(
  svids: Pick<SvidSource, 'current' | 'onUpdate'>,
  timestamp: ConsentTimestamper,
  logger: Logger,
): Promise<{ signer: ConsentSigner; stop: () => void }> {
  let current = await consentSignerFromPem(svids.current(), timestamp);
  const unsubscribe = svids.onUpdate((svid) => {
    consentSignerFromPem(svid, timestamp).then(
      (next) => {
        current = next;
      },
      (error: unknown) => logger.warn('renewed svid unusable for approvals', { error: errorMessage(error) }),
    );
  });
  const signer: ConsentSigner = {
    get privateKey() {
      return current.privateKey;
    },
    get certificateChainDer() {
      return current.certificateChainDer;
    },
    timestamp,
  };
  return { signer, stop: unsubscribe };
}
