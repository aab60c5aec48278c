// The console's browser entry point, bundled by scripts/build-console.js into console.js.
import { AuditLogView } from './audit-log.js';
import { ConsoleApp } from './console-app.js';
import { ContractDetailView } from './contract-detail.js';
import { ContractList } from './contract-list.js';
import { InstalledBundlesView } from './installed-bundles.js';
import { ProposeForm } from './propose-form.js';
import { TrustGraphView } from './trust-graph.js';

customElements.define('accord-console', ConsoleApp);
customElements.define('accord-contract-list', ContractList);
customElements.define('accord-contract-detail', ContractDetailView);
customElements.define('accord-propose-form', ProposeForm);
customElements.define('accord-trust-graph', TrustGraphView);
customElements.define('accord-audit-log', AuditLogView);
customElements.define('accord-bundles', InstalledBundlesView);
