import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
	execArgsSchema,
	type ExecArgsInput,
	type FinishedTaskStatus,
	type TaskStatus
} from '../../../src/lib/protocol/tasks';
import { signTask } from '../../../src/server/tasks/sign';
import { runExec } from '../../../agent/src/tasks/exec';
import { runTask } from '../../../agent/src/tasks/runner';
import { AGENT_ID, context, isAlive, keyPair, nodeScript, tempDir } from './helpers';

const server = keyPair();
let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
	tmp = tempDir();
});
afterEach(() => tmp.cleanup());

async function exec(
	args: ExecArgsInput,
	over: Parameters<typeof context>[1] = {}
): Promise<{ final: FinishedTaskStatus; statuses: TaskStatus[] }> {
	const ctx = context(server.publicKey, { allow: ['exec'], ...over });
	const final = await runTask(signTask(server.privateKey, { agentId: AGENT_ID, kind: 'exec', args }), ctx);
	if (final.state === 'refused') throw new Error(`refused: ${final.message}`);
	return { final, statuses: ctx.statuses };
}

describe('exec tasks (real processes)', { timeout: 20_000 }, () => {
	it('passes stdin, captures stdout and stderr, and reports exit code 0 as succeeded', async () => {
		const { final, statuses } = await exec({
			...nodeScript(
				`let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{process.stdout.write('got:'+s.toUpperCase());process.stderr.write('warn')})`
			),
			stdin: 'hello from the server'
		});
		expect(final).toMatchObject({
			state: 'succeeded',
			exitCode: 0,
			signal: null,
			stdout: { text: 'got:HELLO FROM THE SERVER', truncated: false, bytes: 25 },
			stderr: { text: 'warn', truncated: false, bytes: 4 }
		});
		expect(final.durationMs).toBeGreaterThan(0);
		expect(final.finishedAt).toBeGreaterThanOrEqual(final.startedAt);
		expect(statuses[0]).toMatchObject({ state: 'running', startedAt: final.startedAt });
		expect(statuses.at(-1)).toBe(final);
	});

	it('reports a non-zero exit code as failed, with its output', async () => {
		const { final } = await exec(nodeScript(`console.log('partial'); process.exit(3)`));
		expect(final).toMatchObject({ state: 'failed', exitCode: 3, stdout: { text: 'partial\n' } });
		expect(final.error).toBeUndefined();
	});

	it('passes arguments literally: no shell, so ; $(…) ` | * mean nothing', async () => {
		const canary = join(tmp.dir, 'pwned');
		const tricky = [
			`; touch ${canary}`,
			`$(touch ${canary})`,
			`\`touch ${canary}\``,
			`| touch ${canary}`,
			`&& touch ${canary}`,
			'*',
			'$HOME',
			'\'quoted\' "double"',
			'new\nline'
		];
		const { final } = await exec({ command: 'echo', args: tricky, cwd: tmp.dir });
		expect(final.state).toBe('succeeded');
		expect(final.stdout?.text).toBe(tricky.join(' ') + '\n');
		expect(existsSync(canary)).toBe(false);
		expect(readdirSync(tmp.dir)).toEqual([]);

		// And the program sees exactly the strings it was given.
		const { final: argv } = await exec(
			nodeScript('console.log(JSON.stringify(process.argv.slice(1)))', tricky)
		);
		expect(JSON.parse(argv.stdout!.text)).toEqual(tricky);
	});

	it('does not treat a command line as a command', async () => {
		const canary = join(tmp.dir, 'pwned');
		const { final } = await exec({ command: `echo hi; touch ${canary}` });
		expect(final).toMatchObject({ state: 'failed', exitCode: null });
		expect(final.error).toMatch(/no such program/);
		expect(existsSync(canary)).toBe(false);
	});

	it('uses cwd and env, and reports a missing working directory', async () => {
		const { final } = await exec({
			...nodeScript('console.log(process.cwd() + "|" + process.env.FD_TASK_TEST + "|" + !!process.env.PATH)'),
			cwd: tmp.dir,
			env: { FD_TASK_TEST: 'yes' }
		});
		expect(final.stdout?.text.trim()).toBe(`${tmp.dir}|yes|true`);
		const { final: missing } = await exec({ command: 'true', cwd: join(tmp.dir, 'nope') });
		expect(missing).toMatchObject({ state: 'failed', exitCode: null });
		expect(missing.error).toMatch(/working directory .* does not exist/);
	});

	it('times out: SIGTERM, and the process is gone', async () => {
		const t0 = Date.now();
		const { final } = await exec({
			...nodeScript('console.log(process.pid); setInterval(() => {}, 1000)'),
			timeoutMs: 1_000
		});
		expect(final.state).toBe('timed-out');
		expect(final.exitCode).toBeNull();
		expect(final.signal).toBe('SIGTERM');
		expect(final.error).toMatch(/longer than 1 s/);
		expect(Date.now() - t0).toBeLessThan(6_000);
		const pid = Number(final.stdout!.text.trim());
		expect(pid).toBeGreaterThan(0);
		expect(isAlive(pid)).toBe(false);
	});

	it('times out a program that ignores SIGTERM: SIGKILL after the grace, children included', async () => {
		// The program ignores SIGTERM and starts a child that ignores it too.
		const child = `process.on('SIGTERM',()=>{});console.log(process.pid);setInterval(()=>{},1000)`;
		const parent = `process.on('SIGTERM',()=>{});const c=require('child_process').spawn(process.execPath,['-e',${JSON.stringify(child)}],{stdio:['ignore','inherit','inherit']});console.log(process.pid);setInterval(()=>{},1000)`;
		// 4 s: on a loaded machine Node can take over a second to start and install its SIGTERM handler.
		const { final } = await exec({ ...nodeScript(parent), timeoutMs: 4_000 }, { killGraceMs: 300 });
		expect(final.state).toBe('timed-out');
		expect(final.signal).toBe('SIGKILL');
		const pids = final.stdout!.text.trim().split('\n').map(Number);
		expect(pids).toHaveLength(2);
		// The group's SIGKILL reaches the grandchild too.
		for (let i = 0; i < 20 && pids.some(isAlive); i++) await sleep(50);
		expect(pids.filter(isAlive)).toEqual([]);
	});

	it('caps output while streaming, keeps draining, and flags truncation', async () => {
		const { final } = await exec({
			...nodeScript(`process.stdout.write('é'.repeat(300000)); process.stderr.write('e'.repeat(5000))`),
			outputCapBytes: 1001,
			timeoutMs: 20_000
		});
		// The program finished: a reader that stopped reading would have blocked it until the timeout.
		expect(final.state).toBe('succeeded');
		expect(final.stdout).toMatchObject({ truncated: true, bytes: 600_000 });
		// 1001 bytes is 500 'é' and half a character, which is dropped, not shown as garbage.
		expect(final.stdout!.text).toBe('é'.repeat(500));
		expect(final.stderr).toEqual({ text: 'e'.repeat(1001), truncated: true, bytes: 5000 });
	});

	it('reports live progress at most every 500 ms, and the deltas add up to the output', async () => {
		const { final, statuses } = await exec(
			nodeScript(
				`let i=0;const t=setInterval(()=>{console.log('line '+i++);if(i===16){clearInterval(t)}},100)`
			)
		);
		expect(final.state).toBe('succeeded');
		const progress = statuses.filter((s) => s.state === 'running').slice(1);
		expect(progress.length).toBeGreaterThanOrEqual(2);
		expect(progress.length).toBeLessThanOrEqual(5);
		const text = progress.map((s) => (s.state === 'running' ? (s.stdoutDelta ?? '') : '')).join('');
		expect(final.stdout!.text.startsWith(text)).toBe(true);
		expect(text.length).toBeGreaterThan(0);
	});

	it('stops a running command when the agent shuts down', async () => {
		const ac = new AbortController();
		const args = execArgsSchema.parse({
			...nodeScript('console.log(process.pid); setInterval(() => {}, 1000)')
		});
		const running = runExec(args, { signal: ac.signal });
		await sleep(300);
		ac.abort();
		const outcome = await running;
		expect(outcome.state).toBe('failed');
		expect(outcome.error).toMatch(/agent stopped/);
		expect(isAlive(Number(outcome.stdout.text.trim()))).toBe(false);
	});

	it('finishes when the program exits even if a background child keeps its output open', async () => {
		const t0 = Date.now();
		const script = `require('child_process').spawn(process.execPath,['-e','setTimeout(()=>{},4000)'],{stdio:['ignore','inherit','inherit'],detached:false}).unref();console.log('parent done')`;
		const outcome = await runExec(execArgsSchema.parse({ ...nodeScript(script), timeoutMs: 10_000 }), {
			exitDrainMs: 300
		});
		expect(outcome).toMatchObject({ state: 'succeeded', exitCode: 0, stdout: { text: 'parent done\n' } });
		expect(Date.now() - t0).toBeLessThan(3_000);
	});
});
