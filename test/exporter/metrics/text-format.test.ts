import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHelp, escapeLabelValue, formatSecondsFromMs, formatValue, sanitizeLabelName } from '../../../src/exporter/metrics/text-format.js';
import { BufferWriter, piece } from '../../../src/exporter/metrics/writer.js';
import { ChunkWriter } from './chunk-writer.js';

describe('text format', () => {
  it('escapes only backslash, quote and line feed in label values', () => {
    assert.equal(escapeLabelValue('plain-value 1'), 'plain-value 1');
    assert.equal(escapeLabelValue('a\\b"c\nd\te'), 'a\\\\b\\"c\\nd\te');
    assert.equal(escapeHelp('a\\b "c"\nd'), 'a\\\\b "c"\\nd');
  });

  it('formats special numbers the way Prometheus reads them', () => {
    assert.equal(formatValue(Infinity), '+Inf');
    assert.equal(formatValue(-Infinity), '-Inf');
    assert.equal(formatValue(NaN), 'NaN');
    assert.equal(formatValue(0.25), '0.25');
  });

  it('prints milliseconds as seconds exactly like formatValue(ms / 1000)', () => {
    const samples = [
      0,
      1,
      5,
      10,
      50,
      100,
      120,
      999,
      1000,
      1001,
      1_763_760_000_000,
      1_763_760_000_123,
      1_763_760_000_120,
      1_763_760_000_005,
      2 ** 31 * 1000 + 7,
      -1500,
      12.5,
      Infinity,
    ];
    let seed = 7;
    for (let i = 0; i < 5000; i++) {
      seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0;
      samples.push(1_700_000_000_000 + seed * 37);
    }
    const chunks = new ChunkWriter();
    const bytes = new BufferWriter(16);
    const open = piece('m{');
    const labels = piece('a="b"');
    for (const ms of samples) {
      assert.equal(formatSecondsFromMs(ms), formatValue(ms / 1000), String(ms));
      chunks.sampleSeconds(open, labels, ms);
      bytes.sampleSeconds(open, labels, ms);
    }
    assert.equal(bytes.text(), chunks.text());
  });

  it('prints every kind of value the same through both writers', () => {
    const values = [0, -0, 1, 9, 10, 99, 100, 2 ** 31 - 1, 2 ** 31, 2 ** 53, -3, 0.1, 1e-7, 1e21, 123.456, NaN, Infinity, -Infinity];
    const chunks = new ChunkWriter();
    const bytes = new BufferWriter(8); // small on purpose: it must grow
    const open = piece('m{');
    const labels = piece('ü="ß"');
    for (const value of values) {
      chunks.sampleValue(open, labels, value);
      bytes.sampleValue(open, labels, value);
    }
    bytes.sampleRest(open, labels, ',x="é"} 1\n');
    chunks.sampleRest(open, labels, ',x="é"} 1\n');
    assert.equal(bytes.text(), chunks.text());
    assert.equal(bytes.bytes().toString('utf8'), chunks.text());
    assert.ok(chunks.text().startsWith('m{ü="ß"} 0\nm{ü="ß"} 0\nm{ü="ß"} 1\n'));
  });

  it('turns configured label keys into valid, non-clashing label names', () => {
    const reserved = new Set(['subject', 'kind', 'source']);
    assert.equal(sanitizeLabelName('rack', reserved), 'rack');
    assert.equal(sanitizeLabelName('app.kubernetes.io/name', reserved), 'app_kubernetes_io_name');
    assert.equal(sanitizeLabelName('9lives', reserved), '_9lives');
    assert.equal(sanitizeLabelName('kind', reserved), 'label_kind');
    assert.equal(sanitizeLabelName('__name__', reserved), 'label_name__');
    assert.equal(sanitizeLabelName('', reserved), '_');
  });
});
