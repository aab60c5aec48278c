import { InvalidArgumentError } from '../errors/accord-error.js';

/**
 * A parsed, validated SPIFFE ID. Only `parseSpiffeId` and `spiffeIdOf` create one, so holding a
 * `SpiffeId` proves the value follows the SPIFFE ID grammar; comparisons should use `uri`.
 */
export interface SpiffeId {
  /** Lower-case trust domain name, e.g. `zone-a.example`. */
  readonly trustDomain: string;
  /** The path including its leading slash (e.g. `/accord/pki`), or `''` for the trust domain's own ID. */
  readonly path: string;
  /** The whole ID, `spiffe://<trustDomain><path>`. */
  readonly uri: string;
}

const scheme = 'spiffe://';
const maxUriBytes = 2048;
const maxTrustDomainBytes = 255;
const trustDomainPattern = /^[a-z0-9._-]+$/;
const pathSegmentPattern = /^[A-Za-z0-9._-]+$/;

/**
 * Parses a SPIFFE ID following the SPIFFE ID specification to the letter, because an ID that two
 * parsers read differently is an authentication bypass. Throws `InvalidArgumentError` whose message
 * names the first rule broken.
 */
export function parseSpiffeId(value: string): SpiffeId {
  const fail = (reason: string): never => {
    throw new InvalidArgumentError(`invalid SPIFFE ID: ${reason}`);
  };
  if (value.length === 0) fail('it is empty');
  if (Buffer.byteLength(value, 'utf8') > maxUriBytes) fail(`it is longer than ${maxUriBytes} bytes`);
  if (!value.startsWith(scheme)) {
    fail(
      value.toLowerCase().startsWith(scheme)
        ? 'the scheme must be lower-case "spiffe"'
        : 'the scheme is missing or is not "spiffe://"',
    );
  }
  const rest = value.slice(scheme.length);
  if (rest.includes('#')) fail('a fragment is not allowed');
  if (rest.includes('?')) fail('a query is not allowed');
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  const trustDomainProblem = trustDomainViolation(trustDomain);
  if (trustDomainProblem !== undefined) fail(trustDomainProblem);
  const pathProblem = pathViolation(path);
  if (pathProblem !== undefined) fail(pathProblem);
  return Object.freeze({ trustDomain, path, uri: value });
}

/** Whether `trustDomain` is a valid SPIFFE trust domain name (used to validate config and contracts). */
export function isValidTrustDomain(trustDomain: string): boolean {
  return trustDomainViolation(trustDomain) === undefined;
}

/**
 * Builds the SPIFFE ID of `path` in `trustDomain`, validating both, so that code composing IDs
 * (e.g. the PKI's own `/accord/pki`) goes through the same grammar as IDs read from the wire.
 * `path` must be `''` or start with `/`.
 */
export function spiffeIdOf(trustDomain: string, path: string): SpiffeId {
  if (path !== '' && !path.startsWith('/')) {
    throw new InvalidArgumentError('invalid SPIFFE ID: the path must be empty or start with "/"');
  }
  const trustDomainProblem = trustDomainViolation(trustDomain);
  if (trustDomainProblem !== undefined)
    throw new InvalidArgumentError(`invalid SPIFFE ID: ${trustDomainProblem}`);
  return parseSpiffeId(`${scheme}${trustDomain}${path}`);
}

function trustDomainViolation(trustDomain: string): string | undefined {
  if (trustDomain.length === 0) return 'the trust domain is missing';
  if (trustDomain.includes('@')) return 'userinfo is not allowed';
  if (trustDomain.includes(':')) return 'a port is not allowed';
  if (!trustDomainPattern.test(trustDomain)) {
    return 'trust domain characters are limited to lower-case letters, digits, ".", "-" and "_"';
  }
  if (trustDomain.length > maxTrustDomainBytes) {
    return `the trust domain is longer than ${maxTrustDomainBytes} characters`;
  }
  return undefined;
}

function pathViolation(path: string): string | undefined {
  if (path === '') return undefined;
  const segments = path.slice(1).split('/');
  for (const [index, segment] of segments.entries()) {
    if (segment === '') {
      return index === segments.length - 1
        ? 'the path cannot have a trailing slash'
        : 'path segments cannot be empty';
    }
    if (segment === '.' || segment === '..') return 'path segments cannot be "." or ".."';
    if (!pathSegmentPattern.test(segment)) {
      return 'path segment characters are limited to letters, digits, ".", "-" and "_"';
    }
  }
  return undefined;
}
