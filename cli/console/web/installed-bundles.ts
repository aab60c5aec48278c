import { LitElement, html, nothing, type TemplateResult } from 'lit';
import type { InstalledBundles } from '../console-api.js';
import { fingerprint, when } from './format.js';
import { sharedStyles } from './shared-styles.js';

/**
 * This zone's installed bundles: the roots its provider wrote, per trusted zone (the bundle
 * directory in local mode, the bundle Secrets in cluster mode). Updated when they change.
 */
export class InstalledBundlesView extends LitElement {
  static override properties = { bundles: { attribute: false } };
  static override styles = [sharedStyles];

  declare bundles: InstalledBundles | undefined;

  constructor() {
    super();
    this.bundles = undefined;
  }

  override render(): TemplateResult {
    const bundles = this.bundles;
    if (bundles === undefined) return html`<p role="status">Reading…</p>`;
    if (bundles.source === null) {
      return html`<p>
        No bundle location configured: start the console with <code>--bundle-dir DIR</code> (the provider's
        output directory) or, in a cluster, <code>--bundle-secrets NAMESPACES</code>.
      </p>`;
    }
    return html`
      <p>
        What the provider installed, from <code>${bundles.source}</code>. Only these zones' workloads are
        trusted.
      </p>
      ${bundles.error === null ? nothing : html`<p class="error" role="alert">Cannot read the bundles: ${bundles.error}</p>`}
      ${
        bundles.roots.length === 0
          ? html`<p data-bundles-empty>No trusted zone: the provider installed no bundle.</p>`
          : html`<div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Trust domain</th>
                    <th scope="col">Root SHA-256</th>
                    <th scope="col">Subject</th>
                    <th scope="col">Not after</th>
                  </tr>
                </thead>
                <tbody>
                  ${bundles.roots.map(
                    (root) =>
                      html`<tr data-bundle=${root.trustDomain}>
                        <td>${root.trustDomain}</td>
                        <td><code>${fingerprint(root.sha256)}</code></td>
                        <td>${root.subject}</td>
                        <td title=${root.notAfter}>${when(root.notAfter)}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>
            </div>`
      }
    `;
  }
}
