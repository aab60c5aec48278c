import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { ActionResult, ConsoleIdentity, InspectedRoot } from '../console-api.js';
import { ApiFailure, call } from './api-client.js';
import { fingerprint, when } from './format.js';
import { sharedStyles } from './shared-styles.js';

type RootSource = 'pem' | 'file' | 'spiffe-bundle';

/**
 * Proposes a contract between this zone and a partner: the partner's zone name and trust domain,
 * and its root from pasted PEM, an uploaded file, or an imported SPIFFE bundle (JSON). The console
 * process reads the root and shows its fingerprint before anything is sent, and validates the
 * proposal with accordctl's rules; a refusal is shown in words next to the form.
 */
export class ProposeForm extends LitElement {
  static override properties = {
    identity: { attribute: false },
    source: { state: true },
    text: { state: true },
    roots: { state: true },
    chosen: { state: true },
    error: { state: true },
    busy: { state: true },
  };
  static override styles = [sharedStyles];

  declare identity: ConsoleIdentity | undefined;
  declare source: RootSource;
  declare text: string;
  declare roots: readonly InspectedRoot[];
  declare chosen: number;
  declare error: string;
  declare busy: string;

  constructor() {
    super();
    this.identity = undefined;
    this.source = 'pem';
    this.text = '';
    this.roots = [];
    this.chosen = 0;
    this.error = '';
    this.busy = '';
  }

  override render(): TemplateResult {
    const identity = this.identity;
    return html`
      <p>
        A contract between your zone
        <strong>${identity?.zoneName ?? ''}</strong> (${identity?.trustDomain ?? ''}) and one partner.
        Proposing needs a repository admin identity; every participant then approves it with its own key.
      </p>
      ${
        identity?.zoneRootSha256 === null
          ? html`<p class="error" role="alert">
              This console has no root of your zone to propose with: start it with
              <code>--zone-root FILE</code> (or <code>pki.ca</code> in the accordctl config file).
            </p>`
          : html`<p class="hint">Your root: <code>${fingerprint(identity?.zoneRootSha256 ?? '')}</code></p>`
      }
      <form @submit=${this.#submit} novalidate>
        <label for="contract-id"
          >Contract id <span class="hint">(optional DNS label; empty: the repository picks one)</span></label
        >
        <input id="contract-id" name="id" type="text" autocomplete="off" spellcheck="false" />
        <label for="partner-name">Partner zone name</label>
        <input id="partner-name" name="name" type="text" required autocomplete="off" spellcheck="false" />
        <label for="partner-domain">Partner trust domain</label>
        <input
          id="partner-domain"
          name="trustDomain"
          type="text"
          required
          autocomplete="off"
          spellcheck="false"
        />
        <fieldset>
          <legend>Partner root</legend>
          ${(
            [
              ['pem', 'Paste PEM'],
              ['file', 'Upload a PEM file'],
              ['spiffe-bundle', 'Import a SPIFFE bundle (JSON)'],
            ] as const
          ).map(
            ([value, label]) =>
              html`<div>
                <input
                  type="radio"
                  id="source-${value}"
                  name="source"
                  value=${value}
                  .checked=${this.source === value}
                  @change=${() => this.#setSource(value)}
                />
                <label for="source-${value}" class="inline">${label}</label>
              </div>`,
          )}
          ${
            this.source === 'file'
              ? html`<label for="root-file">PEM file</label>
                  <input
                    id="root-file"
                    type="file"
                    accept=".pem,.crt,.cer,text/plain"
                    @change=${this.#readFile}
                  />`
              : html`<label for="root-text"
                    >${this.source === 'pem' ? 'Root certificate (PEM)' : 'SPIFFE bundle (JSON)'}</label
                  >
                  <textarea
                    id="root-text"
                    spellcheck="false"
                    .value=${this.text}
                    @input=${(event: Event) => this.#setText((event.target as HTMLTextAreaElement).value)}
                  ></textarea>`
          }
          <div class="actions">
            <button type="button" @click=${this.#inspect}>Check the root</button>
          </div>
          ${this.#renderRoots()}
        </fieldset>
        <div>
          <input type="checkbox" id="approve" name="approve" checked />
          <label for="approve" class="inline"
            >Approve as ${identity?.zoneName ?? 'my zone'} right after proposing</label
          >
        </div>
        ${this.error === '' ? nothing : html`<p class="error" role="alert">${this.error}</p>`}
        ${this.busy === '' ? nothing : html`<p role="status" aria-live="polite">${this.busy}</p>`}
        <div class="actions">
          <button type="submit" class="primary" ?disabled=${this.busy !== ''}>Propose</button>
        </div>
      </form>
    `;
  }

  #renderRoots(): TemplateResult {
    if (this.roots.length === 0) return html``;
    return html`<div role="status">
      ${
        this.roots.length > 1
          ? html`<label for="root-choice">The text holds ${this.roots.length} roots: propose with</label>
              <select
                id="root-choice"
                @change=${(event: Event) => (this.chosen = Number((event.target as HTMLSelectElement).value))}
              >
                ${this.roots.map((root, index) => html`<option value=${index} ?selected=${index === this.chosen}>${root.subject}</option>`)}
              </select>`
          : nothing
      }
      ${this.roots.map(
        (root, index) =>
          html`<dl class="fields" ?hidden=${index !== this.chosen}>
            <dt>SHA-256</dt>
            <dd><code data-root-sha256>${fingerprint(root.sha256)}</code></dd>
            <dt>Subject</dt>
            <dd>${root.subject}</dd>
            <dt>Valid</dt>
            <dd>${when(root.notBefore)} – ${when(root.notAfter)}</dd>
          </dl>`,
      )}
      <p class="hint">Compare this fingerprint with the one your partner gave you out of band.</p>
    </div>`;
  }

  #setSource(source: RootSource): void {
    this.source = source;
    this.#setText('');
  }

  #setText(text: string): void {
    this.text = text;
    this.roots = [];
    this.chosen = 0;
  }

