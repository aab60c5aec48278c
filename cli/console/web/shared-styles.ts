import { css } from 'lit';

/**
 * What every view shares: type, tables, buttons, form fields, status colours (WCAG AA contrast
 * on white, and never colour alone: every state is also written), and the narrow-window layout.
 */
export const sharedStyles = css`
  :host {
    display: block;
    color: #1b1f24;
  }
  h2 {
    font-size: 1.1rem;
    margin: 1.25rem 0 0.5rem;
  }
  p {
    margin: 0.4rem 0;
  }
  a {
    color: #0b57d0;
  }
  a:focus-visible,
  button:focus-visible,
  input:focus-visible,
  textarea:focus-visible,
  select:focus-visible,
  summary:focus-visible {
    outline: 3px solid #0b57d0;
    outline-offset: 2px;
  }
  .table-wrap {
    overflow-x: auto;
  }
  table {
    border-collapse: collapse;
    width: 100%;
    font-size: 0.92rem;
  }
  th,
  td {
    text-align: left;
    padding: 0.45rem 0.6rem;
    border-bottom: 1px solid #d0d7de;
    vertical-align: top;
  }
  th {
    background: #f3f5f7;
    font-weight: 600;
  }
  code,
  .mono {
    font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
    font-size: 0.85rem;
    overflow-wrap: anywhere;
  }
  .state {
    display: inline-block;
    padding: 0.1rem 0.5rem;
    border-radius: 0.75rem;
    font-size: 0.8rem;
    font-weight: 600;
    border: 1px solid currentColor;
  }
  .state-active {
    color: #116329;
    background: #dafbe1;
  }
  .state-proposed {
    color: #7d4e00;
    background: #fff8c5;
  }
  .state-revoked {
    color: #a40e26;
    background: #ffebe9;
  }
  button {
    font: inherit;
    padding: 0.45rem 0.9rem;
    border-radius: 0.4rem;
    border: 1px solid #8c959f;
    background: #f6f8fa;
    color: #1b1f24;
    cursor: pointer;
  }
  button.primary {
    background: #0b57d0;
    border-color: #0b57d0;
    color: #ffffff;
  }
  button.danger {
    background: #a40e26;
    border-color: #a40e26;
    color: #ffffff;
  }
  button[disabled] {
    opacity: 0.6;
    cursor: progress;
  }
  label.inline {
    display: inline;
    font-weight: normal;
  }
  fieldset {
    border: 1px solid #d0d7de;
    border-radius: 0.4rem;
    margin: 1rem 0;
  }
  legend {
    font-weight: 600;
  }
  label {
    display: block;
    font-weight: 600;
    margin: 0.75rem 0 0.25rem;
  }
  input[type='text'],
  textarea,
  select {
    font: inherit;
    width: 100%;
    box-sizing: border-box;
    padding: 0.4rem 0.5rem;
    border: 1px solid #8c959f;
    border-radius: 0.3rem;
  }
  textarea {
    min-height: 8rem;
    font-family: ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace;
    font-size: 0.85rem;
  }
  .hint {
    color: #57606a;
    font-size: 0.85rem;
  }
  .error {
    color: #a40e26;
    background: #ffebe9;
    border: 1px solid #a40e26;
    border-radius: 0.4rem;
    padding: 0.5rem 0.75rem;
    margin: 0.75rem 0;
    overflow-wrap: anywhere;
  }
  .notice {
    color: #116329;
    background: #dafbe1;
    border: 1px solid #116329;
    border-radius: 0.4rem;
    padding: 0.5rem 0.75rem;
    margin: 0.75rem 0;
    overflow-wrap: anywhere;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    margin: 1rem 0;
  }
  dialog {
    max-width: min(46rem, 94vw);
    border: 1px solid #8c959f;
    border-radius: 0.5rem;
    padding: 1.25rem;
  }
  dialog::backdrop {
    background: rgba(27, 31, 36, 0.5);
  }
  pre.bytes {
    white-space: pre-wrap;
    overflow-wrap: anywhere;
    background: #f6f8fa;
    border: 1px solid #d0d7de;
    padding: 0.6rem;
    border-radius: 0.3rem;
    max-height: 14rem;
    overflow-y: auto;
  }
  dl.fields {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.3rem 1rem;
    margin: 0.5rem 0;
  }
  dl.fields dt {
    font-weight: 600;
  }
  dl.fields dd {
    margin: 0;
    overflow-wrap: anywhere;
  }
  @media (max-width: 640px) {
    dl.fields {
      grid-template-columns: 1fr;
    }
    dl.fields dd {
      margin-bottom: 0.4rem;
    }
  }
`;
