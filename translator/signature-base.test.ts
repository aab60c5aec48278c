import type { HttpRequestMessage } from './http-message.js';
import { buildSignatureBase, componentValue } from './signature-base.js';
import { TranslatorRejection } from './translator-rejection.js';

function request(overrides: Partial<HttpRequestMessage> = {}): HttpRequestMessage {
  return {
    method: 'POST',
    scheme: 'https',
    authority: 'Example.COM',
    target: '/foo?a=1',
    headers: {},
    ...overrides,
  };
}

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    if (error instanceof TranslatorRejection) return error.reason;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('componentValue', () => {
  it.each([
    ['@method keeps the case it was sent in', request({ method: 'post' }), '@method', 'post'],
    ['@authority lower-cases the host', request(), '@authority', 'example.com'],
    [
      '@authority drops the default https port',
      request({ authority: 'example.com:443' }),
      '@authority',
      'example.com',
    ],
    [
      '@authority drops the default http port',
      request({ scheme: 'http', authority: 'a.example:80' }),
      '@authority',
      'a.example',
    ],
    [
      '@authority keeps another port',
      request({ authority: 'example.com:8443' }),
      '@authority',
      'example.com:8443',
    ],
    [
      '@target-uri joins scheme, authority and target',
      request(),
      '@target-uri',
      'https://Example.COM/foo?a=1',
    ],
    [
      '@request-target is the target as received',
      request({ target: '/a/../b?x=%41' }),
      '@request-target',
      '/a/../b?x=%41',
    ],
    ['@path stops at the query', request(), '@path', '/foo'],
    ['@path of a target without a query is the whole target', request({ target: '/foo' }), '@path', '/foo'],
    ['@path of an empty path is /', request({ target: '?a=1' }), '@path', '/'],
    ['@query keeps the leading ?', request(), '@query', '?a=1'],
    ['@query without a query is ?', request({ target: '/foo' }), '@query', '?'],
    ['@scheme is the scheme', request(), '@scheme', 'https'],
    ['a field is trimmed', request({ headers: { 'x-a': '  v  ' } }), 'x-a', 'v'],
    [
      'a field has obsolete folding replaced by a space',
      request({ headers: { 'x-a': 'a\r\n  b' } }),
      'x-a',
      'a b',
    ],
    // RFC 9112 §5.2: obs-fold = OWS CRLF RWS, so whitespace before the line break belongs to the fold.
    [
      'a fold with whitespace before the line break is one space (RFC 9421 §2.1 example, spaces before CRLF)',
      request({ headers: { 'x-obs-fold-header': 'Obsolete  \t\r\n    line folding.' } }),
      'x-obs-fold-header',
      'Obsolete line folding.',
    ],
    [
      'several folds with tabs and a bare LF are one space each',
      request({ headers: { 'x-a': 'a \n\tb\t\r\n c' } }),
      'x-a',
      'a b c',
    ],
  ])('%s', (_name, message, name, expected) => {
    expect(componentValue(message, name)).toBe(expected);
  });

  it('gives @status of a response with three digits', () => {
    expect(componentValue({ status: 200, headers: {} }, '@status')).toBe('200');
  });
});

describe('buildSignatureBase', () => {
  it.each([
    ['a field the message lacks', request(), ['x-missing'], 'signature_component_missing'],
    ['a component covered twice', request(), ['@method', '@method'], 'signature_malformed'],
    ['an unsupported derived component', request(), ['@query-param'], 'signature_malformed'],
    [
      'a field name that is not lower-case',
      request({ headers: { 'X-A': 'v' } }),
      ['X-A'],
      'signature_malformed',
    ],
    [
      'a value with a bare line break',
      request({ headers: { 'x-a': 'a\nb' } }),
      ['x-a'],
      'signature_malformed',
    ],
    ['@status of a request', request(), ['@status'], 'signature_malformed'],
  ])('refuses %s', (_name, message, components, reason) => {
    expect(reasonOf(() => buildSignatureBase(message, components, '()'))).toBe(reason);
  });

  it('refuses request components on a response', () => {
    expect(reasonOf(() => buildSignatureBase({ status: 200, headers: {} }, ['@method'], '()'))).toBe(
      'signature_malformed',
    );
  });
});

describe('buildSignatureBase, the message of each refusal', () => {
  function messageOf(action: () => unknown): string {
    try {
      action();
    } catch (error) {
      if (error instanceof TranslatorRejection) return `${error.reason}: ${error.message}`;
      throw error;
    }
    throw new Error('expected a rejection');
  }

  it.each([
    [
      'a field the message lacks',
      request(),
      ['x-missing'],
      'signature_component_missing: header x-missing is not in the message',
    ],
    [
      'a component covered twice',
      request(),
      ['@method', '@method'],
      'signature_malformed: component @method is covered twice',
    ],
    [
      'an unsupported derived component',
      request(),
      ['@query-param'],
      'signature_malformed: unsupported derived component @query-param',
    ],
    [
      'a field name that is not lower-case',
      request({ headers: { 'X-A': 'v' } }),
      ['X-A'],
      'signature_malformed: component X-A is not lower-case',
    ],
    [
      'a value with a bare LF',
      request({ headers: { 'x-a': 'a\nb' } }),
      ['x-a'],
      'signature_malformed: component x-a has a line break',
    ],
    [
      'a value with a bare CR',
      request({ headers: { 'x-a': 'a\rb' } }),
      ['x-a'],
      'signature_malformed: component x-a has a line break',
    ],
    [
      '@status of a request',
      request(),
      ['@status'],
      'signature_malformed: @status is not a request component',
    ],
    [
      '@method of a response',
      { status: 200, headers: {} },
      ['@method'],
      'signature_malformed: @method is not a response component',
    ],
  ])('refuses %s', (_name, message, components, expected) => {
    expect(messageOf(() => buildSignatureBase(message, components, '()'))).toBe(expected);
  });

  it('accepts a field that ends in a line break, which trimming removes', () => {
    expect(buildSignatureBase(request({ headers: { 'x-a': 'v\r\n' } }), ['x-a'], '()')).toBe(
      '"x-a": v\n"@signature-params": ()',
    );
  });
});
