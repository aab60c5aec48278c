import { LitElement, css, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type {
  ConsoleEvent,
  ConsoleIdentity,
  ContractSummary,
  InstalledBundles,
  RepositoryStatus,
  TrustGraph,
} from '../console-api.js';
import { ApiFailure, call, csrfToken, followEvents, login, logout } from './api-client.js';
import { sharedStyles } from './shared-styles.js';

/** The console's pages, addressed by the URL fragment (`#/contracts/ab`). */
type Route =
  | { page: 'contracts' }
  | { page: 'contract'; id: string }
  | { page: 'propose' }
  | { page: 'graph' }
  | { page: 'audit' }
  | { page: 'bundles' };

const titles: Record<Route['page'], string> = {
  contracts: 'Contracts',
  contract: 'Contract',
  propose: 'Propose a contract',
  graph: 'Trust graph',
  audit: 'Audit log',
  bundles: 'Installed bundles',
};

function parseRoute(hash: string): Route {
  const [, page = '', id] = /^#\/([a-z]*)\/?(.*)$/.exec(hash) ?? [];
  if (page === 'contracts' && id !== undefined && id !== '')
    return { page: 'contract', id: decodeURIComponent(id) };
  if (page === 'propose' || page === 'graph' || page === 'audit' || page === 'bundles') return { page };
  return { page: 'contracts' };
}

/**
 * The console's shell: logs in with the one-time token of the URL fragment (then removes it from
 * the address bar and history), follows the console process's event stream, keeps the contracts,
 * the trust graph and the bundles it sends, and shows one page at a time with its heading focused.
 */
export class ConsoleApp extends LitElement {
  static override properties = {
    route: { state: true },
    session: { state: true },
    loginMessage: { state: true },
    identity: { state: true },
    status: { state: true },
    contracts: { state: true },
    malformed: { state: true },
    graph: { state: true },
    bundles: { state: true },
    changeCount: { state: true },
    streamError: { state: true },
  };

  static override styles = [
    sharedStyles,
    css`
      header {
        background: #1b1f24;
        color: #ffffff;
        padding: 0.75rem 1.25rem;
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 0.5rem 1.5rem;
      }
      header .brand {
        font-weight: 700;
        font-size: 1.1rem;
      }
      header .who {
        font-size: 0.85rem;
        overflow-wrap: anywhere;
      }
      header button {
        margin-left: auto;
      }
      nav ul {
        list-style: none;
        display: flex;
        flex-wrap: wrap;
        gap: 0.25rem;
        margin: 0;
        padding: 0.5rem 1.25rem;
        border-bottom: 1px solid #d0d7de;
        background: #f6f8fa;
      }
      nav a {
        display: inline-block;
        padding: 0.35rem 0.7rem;
        border-radius: 0.3rem;
        text-decoration: none;
        color: #1b1f24;
      }
      nav a[aria-current='page'] {
        background: #0b57d0;
        color: #ffffff;
      }
      main {
        padding: 1rem 1.25rem 3rem;
        max-width: 72rem;
      }
      h1 {
        font-size: 1.4rem;
        margin: 0.5rem 0 1rem;
      }
      h1:focus {
        outline: none;
      }
      .status {
        font-size: 0.85rem;
        padding: 0.15rem 0.6rem;
        border-radius: 0.75rem;
        background: #ffffff;
        color: #1b1f24;
      }
      .status.connected {
        background: #dafbe1;
        color: #116329;
      }
      .status.unavailable {
        background: #ffebe9;
        color: #a40e26;
      }
    `,
  ];

  declare route: Route;
  declare session: 'pending' | 'needed' | 'open';
  declare loginMessage: string;
  declare identity: ConsoleIdentity | undefined;
  declare status: RepositoryStatus;
  declare contracts: ReadonlyMap<string, ContractSummary>;
  declare malformed: ReadonlyMap<string, string>;
  declare graph: TrustGraph | undefined;
  declare bundles: InstalledBundles | undefined;
  /** Counts contract events, so views that depend on every change (the audit log) reload. */
  declare changeCount: number;
  declare streamError: string;
  #stream: AbortController | undefined;
  #focusHeading = false;

  constructor() {
    super();
    this.route = parseRoute(location.hash);
    this.session = 'pending';
    this.loginMessage = '';
    this.identity = undefined;
    this.status = { state: 'connecting', message: null };
    this.contracts = new Map();
    this.malformed = new Map();
    this.graph = undefined;
    this.bundles = undefined;
    this.changeCount = 0;
    this.streamError = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.#onHashChange);
    void this.#start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    window.removeEventListener('hashchange', this.#onHashChange);
    this.#stream?.abort();
  }

  readonly #onHashChange = () => {
    this.route = parseRoute(location.hash);
    this.#focusHeading = true;
  };

  async #start(): Promise<void> {
    const token = /^#login=(.+)$/.exec(location.hash)?.[1];
    if (token !== undefined) {
      // The token leaves the address bar and the history entry at once; it is spent anyway.
      history.replaceState(null, '', '#/contracts');
      this.route = { page: 'contracts' };
      try {
        await login(token);
      } catch (error) {
        this.#needLogin(error instanceof ApiFailure ? error.message : String(error));
        return;
      }
    }
    if (csrfToken() === null) {
      this.#needLogin('Open the login URL that accordctl console printed.');
      return;
    }
    void this.#follow();
  }

  #needLogin(message: string): void {
    this.#stream?.abort();
    this.session = 'needed';
    this.loginMessage = message;
  }

  async #follow(): Promise<void> {
    let attempt = 0;
    for (;;) {
      const stream = new AbortController();
      this.#stream = stream;
      try {
        await followEvents((event) => {
          attempt = 0;
          this.session = 'open';
          this.streamError = '';
          this.#apply(event);
        }, stream.signal);
        if (stream.signal.aborted) return;
        this.streamError = 'The console process ended the event stream; reconnecting…';
      } catch (error) {
        if (stream.signal.aborted) return;
        if (error instanceof ApiFailure && error.status === 401) {
          this.#needLogin(error.message);
          return;
        }
        this.streamError = `The console process cannot be reached (${error instanceof Error ? error.message : String(error)}); reconnecting…`;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** attempt)));
      attempt += 1;
    }
  }

  #apply(event: ConsoleEvent): void {
    switch (event.type) {
      case 'identity':
        this.identity = event.identity;
        break;
      case 'repository':
        this.status = event.status;
        break;
      case 'snapshot':
        this.contracts = new Map(event.contracts.map((contract) => [contract.id, contract]));
        this.malformed = new Map();
        this.changeCount += 1;
        break;
      case 'contract': {
        const contracts = new Map(this.contracts);
        contracts.set(event.contract.id, event.contract);
        this.contracts = contracts;
        this.changeCount += 1;
        break;
      }
      case 'deleted': {
        const contracts = new Map(this.contracts);
        contracts.delete(event.id);
        this.contracts = contracts;
        this.changeCount += 1;
        break;
      }
      case 'malformed': {
        const malformed = new Map(this.malformed);
        malformed.set(event.id, event.reason);
        this.malformed = malformed;
        break;
      }
      case 'graph':
        this.graph = event.graph;
        break;
      case 'bundles':
        this.bundles = event.bundles;
        break;
    }
  }

  override updated(changed: PropertyValues<this>): void {
    if (changed.has('route')) document.title = `${titles[this.route.page]} · Accord console`;
    if (this.#focusHeading) {
      this.#focusHeading = false;
      this.renderRoot.querySelector<HTMLElement>('main h1')?.focus();
    }
  }

  override render(): TemplateResult {
    if (this.session !== 'open') return this.#renderLogin();
    const identity = this.identity;
    return html`
      <header>
        <span class="brand">Accord console</span>
        ${
          identity === undefined
            ? nothing
            : html`<span class="who"
                >Zone <strong>${identity.zoneName}</strong> (${identity.trustDomain}) · signed in as
                <code>${identity.spiffeId}</code
                >${identity.isApprover ? ' · designated approver' : ' · NOT a designated approver'}</span
              >`
        }
        <span class="status ${this.status.state}" role="status" aria-live="polite"
          >Repository:
          ${this.status.state}${this.status.message === null ? '' : ` — ${this.status.message}`}</span
        >
        <button type="button" @click=${this.#signOut}>Sign out</button>
      </header>
      <nav aria-label="Console">
        <ul>
          ${(['contracts', 'propose', 'graph', 'audit', 'bundles'] as const).map(
            (page) =>
              html`<li>
                <a
                  href="#/${page}"
                  aria-current=${
                    this.route.page === page || (page === 'contracts' && this.route.page === 'contract')
                      ? 'page'
                      : 'false'
                  }
                  >${titles[page]}</a
                >
              </li>`,
          )}
        </ul>
      </nav>
      <main>
        <h1 tabindex="-1">
          ${this.route.page === 'contract' ? `Contract ${this.route.id}` : titles[this.route.page]}
        </h1>
        ${this.streamError === '' ? nothing : html`<p class="error" role="alert">${this.streamError}</p>`}
        ${this.#renderPage()}
      </main>
    `;
  }

  #renderPage(): TemplateResult {
    const identity = this.identity;
    switch (this.route.page) {
      case 'contracts':
        return html`<accord-contract-list
          .contracts=${[...this.contracts.values()]}
          .malformed=${this.malformed}
        ></accord-contract-list>`;
      case 'contract':
        return html`<accord-contract-detail
          .contractId=${this.route.id}
          .summary=${this.contracts.get(this.route.id)}
          .identity=${identity}
        ></accord-contract-detail>`;
      case 'propose':
        return html`<accord-propose-form .identity=${identity}></accord-propose-form>`;
      case 'graph':
        return html`<accord-trust-graph .graph=${this.graph}></accord-trust-graph>`;
      case 'audit':
        return html`<accord-audit-log .changeCount=${this.changeCount}></accord-audit-log>`;
      case 'bundles':
        return html`<accord-bundles .bundles=${this.bundles}></accord-bundles>`;
    }
  }

  #renderLogin(): TemplateResult {
    return html`
      <header><span class="brand">Accord console</span></header>
      <main>
        <h1 tabindex="-1">Log in</h1>
        ${
          this.session === 'pending'
            ? html`<p role="status">Logging in…</p>`
            : html`
                <p class="error" role="alert">${this.loginMessage}</p>
                <p>
                  The console prints a one-time login URL where it runs: the terminal of
                  <code>accordctl console</code>, or the console pod's log in a cluster. Each URL works once.
                </p>
                <div class="actions">
                  <button type="button" class="primary" @click=${this.#askForLoginUrl}>
                    Print a new login URL
                  </button>
                </div>
              `
        }
      </main>
    `;
  }

  readonly #askForLoginUrl = async () => {
    try {
      const { message } = await call<{ message: string }>('POST', '/api/login-url');
      this.loginMessage = message;
    } catch (error) {
      this.loginMessage = error instanceof Error ? error.message : String(error);
    }
  };

  readonly #signOut = async () => {
    this.#stream?.abort();
    try {
      await logout();
    } finally {
      this.#needLogin('Signed out.');
    }
  };
}
