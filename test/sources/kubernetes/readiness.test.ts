// The readiness rules and the per-application chain, on objects shaped like Kyma 1.x's (no cluster needed).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../../src/sources/kubernetes/client/api.js';
import { evaluateChains, type KindView } from '../../../src/sources/kubernetes/mesh/chain.js';
import { instanceApplication, instanceBelongsTo, triggerSource, triggerSubscriber } from '../../../src/sources/kubernetes/mesh/objects.js';
import { applicationReadiness, conditionReadiness, serviceInstanceReadiness } from '../../../src/sources/kubernetes/readiness.js';
import { application, knative, mapping, ready, serviceInstance, trigger } from './helpers.js';

const obj = (o: unknown) => o as KubeObject;

describe('readiness', () => {
  it('compares the Application status case-insensitively across Helm 2 and Helm 3', () => {
    for (const status of ['DEPLOYED', 'deployed']) assert.equal(applicationReadiness(obj(application('a', status))).ready, 'true');
    for (const status of ['PENDING_INSTALL', 'pending-install', 'uninstalling', 'DELETING'])
      assert.equal(applicationReadiness(obj(application('a', status))).ready, 'unknown');
    const failed = applicationReadiness(obj(application('a', 'FAILED')));
    assert.deepEqual([failed.ready, failed.reason], ['false', 'Failed']);
    assert.equal(applicationReadiness(obj(application('a', 'INSTALLATION_SKIPPED'))).skipped, true);
    assert.equal(applicationReadiness(obj({ metadata: { name: 'a' } })).reason, 'NotReconciled');
  });

  it('follows the knative Ready rule: generation must match, Unknown is not ready', () => {
    assert.equal(conditionReadiness(obj(knative('Broker', 'default', 'ns', [ready('True')]))).ready, 'true');
    const behind = conditionReadiness(obj(knative('Broker', 'default', 'ns', [ready('True')], {}, 2)));
    assert.deepEqual([behind.ready, behind.reason], ['unknown', 'Progressing']);
    const unknown = conditionReadiness(
      obj(knative('Trigger', 't', 'ns', [ready('Unknown', 'BrokerNotConfigured', 'Broker has not yet been reconciled.')])),
    );
    assert.deepEqual([unknown.ready, unknown.reason, unknown.message], ['unknown', 'BrokerNotConfigured', 'Broker has not yet been reconciled.']);
    const culprit = conditionReadiness(
      obj(knative('Trigger', 't', 'ns', [ready('False'), { type: 'SubscriptionReady', status: 'False', reason: 'SubscriptionNotConfigured' }])),
    );
    assert.equal(culprit.reason, 'SubscriptionNotConfigured', 'a bare Ready=False names its failing dependent');
    assert.equal(conditionReadiness(obj({ metadata: { name: 'x' } })).reason, 'NotReconciled');
    assert.equal(
      conditionReadiness(obj({ metadata: { name: 'x', deletionTimestamp: '2026-01-01T00:00:00Z' }, status: { conditions: [ready('True')] } })).ready,
      'false',
    );
  });

  it('judges a ServiceInstance by Failed, Ready and provisionStatus', () => {
    assert.equal(serviceInstanceReadiness(obj(serviceInstance('i', 'ns', 'app', [ready('True', 'ProvisionedSuccessfully')]))).ready, 'true');
    assert.equal(serviceInstanceReadiness(obj(serviceInstance('i', 'ns', 'app', [ready('True')], 'NotProvisioned'))).reason, 'NotProvisioned');
    const failed = serviceInstanceReadiness(
      obj(
        serviceInstance('i', 'ns', 'app', [
          ready('False', 'ProvisionCallFailed', 'broker said no'),
          { type: 'Failed', status: 'True', reason: 'ProvisionCallFailed', message: 'broker said no' },
        ]),
      ),
    );
    assert.deepEqual([failed.ready, failed.reason, failed.message], ['false', 'ProvisionCallFailed', 'broker said no']);
  });

  it('reads Trigger fields of v1alpha1 and v1', () => {
    assert.equal(triggerSource(obj({ metadata: { name: 't' }, spec: { filter: { sourceAndType: { source: 'shop', type: 'x' } } } })), 'shop');
    assert.equal(triggerSubscriber(obj({ metadata: { name: 't' }, status: { subscriberURI: 'http://a/' } })), 'http://a/');
    assert.equal(triggerSubscriber(obj({ metadata: { name: 't' }, status: { subscriberUri: 'http://b/' } })), 'http://b/');
  });

  it('ties a ServiceInstance to its application by annotation, label or class name', () => {
    assert.ok(instanceBelongsTo(obj(serviceInstance('i', 'ns', 'shop', [])), 'shop'));
    assert.ok(!instanceBelongsTo(obj(serviceInstance('i', 'ns', 'shop', [])), 'crm'));
    const annotated = obj({
      metadata: { name: 'i', annotations: { 'vigil.io/application': 'crm' } },
      spec: { serviceClassExternalName: 'shop-events' },
    });
    assert.ok(instanceBelongsTo(annotated, 'crm'));
    assert.ok(!instanceBelongsTo(annotated, 'shop'), 'an explicit mark wins over the class name');
  });

  it('joins by class name to the longest fitting application, ties to the earlier one', () => {
    const join = (className: string, applications: string[]) =>
      instanceApplication(obj({ metadata: { name: 'i' }, spec: { serviceClassExternalName: className } }), new Map(), new Set(applications))
        ?.application;
    assert.equal(join('shop-eu-events', ['shop', 'shop-eu']), 'shop-eu');
    assert.equal(join('app-crm-events', ['crm']), 'crm');
    assert.equal(join('crm', ['crm', 'cr']), 'crm');
    assert.equal(join('crmx-events', ['crm']), undefined, 'a name fits only up to a dash');
    // `app-x-y-1` fits `app` (`app-…`) and `x-y` (`app-x-y-…`), both three characters long: the earlier application wins.
    assert.equal(join('app-x-y-1', ['app', 'x-y']), 'app');
    assert.equal(join('app-x-y-1', ['x-y', 'app']), 'x-y');
  });

  it('joins a ServiceInstance by class name without going through every application', () => {
    // A regression made this scan every application for every instance and every chain (seconds at 1000 applications).
    class CountingSet extends Set<string> {
      visited = 0;
      override *[Symbol.iterator](): SetIterator<string> {
        for (const member of super.values()) {
          this.visited++;
          yield member;
        }
      }
    }
    const applications = new CountingSet(Array.from({ length: 1000 }, (_, n) => `app${n}`));
    const instance = obj(serviceInstance('i', 'ns', 'app7', []));
    assert.equal(instanceApplication(instance, new Map(), applications)?.application, 'app7');
    assert.equal(applications.visited, 0);
  });
});

