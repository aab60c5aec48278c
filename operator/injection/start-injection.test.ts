import { parseConfig } from '../../lib/config/load-config.js';
import { operatorConfigSchema } from '../operator-config.js';
import { injectionSettings, injectionTemplateVersion } from './start-injection.js';
import { requiredOperatorConfig } from '../../test/operator/operator-config-fixture.js';

const required = requiredOperatorConfig;

describe('the injection field of the operator config', () => {
  it('is off by default', () => {
    expect(parseConfig(operatorConfigSchema, required).injection).toBeUndefined();
  });

  it('fills defaults and becomes the injection settings', () => {
    const config = parseConfig(operatorConfigSchema, {
      ...required,
      injection: {
        namespace: 'accord-system',
        envoy: { image: 'envoy:1' },
        translator: { image: 'accord:1', resources: { limits: { memory: '64Mi' } } },
      },
    });
    expect(config.injection).toMatchObject({
      host: '0.0.0.0',
      port: 9443,
      serviceName: 'accord-operator-webhook',
      webhookConfigurationName: 'accord-injection',
      secretName: 'accord-injection-webhook-tls',
      certificateCheckIntervalMs: 3_600_000,
    });
    if (config.injection === undefined) throw new Error('no injection config');
    expect(injectionSettings(config.injection)).toEqual({
      version: injectionTemplateVersion,
      accordNamespace: 'accord-system',
      envoy: { image: 'envoy:1', inboundPort: 15006, outboundPort: 15001 },
      translator: { image: 'accord:1', resources: { limits: { memory: '64Mi' } } },
    });
  });

  it.each([
    ['without a namespace', { envoy: { image: 'e' }, translator: { image: 't' } }, /injection\.namespace/],
    [
      'with equal Envoy ports',
      { namespace: 'a', envoy: { image: 'e', inboundPort: 15001 }, translator: { image: 't' } },
      /injection\.envoy\.outboundPort/,
    ],
    [
      'with an unknown field',
      { namespace: 'a', envoy: { image: 'e' }, translator: { image: 't' }, x: 1 },
      /injection/,
    ],
  ])('refuses a config %s, naming the field', (_name, injection, message) => {
    expect(() => parseConfig(operatorConfigSchema, { ...required, injection })).toThrow(message);
  });
});
