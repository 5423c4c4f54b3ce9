import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { describe, test } from 'node:test';
import { ownerLabel, ownerState, parseOwner, processOwner, thisProcess } from './process-owner.js';

const PROC = existsSync('/proc/self/stat');

describe('process owners', () => {
  test('this process is host:pid:start, read back as it was written', () => {
    const me = thisProcess();
    assert.equal(me, processOwner(process.pid), 'the same every time');
    const o = parseOwner(me);
    assert.deepEqual([o?.host, o?.pid], [hostname(), process.pid]);
    if (PROC) assert.match(o?.start ?? '', /^\d+$/);
    assert.equal(ownerLabel(me), `${hostname()}:${process.pid}`);
    assert.equal(ownerState(me), 'alive');
  });

  test('host:pid without a start time, and text that is no owner', () => {
    assert.deepEqual(parseOwner('lab-1:42'), { host: 'lab-1', pid: 42 });
    assert.deepEqual(parseOwner('lab-1.example.org:42:1234'), {
      host: 'lab-1.example.org',
      pid: 42,
      start: '1234',
    });
    for (const text of ['', 'lab-1', 'lab-1:', ':42', 'lab-1:0', 'lab-1:x:1', 'worker-7'])
      assert.equal(parseOwner(text), undefined, text);
    assert.equal(ownerLabel('worker-7'), 'worker-7', 'a name that is no owner is shown as it is');
    assert.equal(ownerState('worker-7'), 'unknown');
  });

  test('another host’s process is unknown, whatever its pid', () => {
    assert.equal(ownerState(`not-${hostname()}:${process.pid}`), 'unknown');
    assert.equal(ownerState(`not-${hostname()}:999999999:1`), 'unknown');
  });

  test('a process that ended is gone; a pid now used by another process is gone', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => child.once('spawn', r));
    const owner = processOwner(child.pid!);
    assert.equal(ownerState(owner), 'alive');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    assert.equal(ownerState(owner), 'gone');
    // Our own pid with another start time: an earlier process whose pid we were given.
    if (PROC) assert.equal(ownerState(`${hostname()}:${process.pid}:1`), 'gone');
    // Without a start time only the pid can be checked.
    assert.equal(ownerState(`${hostname()}:${process.pid}`), 'alive');
  });
});
