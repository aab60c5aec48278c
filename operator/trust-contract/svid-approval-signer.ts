import type { webcrypto } from 'node:crypto';
import type { ApprovalSigner } from '../../lib/contract/approval-signature.js';
import { errorMessage } from '../../lib/errors/accord-error.js';
import type { SvidSnapshot, SvidSource } from '../../lib/identity/svid-source.js';
import type { Logger } from '../../lib/log/logger.js';
import { pemToDerList } from '../../lib/x509/pem.js';
import { keyPairFromPrivateKeyPem } from '../../lib/x509/private-key-pem.js';

interface SignerMaterial {
  readonly privateKey: webcrypto.CryptoKey;
  readonly certificateChainDer: readonly Uint8Array[];
}

async function signerOf(svid: SvidSnapshot): Promise<SignerMaterial> {
  const { privateKey } = await keyPairFromPrivateKeyPem(svid.privateKeyPem);
  return { privateKey, certificateChainDer: pemToDerList(svid.certificatePem) };
}

/**
 * The zone's approval signer: the operator's current SVID (its key and leaf certificate, which
 * chains to the zone root the approval is verified against), switched over as the SVID renews.
 * Call after `svids.start()` resolved.
 */
export async function svidApprovalSigner(
  svids: Pick<SvidSource, 'current' | 'onUpdate'>,
  logger: Logger,
): Promise<{ signer: ApprovalSigner; stop: () => void }> {
  let current = await signerOf(svids.current());
  const unsubscribe = svids.onUpdate((svid) => {
    signerOf(svid).then(
      (next) => {
        current = next;
      },
      (error: unknown) => logger.warn('renewed svid unusable for approvals', { error: errorMessage(error) }),
    );
  });
  const signer: ApprovalSigner = {
    get privateKey() {
      return current.privateKey;
    },
    get certificateChainDer() {
      return current.certificateChainDer;
    },
  };
  return { signer, stop: unsubscribe };
}
