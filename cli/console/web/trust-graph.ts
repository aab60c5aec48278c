import { LitElement, css, html, svg, nothing, type TemplateResult } from 'lit';
import type { TrustGraph } from '../console-api.js';
import { sharedStyles } from './shared-styles.js';

/**
 * Which zone trusts which right now, drawn as SVG from the graph the console process computes
 * (placement included) and updated live with it: solid green edges for active contracts, dashed
 * amber ones for contracts still waiting for approvals. The same edges are listed as text below
 * the picture for screen readers and for copying.
 */
export class TrustGraphView extends LitElement {
  static override properties = { graph: { attribute: false } };
  static override styles = [
    sharedStyles,
    css`
      svg {
        width: 100%;
        max-width: 30rem;
        height: auto;
        display: block;
        border: 1px solid #d0d7de;
        border-radius: 0.5rem;
        background: #ffffff;
      }
      .edge-active {
        stroke: #116329;
        stroke-width: 4;
      }
      .edge-proposed {
        stroke: #9a6700;
        stroke-width: 3;
        stroke-dasharray: 8 6;
      }
      .node {
        fill: #f6f8fa;
        stroke: #1b1f24;
        stroke-width: 2;
      }
      .node-self {
        fill: #0b57d0;
        stroke: #0b57d0;
      }
      .name {
        font:
          600 15px system-ui,
          sans-serif;
        fill: #1b1f24;
        text-anchor: middle;
      }
      .domain {
        font:
          12px system-ui,
          sans-serif;
        fill: #57606a;
        text-anchor: middle;
      }
    `,
  ];

  declare graph: TrustGraph | undefined;

  constructor() {
    super();
    this.graph = undefined;
  }

  override render(): TemplateResult {
    const graph = this.graph;
    if (graph === undefined) return html`<p role="status">Waiting for the repository…</p>`;
    const position = new Map(graph.nodes.map((node) => [node.trustDomain, node]));
    const nameOf = (trustDomain: string) => position.get(trustDomain)?.name ?? trustDomain;
    return html`
      <p>
        Your zone is blue. Solid green: the zones trust each other now. Dashed amber: proposed, not yet
        approved by all.
      </p>
      <svg viewBox="0 0 ${graph.width} ${graph.height}" role="img" aria-labelledby="graph-title">
        <title id="graph-title">
          Trust graph of ${graph.nodes.length} zones and ${graph.edges.length} contracts
        </title>
        ${graph.edges.map((edge) => {
          const from = position.get(edge.from);
          const to = position.get(edge.to);
          if (from === undefined || to === undefined) return nothing;
          return svg`<line class="edge-${edge.state}" x1=${from.x} y1=${from.y} x2=${to.x} y2=${to.y}
            data-edge="${edge.from} ${edge.to}" data-state=${edge.state}><title>${nameOf(edge.from)} and ${nameOf(edge.to)}: ${edge.state} (${edge.contracts.join(', ')})</title></line>`;
        })}
        ${graph.nodes.map(
          (node) =>
            svg`<g data-zone=${node.trustDomain}>
              <circle class="node ${node.isSelf ? 'node-self' : ''}" cx=${node.x} cy=${node.y} r="26"></circle>
              <text class="name" x=${node.x} y=${node.y - 34}>${node.name}</text>
              <text class="domain" x=${node.x} y=${node.y + 44}>${node.trustDomain}</text>
            </g>`,
        )}
      </svg>
      <h2>Edges</h2>
      ${
        graph.edges.length === 0
          ? html`<p>No zone trusts another yet.</p>`
          : html`<ul data-edges>
              ${graph.edges.map(
                (edge) =>
                  html`<li>
                    ${nameOf(edge.from)} ⇄ ${nameOf(edge.to)}: <strong>${edge.state}</strong>
                    (${edge.contracts.join(', ')})
                  </li>`,
              )}
            </ul>`
      }
    `;
  }
}
