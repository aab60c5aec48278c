import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type {
  ActionResult,
  ApproveRequest,
  ConsoleIdentity,
  ContractDetail,
  ContractSummary,
} from '../console-api.js';
import { ApiFailure, call } from './api-client.js';
import { fingerprint, stateClass, when } from './format.js';
import { sharedStyles } from './shared-styles.js';

type Action = 'approve' | 'revoke' | 'delete';

/**
 * One contract: each participant's zone, trust domain, root fingerprint and validity, who approved
 * when (verified in the console process), and the actions this zone may take. Approving first
 * shows exactly the canonical bytes the console process will sign, with the root fingerprints;
 * revoking asks for the reason; every action shows its progress and its outcome in words.
 */
export class ContractDetailView extends LitElement {
  static override properties = {
    contractId: { attribute: false },
    summary: { attribute: false },
    identity: { attribute: false },
    detail: { state: true },
    loadError: { state: true },
    dialog: { state: true },
    busy: { state: true },
    actionError: { state: true },
    notice: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      .valid-no {
        color: #a40e26;
        font-weight: 600;
      }
    `,
  ];

  declare contractId: string;
  declare summary: ContractSummary | undefined;
  declare identity: ConsoleIdentity | undefined;
  declare detail: ContractDetail | undefined;
  declare loadError: string;
  declare dialog: Action | undefined;
  declare busy: string;
  declare actionError: string;
  declare notice: string;
  #reason = '';
  #opener: HTMLElement | null = null;

  constructor() {
    super();
    this.contractId = '';
    this.summary = undefined;
    this.identity = undefined;
    this.detail = undefined;
    this.loadError = '';
    this.dialog = undefined;
    this.busy = '';
    this.actionError = '';
    this.notice = '';
  }

  override willUpdate(changed: PropertyValues<this>): void {
    const previous = changed.get('summary');
    const isOtherRevision =
      changed.has('summary') && (previous === undefined || previous.revision !== this.summary?.revision);
    if (changed.has('contractId') || isOtherRevision) void this.#load();
  }

  async #load(): Promise<void> {
    try {
      this.detail = await call<ContractDetail>(
        'GET',
        `/api/contracts/${encodeURIComponent(this.contractId)}`,
      );
      this.loadError = '';
    } catch (error) {
      this.detail = undefined;
      this.loadError = error instanceof ApiFailure ? `${error.code}: ${error.message}` : String(error);
    }
  }

  override render(): TemplateResult {
    if (this.detail === undefined) {
      return this.loadError === ''
        ? html`<p role="status">Loading…</p>`
        : html`<p class="error" role="alert">${this.loadError}</p>
            <p><a href="#/contracts">Back to the contracts</a></p>`;
    }
    const { contract, participants, approvals } = this.detail;
    return html`
      ${this.notice === '' ? nothing : html`<p class="notice" role="status">${this.notice}</p>`}
      ${
        this.actionError === '' || this.dialog !== undefined
          ? nothing
          : html`<p class="error" role="alert">${this.actionError}</p>`
      }
      <dl class="fields">
        <dt>State</dt>
        <dd><span class=${stateClass(contract.state)} data-state>${contract.state}</span></dd>
        <dt>Trust established</dt>
        <dd>${contract.isTrustEstablished ? 'yes: every approval verified in the console process' : 'no'}</dd>
        <dt>Approvals</dt>
        <dd data-approvals>${contract.verifiedApprovals}/${contract.participants.length}</dd>
        <dt>Proposed by</dt>
        <dd>
          <code>${contract.proposedBy}</code>,
          <span title=${contract.createdAt}>${when(contract.createdAt)}</span>
        </dd>
        ${
          contract.revocation === null
            ? nothing
            : html`<dt>Revoked by</dt>
                <dd>
                  <code>${contract.revocation.revokedBy}</code>,
                  <span title=${contract.revocation.revokedAt}>${when(contract.revocation.revokedAt)}</span>
                </dd>
                <dt>Reason</dt>
                <dd data-reason>${contract.revocation.reason}</dd>`
        }
        <dt>Revision</dt>
        <dd>${contract.revision}</dd>
      </dl>
      ${contract.invalidApprovals.map(
        (invalid) =>
          html`<p class="error" role="alert">
            The approval of ${invalid.participant} does not verify and does not count: ${invalid.reason}
          </p>`,
      )}
      <h2>Participants</h2>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Zone</th>
              <th scope="col">Trust domain</th>
              <th scope="col">Root SHA-256</th>
              <th scope="col">Root validity</th>
              <th scope="col">Approved</th>
            </tr>
          </thead>
          <tbody>
            ${participants.map(
              (participant) =>
                html`<tr>
                  <td>
                    ${participant.name}${participant.name === this.detail?.yourParticipant ? ' (you)' : ''}
                  </td>
                  <td>${participant.trustDomain}</td>
                  <td>
                    <code>${fingerprint(participant.rootSha256)}</code>
                    <div class="hint">${participant.rootSubject}</div>
                  </td>
                  <td>
                    ${when(participant.rootNotBefore)} – ${when(participant.rootNotAfter)}
                    ${participant.isRootValidNow ? nothing : html`<div class="valid-no">not valid now</div>`}
                  </td>
                  <td>${participant.hasVerifiedApproval ? 'yes' : 'no'}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <h2>Approvals</h2>
      ${
        approvals.length === 0
          ? html`<p>No approval yet.</p>`
          : html`<ul>
              ${approvals.map(
                (approval) =>
                  html`<li>
                    <strong>${approval.participant}</strong> by
                    <code>${approval.signer ?? 'an unreadable certificate'}</code>, signed
                    <span title=${approval.signedAt}>${when(approval.signedAt)}</span> —
                    ${approval.isVerified ? 'verified' : html`<span class="valid-no">does not verify: ${approval.reason}</span>`}
                  </li>`,
              )}
            </ul>`
      }
      ${this.#renderActions()} ${this.#renderDialog()}
    `;
  }

  #renderActions(): TemplateResult {
    const detail = this.detail;
    if (detail === undefined) return html``;
    const isRevoked = detail.contract.revocation !== null || detail.contract.state === 'revoked';
    return html`<div class="actions">
      ${
        detail.approvalPreview === null
          ? nothing
          : html`<button
              type="button"
              class="primary"
              @click=${(event: Event) => this.#open('approve', event)}
            >
              Approve as ${detail.approvalPreview.participant}…
            </button>`
      }
      ${
        detail.yourParticipant === null || isRevoked
          ? nothing
          : html`<button type="button" class="danger" @click=${(event: Event) => this.#open('revoke', event)}>
              Revoke…
            </button>`
      }
      <button type="button" @click=${(event: Event) => this.#open('delete', event)}>Delete…</button>
    </div>`;
  }

  #renderDialog(): TemplateResult {
    const detail = this.detail;
    if (this.dialog === undefined || detail === undefined) return html``;
    const preview = detail.approvalPreview;
    const body =
      this.dialog === 'approve' && preview !== null
        ? html`<h2 id="dialog-title">Approve contract ${detail.contract.id} as ${preview.participant}?</h2>
            <p>
              You consent that these zones trust each other's roots. Compare each fingerprint with your
              partner before you sign.
            </p>
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Zone</th>
                    <th scope="col">Trust domain</th>
                    <th scope="col">Root SHA-256</th>
                  </tr>
                </thead>
                <tbody>
                  ${detail.participants.map(
                    (participant) =>
                      html`<tr>
                        <td>${participant.name}</td>
                        <td>${participant.trustDomain}</td>
                        <td><code>${fingerprint(participant.rootSha256)}</code></td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>
            <p>
              The console process signs exactly these canonical bytes with the key of
              <code>${this.identity?.spiffeId ?? ''}</code> (only <code>signedAt</code> becomes the moment you
              confirm):
            </p>
            <pre class="bytes mono" data-canonical-bytes>${preview.canonicalBytes}</pre>`
        : this.dialog === 'revoke'
          ? html`<h2 id="dialog-title">Revoke contract ${detail.contract.id}?</h2>
              <p>
                Every participant stops trusting the others as soon as its provider sees the revocation. It is
                final: trust comes back only through a new contract.
              </p>
              <label for="reason">Reason (required, recorded in the contract and the audit log)</label>
              <textarea
                id="reason"
                required
                .value=${this.#reason}
                @input=${(event: Event) => (this.#reason = (event.target as HTMLTextAreaElement).value)}
              ></textarea>`
          : html`<h2 id="dialog-title">Delete contract ${detail.contract.id}?</h2>
              <p>
                Deleting removes the contract and its trust at once. Only repository admins may; the audit log
                keeps its history.
              </p>`;
    const confirm = { approve: 'Sign and approve', revoke: 'Revoke contract', delete: 'Delete contract' }[
      this.dialog
    ];
    return html`<dialog aria-labelledby="dialog-title" @close=${this.#onClose} @cancel=${this.#onCancel}>
      ${body}
      ${this.actionError === '' ? nothing : html`<p class="error" role="alert">${this.actionError}</p>`}
      ${this.busy === '' ? nothing : html`<p role="status" aria-live="polite">${this.busy}</p>`}
      <div class="actions">
        <button
          type="button"
          class=${this.dialog === 'approve' ? 'primary' : 'danger'}
          ?disabled=${this.busy !== ''}
          @click=${this.#confirm}
        >
          ${confirm}
        </button>
        <button type="button" ?disabled=${this.busy !== ''} @click=${this.#close}>Cancel</button>
      </div>
    </dialog>`;
  }

  override updated(): void {
    const dialog = this.renderRoot.querySelector('dialog');
    if (dialog !== null && !dialog.open) dialog.showModal();
  }

  #open(action: Action, event: Event): void {
    this.#opener = event.currentTarget as HTMLElement;
    this.#reason = '';
    this.actionError = '';
    this.notice = '';
    this.dialog = action;
  }

  readonly #close = () => {
    this.renderRoot.querySelector('dialog')?.close();
  };

  readonly #onCancel = (event: Event) => {
    if (this.busy !== '') event.preventDefault();
  };

  readonly #onClose = () => {
    this.dialog = undefined;
    // Focus goes back to the button that opened the dialog (or the heading, if it is gone).
    const opener = this.#opener;
    void this.updateComplete.then(() => {
      if (opener?.isConnected === true) opener.focus();
    });
  };

  readonly #confirm = async () => {
    const detail = this.detail;
    const action = this.dialog;
    if (detail === undefined || action === undefined) return;
    const path = `/api/contracts/${encodeURIComponent(detail.contract.id)}`;
    if (action === 'revoke' && this.#reason.trim() === '') {
      this.actionError = 'Give a reason: it is recorded in the contract and the audit log.';
      return;
    }
    this.actionError = '';
    this.busy = {
      approve: 'Signing in the console process and sending the approval to the repository…',
      revoke: 'Sending the revocation to the repository…',
      delete: 'Deleting the contract in the repository…',
    }[action];
    try {
      const result =
        action === 'approve'
          ? await call<ActionResult>('POST', `${path}/approve`, approveRequest(detail))
          : action === 'revoke'
            ? await call<ActionResult>('POST', `${path}/revoke`, { reason: this.#reason })
            : await call<ActionResult>('DELETE', path);
      this.busy = '';
      this.#close();
      this.notice = result.message;
      if (action === 'delete') location.hash = '#/contracts';
      else await this.#load();
    } catch (error) {
      this.busy = '';
      this.actionError = error instanceof ApiFailure ? `${error.code}: ${error.message}` : String(error);
    }
  };
}

/**
 * The approval request for what the confirmation showed: only the reviewed instant and bytes (the
 * console process refuses any other field, and signs only if the contract still yields these bytes).
 */
function approveRequest(detail: ContractDetail): ApproveRequest {
  const preview = detail.approvalPreview;
  if (preview === null) throw new Error('this contract has nothing for you to approve');
  return { reviewed: { signedAt: preview.signedAt, canonicalBytes: preview.canonicalBytes } };
}