describe('mesh chain', () => {
  const known = (objects: unknown[]): KindView => ({ state: 'known', objects: objects as KubeObject[] });
  const base = {
    integrationNamespace: 'kyma-integration',
    applications: known([application('shop')]),
    mappings: known([mapping('shop', 'orders')]),
    instances: known([serviceInstance('shop-events', 'orders', 'shop', [ready('True')])]),
    triggers: known([trigger('on-order', 'orders', 'shop', [ready('True')])]),
    brokers: known([knative('Broker', 'default', 'orders', [ready('True')])]),
    httpsources: known([knative('HTTPSource', 'shop', 'kyma-integration', [ready('True')])]),
  };

  it('has one ok check per link of a healthy chain', () => {
    const [chain] = evaluateChains(base)!;
    assert.deepEqual(chain!.namespaces, ['orders']);
    assert.deepEqual(
      chain!.checks.map((c) => `${c.check}=${c.status}`),
      ['installed=ok', 'httpsource=ok', 'mapping:orders=ok', 'serviceinstance:orders=ok', 'broker:orders=ok', 'trigger:orders=ok'],
    );
  });

  it('names what is missing, skips links of kinds not followed yet, and says when a kind is not served', () => {
    const [chain] = evaluateChains({
      ...base,
      instances: known([]),
      brokers: { state: 'pending' },
      httpsources: { state: 'absent', message: 'not served' },
    })!;
    const byName = Object.fromEntries(chain!.checks.map((c) => [c.check, c]));
    assert.equal(byName['serviceinstance:orders']!.status, 'ok', 'bound without an instance: API access only');
    assert.match(byName['serviceinstance:orders']!.message, /no ServiceInstance of shop in orders: API access only/);
    assert.match(byName['broker:orders']!.message, /^not expected: orders has API access only/);
    assert.equal(byName['httpsource']!.status, 'crit');
    assert.equal(evaluateChains({ ...base, applications: { state: 'pending' } }), undefined);
  });

  it('joins each ServiceInstance, and finds each HTTPSource, once per evaluation, not once per chain', () => {
    const names = Array.from({ length: 200 }, (_, n) => `app${n}`);
    let specReads = 0;
    const instances = names.map((name) => {
      const instance = serviceInstance(`${name}-events`, 'orders', name, [ready('True')]);
      const { spec } = instance;
      return Object.defineProperty(instance, 'spec', {
        get: () => {
          specReads++;
          return spec;
        },
      });
    });
    // Every HTTPSource lives in the integration namespace: looking each chain's up by scanning them all is quadratic too.
    let httpsourceReads = 0;
    const httpsources = names.map((name) => {
      const source = knative('HTTPSource', name, 'kyma-integration', [ready('True')]);
      const { metadata } = source;
      return Object.defineProperty(source, 'metadata', {
        get: () => {
          httpsourceReads++;
          return metadata;
        },
      });
    });
    const chains = evaluateChains({
      ...base,
      applications: known(names.map((name) => application(name))),
      mappings: known(names.map((name) => mapping(name, 'orders'))),
      instances: known(instances),
      httpsources: known(httpsources),
    })!;
    assert.ok(
      chains.every((chain) =>
        chain.checks.some((c) => c.check === 'serviceinstance:orders' && c.message === '1 ServiceInstance(s) provisioned and ready'),
      ),
    );
    assert.ok(chains.every((chain) => chain.checks.some((c) => c.check === 'httpsource' && c.status === 'ok')));
    assert.ok(httpsourceReads <= 8 * httpsources.length, `${httpsourceReads} reads of HTTPSource.metadata for ${httpsources.length} sources`);
    assert.ok(specReads <= 2 * instances.length, `${specReads} reads of ServiceInstance.spec for ${instances.length} instances`);
  });

  it('warns about an application without triggers and only installs nothing for a skipped one', () => {
    const [chain] = evaluateChains({ ...base, triggers: known([trigger('other', 'orders', 'crm', [ready('True')])]) })!;
    assert.equal(chain!.checks.find((c) => c.check === 'trigger:orders')!.status, 'warn');
    const [skipped] = evaluateChains({ ...base, applications: known([application('shop', 'INSTALLATION_SKIPPED')]) })!;
    assert.equal(skipped!.checks[0]!.status, 'warn');
    assert.equal(
      skipped!.checks.find((c) => c.check === 'httpsource'),
      undefined,
    );
  });
});
