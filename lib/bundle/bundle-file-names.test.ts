import {
  bundleMapFileName,
  isBundleFileName,
  spiffeBundleFileName,
  trustBundlePemFileName,
  trustDomainOfBundleFile,
  trustDomainOfPemFile,
} from './bundle-file-names.js';

describe('bundle file names', () => {
  it('names a zone’s files after its trust domain', () => {
    expect(trustBundlePemFileName('zone-b.example')).toBe('zone-b.example.pem');
    expect(spiffeBundleFileName('zone-b.example')).toBe('zone-b.example.spiffe.json');
    expect(bundleMapFileName).toBe('bundle-map.json');
  });

  it.each([
    ['zone-b.example.pem', 'zone-b.example'],
    ['bundle-map.json', undefined],
    ['zone-b.example.spiffe.json', undefined],
    ['.zone-b.example.pem', undefined],
    ['Not_A_Domain!.pem', undefined],
  ])('maps file %s to PEM roots of trust domain %s', (fileName, trustDomain) => {
    expect(trustDomainOfPemFile(fileName)).toBe(trustDomain);
  });

  it.each([
    ['zone-b.example.pem', true, 'zone-b.example'],
    ['zone-b.example.spiffe.json', true, 'zone-b.example'],
    ['bundle-map.json', true, undefined],
    ['.zone-b.example.pem.tmp-1234', false, undefined],
    ['notes.txt', false, undefined],
  ])('treats %s as provider-owned: %s, of trust domain %s', (fileName, isOwned, trustDomain) => {
    expect(isBundleFileName(fileName)).toBe(isOwned);
    expect(trustDomainOfBundleFile(fileName)).toBe(trustDomain);
  });
});
