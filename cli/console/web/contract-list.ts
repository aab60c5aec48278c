import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { ContractSummary } from '../console-api.js';
import { stateClass, when } from './format.js';
import { sharedStyles } from './shared-styles.js';

/**
 * The contracts the zone can see, as the console process verified them: state, approvals n/m,
 * participants, who proposed and revoked them and when. Updated live by the app's event stream;
 * contracts waiting for this zone's approval are marked.
 */
export class ContractList extends LitElement {
  static override properties = {
    contracts: { attribute: false },
    malformed: { attribute: false },
  };
  static override styles = [sharedStyles];

  declare contracts: readonly ContractSummary[];
  declare malformed: ReadonlyMap<string, string>;

  constructor() {
    super();
    this.contracts = [];
    this.malformed = new Map();
  }

  override render(): TemplateResult {
    const waiting = this.contracts.filter((contract) => contract.awaitsYourApproval).length;
    return html`
      <p aria-live="polite">
        ${
          this.contracts.length === 0
            ? 'No contracts yet.'
            : `${this.contracts.length} contract${this.contracts.length === 1 ? '' : 's'}; ${waiting} waiting for your approval.`
        }
        Approvals are counted from signatures verified in the console process, not from the repository's word.
      </p>
      ${[...this.malformed].map(
        ([id, reason]) =>
          html`<p class="error" role="alert">
            Contract ${id} does not decode and is not trusted: ${reason}
          </p>`,
      )}
      ${
        this.contracts.length === 0
          ? html`<p><a href="#/propose">Propose a contract</a></p>`
          : html`<div class="table-wrap">
              <table>
                <caption class="hint">
                  Contracts visible to your zone
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Contract</th>
                    <th scope="col">State</th>
                    <th scope="col">Approvals</th>
                    <th scope="col">Participants</th>
                    <th scope="col">Proposed</th>
                    <th scope="col">Revoked</th>
                  </tr>
                </thead>
                <tbody>
                  ${this.contracts.map((contract) => this.#row(contract))}
                </tbody>
              </table>
            </div>`
      }
    `;
  }

  #row(contract: ContractSummary): TemplateResult {
    return html`<tr data-contract=${contract.id}>
      <td><a href="#/contracts/${encodeURIComponent(contract.id)}">${contract.id}</a></td>
      <td>
        <span class=${stateClass(contract.state)} data-state>${contract.state}</span>
        ${contract.awaitsYourApproval ? html`<div class="hint"><strong>waits for your approval</strong></div>` : nothing}
      </td>
      <td data-approvals>${contract.verifiedApprovals}/${contract.participants.length}</td>
      <td>
        ${contract.participants.map(
          (participant) =>
            html`<div>
              ${participant.name} <span class="hint">(${participant.trustDomain})</span>
              ${participant.hasVerifiedApproval ? '✓ approved' : '… not yet'}
            </div>`,
        )}
      </td>
      <td>
        <code>${contract.proposedBy}</code><br /><span title=${contract.createdAt}
          >${when(contract.createdAt)}</span
        >
      </td>
      <td>
        ${
          contract.revocation === null
            ? '—'
            : html`<code>${contract.revocation.revokedBy}</code><br /><span
                  title=${contract.revocation.revokedAt}
                  >${when(contract.revocation.revokedAt)}</span
                ><br />${contract.revocation.reason}`
        }
      </td>
    </tr>`;
  }
}
