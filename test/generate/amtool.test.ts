// Proof with Debian's amtool (0.25): the generated Alertmanager configuration and templates are valid, each policy's
// alerts reach their receiver, and the e-mail lists every current problem with the status link.
// amtool 0.25 predates msteams_configs (0.26), so it checks a variant without them; Teams is checked structurally.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { alertmanagerConfig, withoutMsteams, type AlertmanagerConfig } from '../../src/generate/alertmanager.js';
import { generate } from '../../src/generate/index.js';
import { assertToolSucceeds, fixtureInput, REPO_ROOT, runTool, writeFiles } from './helpers.js';

const input = fixtureInput('policies');
const config = alertmanagerConfig(input);

/** The generated rules/ directory with alertmanager.yml replaced by the variant amtool 0.25 understands. */
function amtoolDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-amtool-'));
  writeFiles(dir, generate(input, { format: 'prometheus' }));
  writeFileSync(join(dir, 'rules', 'alertmanager-amtool.yml'), stringify(withoutMsteams(config)));
  return join(dir, 'rules');
}

describe('amtool', () => {
  const dir = amtoolDir();

  it('check-config: configuration and notification templates are valid', () => {
    const output = assertToolSucceeds('amtool', ['check-config', 'alertmanager-amtool.yml'], dir);
    assert.match(output, /SUCCESS/);
    assert.match(output, /1 templates/);
  });

  // Expected receivers spelled out: `chat` is used by failure policies and by the built-ins (which send resolved
  // notifications), so it is split in two; the others keep their names.
  const routes: [labels: string[], receiver: string][] = [
    [['policy=probes', 'alertname=VigilProbesCheckFailing', 'severity=warning'], 'chat-firing-only'],
    [['policy=hosts', 'alertname=VigilHostsCheckFailing', 'severity=warning'], 'chat-firing-only'],
    [['policy=labs', 'alertname=VigilLabsCheckFailing', 'severity=warning'], 'oncall'],
    [['policy=self', 'alertname=VigilSelfSubjectUnhealthy', 'severity=warning'], 'teams'],
    [['policy=results', 'alertname=VigilResultsCheckResult', 'severity=info'], 'hook'],
    [['policy=builtin', 'alertname=VigilSubjectUnhealthy', 'severity=warning'], 'chat-with-resolved'],
    [['policy=builtin', 'alertname=VigilExporterDown', 'severity=critical'], 'chat-with-resolved'],
    [['policy=builtin', 'alertname=VigilWatchdog', 'severity=none'], 'deadman'],
  ];
  for (const [labels, receiver] of routes) {
    it(`config routes test: ${labels[0]} ${labels[1]} → ${receiver}`, () => {
      const output = assertToolSucceeds(
        'amtool',
        ['config', 'routes', 'test', '--config.file=alertmanager-amtool.yml', `--verify.receivers=${receiver}`, ...labels],
        dir,
      );
      assert.equal(
        output
          .split('\n')
          .find((line) => line.trim() !== '' && !line.startsWith('Warning'))
          ?.trim(),
        receiver,
      );
    });
  }

  it('check-config: the committed example rules/alertmanager.yml (without Teams) is valid too', () => {
    const example = parse(readFileSync(join(REPO_ROOT, 'rules', 'alertmanager.yml'), 'utf8')) as AlertmanagerConfig;
    const exampleDir = mkdtempSync(join(tmpdir(), 'vigil-amtool-example-'));
    cpSync(join(REPO_ROOT, 'rules', 'templates'), join(exampleDir, 'templates'), { recursive: true });
    writeFileSync(join(exampleDir, 'alertmanager.yml'), stringify(withoutMsteams(example)));
    assert.match(assertToolSucceeds('amtool', ['check-config', 'alertmanager.yml'], exampleDir), /SUCCESS/);
  });

  it('config routes test fails on a wrong receiver (the check above can fail)', () => {
    const { status } = runTool(
      'amtool',
      ['config', 'routes', 'test', '--config.file=alertmanager-amtool.yml', '--verify.receivers=oncall', 'policy=probes'],
      dir,
    );
    assert.notEqual(status, 0);
  });

  it('the e-mail lists every current problem and every recovery, with the external link', () => {
    const alert = (status: string, subject: string, description: string, dependants = '0') => ({
      status,
      labels: { alertname: 'VigilLabsCheckFailing', policy: 'labs', subject, check: 'camera' },
      annotations: {
        summary: 'A check of policy labs has failed 3 times in a row.',
        description,
        runbook_url: 'https://example.org/rb#x',
        dependants,
      },
      startsAt: '2026-01-02T03:04:05Z',
      endsAt: status === 'resolved' ? '2026-01-02T04:00:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: '',
      fingerprint: subject,
    });
    const data = {
      receiver: 'oncall',
      status: 'firing',
      alerts: [
        alert('firing', 'lab-1', 'lab-1 camera is broken', '4'),
        alert('firing', 'lab-2', 'lab-2 camera is broken'),
        alert('resolved', 'lab-3', 'x'),
      ],
      groupLabels: { policy: 'labs' },
      commonLabels: { policy: 'labs', alertname: 'VigilLabsCheckFailing' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager:9093',
    };
    writeFileSync(join(dir, 'data.json'), JSON.stringify(data));
    const render = (name: string, type = 'text') =>
      assertToolSucceeds(
        'amtool',
        [
          'template',
          'render',
          '--template.glob=templates/*.tmpl',
          '--template.data=data.json',
          `--template.type=${type}`,
          `--template.text={{ template "${name}" . }}`,
        ],
        dir,
      );
    assert.match(render('vigil.email.subject'), /\[vigil\] 2 problems, 1 recovered \(labs\)/);
    const text = render('vigil.email.plain');
    assert.match(text, /Current problems \(2\)/);
    assert.match(text, /lab-1 camera is broken/);
    assert.match(text, /lab-2 camera is broken/);
    // the one message of an outage says how far it reaches; nothing is said for a subject nothing depends on
    assert.match(text, /lab-1 camera is broken\n.*runbook: .*\n\s+4 dependent subjects are behind it/);
    assert.equal(text.match(/dependent subjects/g)?.length, 1);
    assert.match(text, /Recovered:\n\s+- lab-3 \/ camera/);
    assert.match(text, /Status: https:\/\/status\.example\.org/);
    const html = render('vigil.email.html', 'html');
    assert.match(html, /<a href="https:\/\/status\.example\.org">/);
    assert.match(html, /4 dependent subjects behind it/);
    assert.match(render('vigil.slack.text'), /lab-1 camera is broken.*\(4 dependent subjects behind it\)/);
    assert.match(render('vigil.msteams.text'), /lab-1 camera is broken.*\(4 dependent subjects behind it\)/);
    assert.match(render('vigil.slack.text'), /lab-2 camera is broken/);
    assert.match(render('vigil.msteams.text'), /\[Status page\]\(https:\/\/status\.example\.org\)/);
  });
});

describe('Teams receiver (structural: Alertmanager >= 0.27 fields)', () => {
  it('uses msteams_configs with webhook_url_file, the vigil templates and send_resolved of its mode', () => {
    const teams = config.receivers.find((receiver) => receiver.name === 'teams');
    assert.deepEqual(teams, {
      name: 'teams',
      msteams_configs: [
        {
          webhook_url_file: '/run/secrets/teams',
          send_resolved: true,
          title: '{{ template "vigil.msteams.title" . }}',
          text: '{{ template "vigil.msteams.text" . }}',
        },
      ],
    });
    assert.equal(withoutMsteams(config).receivers.find((receiver) => receiver.name === 'teams')?.msteams_configs, undefined);
  });
});
