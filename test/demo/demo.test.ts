// `vigil serve --demo` as a user starts it (a child process), with a short story: within the first cycle every
// scripted outage shows in /metrics and the API and is over again, the hosts behind the switch are suppressed and
// never unhealthy, and everything the demo shows is labelled as simulated.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEMO_SUBJECTS } from '../../src/demo/config.js';
import { cycleMs, parseTiming, sceneAt, slowAnswerMs } from '../../src/demo/story.js';
import { CLI, spawnServe, type ServeProcess } from '../helpers/serve-process.js';
import { demoOutages } from './outages.js';
import { sample, snapshot, watchOutages, type OutageRecord, type Snapshot } from './watch.js';

const TIMING_SPEC = 'tick=400ms,fail=3s,silence=4s,gap=2s';
const timing = parseTiming(TIMING_SPEC);

describe('the demo story (pure)', () => {
  it('runs every outage once per cycle and starts and ends calm', () => {
    const cycle = cycleMs(timing);
    const calm = { web: 'ok', switchUp: true, hostsUp: true, heartbeat: true, machineConnected: true, videoQuiet: false };
    assert.deepEqual(sceneAt(0, timing), calm);
    assert.deepEqual(sceneAt(cycle - 1, timing), calm);
    assert.deepEqual(sceneAt(cycle, timing), calm, 'it repeats');
    const seen = new Set<string>();
    for (let t = 0; t < cycle; t += 50) {
      const scene = sceneAt(t, timing);
      if (scene.web !== 'ok') seen.add(`web ${scene.web}`);
      if (!scene.switchUp) seen.add('switch');
      if (!scene.hostsUp) {
        assert.equal(scene.switchUp, false, 'hosts go down only while their switch is down');
        seen.add('hosts');
      }
      if (!scene.heartbeat) seen.add('heartbeat');
      if (!scene.machineConnected) seen.add('machine');
      if (scene.videoQuiet) seen.add('video');
    }
    assert.deepEqual([...seen].sort(), ['heartbeat', 'hosts', 'machine', 'switch', 'video', 'web failing', 'web slow']);
    assert.throws(() => parseTiming('tick=10ms'), /at least 100ms/);
    assert.throws(() => parseTiming('speed=2'), /expected key=duration/);
  });

  it('is a mode of its own: --demo refuses --config', () => {
    const result = spawnSync(process.execPath, [CLI, 'serve', '--demo', '--config', 'vigil.yml'], { encoding: 'utf8' });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /'--demo' cannot be used with option '-c, --config/);
  });
});

describe('vigil serve --demo', () => {
  let vigil: ServeProcess;
  before(async () => {
    vigil = await spawnServe(['--demo', '--listen', '127.0.0.1:0', '--demo-timing', TIMING_SPEC]);
  });
  after(async () => {
    vigil.child.kill('SIGTERM');
    await vigil.exited;
    // Without --state the demo keeps its state in a temporary directory of its own and removes it when it stops.
    const serving = vigil.serving as { state: string };
    assert.match(serving.state, /vigil-demo-[^/]+\/vigil\.db$/);
    assert.ok(!existsSync(dirname(serving.state)), `${serving.state} removed at stop`);
  });

  it('shows each scripted outage appear and recover within the first cycle, through /metrics and the API', async () => {
    const started = Date.now();
    const hostHealth = new Set<string>();
    let first: Snapshot | undefined;
    let looks = 0;
    const records = await watchOutages(vigil.base, demoOutages(slowAnswerMs(timing) / 1000), {
      deadline: started + cycleMs(timing) + 4 * timing.tickMs,
      intervalMs: 50,
      each: (snap) => {
        first ??= snap;
        looks++;
        for (const host of DEMO_SUBJECTS.hosts) hostHealth.add(snap.subjects.get(host)?.health ?? 'absent');
      },
    });
    const describe = (r: OutageRecord) =>
      `${r.name}: ${r.appearedAt === undefined ? 'never seen' : `seen at +${r.appearedAt - started} ms`}, ` +
      `${r.recoveredAt === undefined ? 'not over' : `over at +${r.recoveredAt - started} ms`}`;
    assert.deepEqual(
      records.filter((r) => r.appearedAt === undefined || r.recoveredAt === undefined).map(describe),
      [],
      `every outage appears and recovers (${looks} looks):\n${records.map(describe).join('\n')}\n${vigil.logs().slice(-3000)}`,
    );
    assert.ok(!hostHealth.has('unhealthy'), `the hosts behind the switch are suppressed, never unhealthy: ${[...hostHealth].join(', ')}`);

    // Simulated, and saying so: the build info and every demo subject carry the demo label. The machines appear only
    // once their agents have connected, which on a loaded machine can be after the first look: count them at the end.
    assert.equal(sample(first!, 'vigil_build_info', { demo: 'simulated' }), 1);
    const last = await snapshot(vigil.base);
    const infos = last.samples.filter((s) => s.name === 'vigil_subject_info' && s.labels['subject']!.startsWith('demo-'));
    assert.ok(infos.length >= 9, `demo subjects: ${infos.map((s) => s.labels['subject']).join(', ')}`);
    for (const info of infos) assert.equal(info.labels['demo'], 'simulated', info.labels['subject']);

    // The status page says so on every page, and shows the demo subjects with their label.
    const statusPage = await (await fetch(`${vigil.base}/`)).text();
    assert.match(statusPage, /<p class="notice" role="note">Demo: every demo-… subject here is simulated/);
    assert.match(statusPage, new RegExp(DEMO_SUBJECTS.switch));
    const subjectPage = await (await fetch(`${vigil.base}/subjects/${DEMO_SUBJECTS.switch}`)).text();
    assert.match(subjectPage, /class="notice"/);
    assert.match(subjectPage, /<code>demo=simulated<\/code>/);
  });
});
