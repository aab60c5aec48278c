import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { AuditView } from '../console-api.js';
import { ApiFailure, call } from './api-client.js';
import { when } from './format.js';
import { sharedStyles } from './shared-styles.js';

/**
 * The audit log as a timeline, newest first, with what the console process found verifying the
 * hash chain from the genesis and against the checkpoint `accordctl audit verify` saved. Reloaded
 * whenever a contract changes (each change is an entry); never polled.
 */
export class AuditLogView extends LitElement {
  static override properties = {
    changeCount: { attribute: false },
    view: { state: true },
    error: { state: true },
    notice: { state: true },
    busy: { state: true },
  };
  static override styles = [
    sharedStyles,
    css`
      ol {
        list-style: none;
        padding: 0;
        border-left: 3px solid #d0d7de;
        margin-left: 0.5rem;
      }
      li {
        padding: 0.4rem 0 0.6rem 1rem;
        position: relative;
      }
      li::before {
        content: '';
        position: absolute;
        left: -0.5rem;
        top: 0.75rem;
        width: 0.7rem;
        height: 0.7rem;
        border-radius: 50%;
        background: #57606a;
      }
      .action {
        font-weight: 700;
        text-transform: uppercase;
        font-size: 0.8rem;
      }
    `,
  ];

  declare changeCount: number;
  declare view: AuditView | undefined;
  declare error: string;
  declare notice: string;
  declare busy: boolean;

  constructor() {
    super();
    this.changeCount = 0;
    this.view = undefined;
    this.error = '';
    this.notice = '';
    this.busy = false;
  }

  override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('changeCount')) void this.#load();
  }

  async #load(): Promise<void> {
    try {
      this.view = await call<AuditView>('GET', '/api/audit');
      this.error = '';
    } catch (error) {
      this.error =
        error instanceof ApiFailure
          ? `The repository refused the audit log: ${error.code}: ${error.message}`
          : String(error);
    }
  }

  override render(): TemplateResult {
    const view = this.view;
    return html`
      ${
        this.error === ''
          ? nothing
          : html`<p class="error" role="alert">${this.error}</p>
              <p class="hint">
                The audit log names every contract and zone, so the repository shows it to its admins only.
              </p>`
      }
      ${this.notice === '' ? nothing : html`<p class="notice" role="status">${this.notice}</p>`}
      ${
        view === undefined
          ? this.error === ''
            ? html`<p role="status">Verifying the audit log…</p>`
            : nothing
          : html`
              <p
                class=${view.verification.isVerified ? 'notice' : 'error'}
                data-verification
                role=${view.verification.isVerified ? 'status' : 'alert'}
              >
                ${view.verification.isVerified ? 'Verified: ' : ''}${view.verification.message}
              </p>
              <dl class="fields">
                <dt>Entries</dt>
                <dd>${view.entryCount}</dd>
                <dt>Head</dt>
                <dd>entry ${view.head.sequence} <code>${view.head.hash}</code></dd>
                <dt>Checkpoint</dt>
                <dd>
                  ${
                    view.checkpoint.saved === null
                      ? 'none saved yet'
                      : html`entry ${view.checkpoint.saved.sequence}
                          <code>${view.checkpoint.saved.hash}</code>, saved
                          ${when(view.checkpoint.saved.verifiedAt)}`
                  }
                  <div class="hint">${view.checkpoint.path}</div>
                </dd>
              </dl>
              <div class="actions">
                <button
                  type="button"
                  ?disabled=${this.busy || !view.verification.isVerified}
                  @click=${this.#saveCheckpoint}
                >
                  Save the head as checkpoint
                </button>
              </div>
              <h2>Timeline</h2>
              ${
                view.entries.length < view.entryCount
                  ? html`<p class="hint">
                      The newest ${view.entries.length} of ${view.entryCount} entries (all verified).
                    </p>`
                  : nothing
              }
              <ol>
                ${view.entries.map(
                  (entry) =>
                    html`<li data-sequence=${entry.sequence}>
                      <span class="action">${entry.action}</span> contract
                      <strong>${entry.contractId}</strong> by <code>${entry.actor}</code>,
                      <span title=${entry.time}>${when(entry.time)}</span> (entry ${entry.sequence})
                      <div><code>${entry.details}</code></div>
                    </li>`,
                )}
              </ol>
            `
      }
    `;
  }

  readonly #saveCheckpoint = async () => {
    this.busy = true;
    try {
      const { message } = await call<{ message: string }>('POST', '/api/audit/checkpoint');
      this.notice = message;
      await this.#load();
    } catch (error) {
      this.error = error instanceof Error ? error.message : String(error);
    } finally {
      this.busy = false;
    }
  };
}