  readonly #readFile = async (event: Event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    this.#setText(file === undefined ? '' : await file.text());
    if (file !== undefined) await this.#inspect();
  };

  readonly #inspect = async (): Promise<boolean> => {
    this.error = '';
    if (this.text.trim() === '') {
      this.error = 'Give the partner root: paste it, upload a file or import a SPIFFE bundle.';
      return false;
    }
    try {
      this.roots = await call<InspectedRoot[]>('POST', '/api/roots/inspect', {
        format: this.source === 'spiffe-bundle' ? 'spiffe-bundle' : 'pem',
        text: this.text,
      });
      return true;
    } catch (error) {
      this.roots = [];
      this.error = `The partner root cannot be used: ${error instanceof Error ? error.message : String(error)}`;
      return false;
    }
  };

  readonly #submit = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const field = (name: string) => {
      const value = data.get(name);
      return typeof value === 'string' ? value.trim() : '';
    };
    if (field('name') === '' || field('trustDomain') === '') {
      this.error = 'Give the partner zone name and its trust domain.';
      return;
    }
    if (this.roots.length === 0 && !(await this.#inspect())) return;
    const root = this.roots[this.chosen];
    if (root === undefined) return;
    this.error = '';
    const approve = data.get('approve') !== null;
    this.busy = approve ? 'Proposing, then signing your approval in the console process…' : 'Proposing…';
    try {
      const result = await call<ActionResult>('POST', '/api/contracts', {
        id: field('id'),
        partner: { name: field('name'), trustDomain: field('trustDomain'), rootPem: root.rootPem },
        approve,
      });
      this.busy = '';
      form.reset();
      this.#setText('');
      if (result.contract !== null) location.hash = `#/contracts/${encodeURIComponent(result.contract.id)}`;
    } catch (error) {
      this.busy = '';
      this.error = error instanceof ApiFailure ? `${error.code}: ${error.message}` : String(error);
    }
  };
}
