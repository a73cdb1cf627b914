// Generated rules and maintenance windows / subject links: every alert about a subject is muted while
// vigil_subject_maintenance is 1 (the timing is pinned by promtool/maintenance.test.yml), and links to the
// subject's page when external_url is vigil's own address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { generate } from '../../src/generate/index.js';
import type { RuleFile } from '../../src/generate/rules.js';
import { fixtureInput } from './helpers.js';

const MUTE = 'unless on (subject) (vigil_subject_maintenance == 1)';
const NOT_ABOUT_ONE_SUBJECT = ['VigilSourceDown', 'VigilExporterDown', 'VigilExporterAbsent', 'VigilWatchdog'];

function rules(subjectLinks: boolean) {
  const input = fixtureInput('policies');
  input.alerting = { ...input.alerting, subject_links: subjectLinks };
  const file = parse(generate(input, { format: 'prometheus' }).get('rules/vigil.rules.yml')!) as RuleFile;
  return file.groups.flatMap((group) => group.rules);
}

describe('generated rules and maintenance windows', () => {
  it('mute every alert about a subject, and only those', () => {
    for (const rule of rules(false)) {
      // The mute is the last clause, inside the wrapper that drops `instance` (one alert whichever replica exposes it).
      const muted = rule.expr
        .trimEnd()
        .replace(/^max without \(instance\) \(\n([\s\S]*)\n\)$/, '$1')
        .trimEnd()
        .endsWith(MUTE);
      assert.equal(muted, !NOT_ABOUT_ONE_SUBJECT.includes(rule.alert), `${rule.alert}: ${rule.expr}`);
    }
  });

  it('link each subject alert to <external_url>/subjects/<id> when external_url is vigil (subject_links)', () => {
    for (const rule of rules(true)) {
      const url = rule.annotations['subject_url'];
      if (NOT_ABOUT_ONE_SUBJECT.includes(rule.alert)) assert.equal(url, undefined, rule.alert);
      else assert.equal(url, 'https://status.example.org/subjects/{{ $labels.subject | urlquery }}', rule.alert);
    }
    for (const rule of rules(false)) assert.equal(rule.annotations['subject_url'], undefined, rule.alert);
  });

  it('notification templates print the link when an alert has one', () => {
    const files = generate(fixtureInput('policies'), { format: 'prometheus' });
    for (const name of ['email.tmpl', 'slack.tmpl', 'msteams.tmpl']) {
      assert.match(files.get(`rules/templates/${name}`)!, /\{\{ with \.Annotations\.subject_url \}\}/, name);
    }
  });
});
