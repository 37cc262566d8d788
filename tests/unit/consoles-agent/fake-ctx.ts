// The edge of the agent, faked: a ModuleContext whose link the test controls (up, down, what the server
// answers). Everything behind it — the consoles module, its pipes and drivers — is the real code.
import crypto from 'node:crypto';
import { randomUUID } from 'node:crypto';
import type { AgentSettings } from '../../../src/lib/protocol/agent';
import {
	type ConsoleOpenArgsInput,
	type PipeInventoryAck,
	type PipeInventoryItem,
	type PipeOutputMessage,
	type PipeStateMessage
} from '../../../src/lib/protocol/consoles';
import { TASK_ARGS_SCHEMAS, type TaskEnvelope } from '../../../src/lib/protocol/tasks';
import { agentConfigSchema, type AgentConfig } from '../../../agent/src/config';
import { consolesModule } from '../../../agent/src/modules/consoles';
import type { ModuleContext } from '../../../agent/src/modules/types';
import type { Identity } from '../../../agent/src/store';
import type { TaskHandler } from '../../../agent/src/tasks/runner';

export type Emitted =
	| { event: 'pipe:output'; m: PipeOutputMessage }
	| { event: 'pipe:state'; m: PipeStateMessage }
	| { event: 'pipe:inventory'; items: PipeInventoryItem[] };

export function agentKeys() {
	const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
	return {
		keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
		publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string
	};
}

export interface FakeAgent {
	ctx: ModuleContext;
	cfg: AgentConfig;
	publicPem: string;
	emitted: Emitted[];
	/** What the server answers to pipe:inventory (default: resume from what it "stored", close nothing). */
	answerInventory: (items: PipeInventoryItem[]) => PipeInventoryAck | null;
	/** Bytes the fake socket reports as queued. */
	pending: number;
	/** Runs a task kind as the tasks module would after verification (args parsed by the kind's schema). */
	task(kind: 'console-open' | 'console-close', args: unknown): Promise<unknown>;
	open(args: Partial<ConsoleOpenArgsInput> & Pick<ConsoleOpenArgsInput, 'target'>): Promise<{
		pipeId: string;
		state: string;
		hostKeySha256?: string;
	}>;
	server<E extends 'pipe:input' | 'pipe:resize' | 'pipe:break' | 'pipe:stored'>(event: E, m: unknown): void;
	up(): void;
	down(): void;
	/** Output bytes sent for a pipe, in order of sending (duplicates included). */
	output(pipeId: string): PipeOutputMessage[];
	/** Output as text, each seq counted once (what a deduplicating server keeps). */
	text(pipeId: string): string;
	states(pipeId: string): PipeStateMessage[];
	waitFor(pred: () => boolean, what: string, timeoutMs?: number): Promise<void>;
	waitForText(pipeId: string, text: string | RegExp, timeoutMs?: number): Promise<void>;
	stop(): void;
}

export function fakeAgent(config: unknown = {}): FakeAgent {
	const cfg = agentConfigSchema.parse(config);
	const { keyPem, publicPem } = agentKeys();
	const handlers: Record<string, TaskHandler> = {};
	const listeners = new Map<string, ((m: unknown) => void)[]>();
	const ready: ((s: AgentSettings) => void)[] = [];
	const downs: (() => void)[] = [];
	const abort = new AbortController();
	let linkUp = true;
	const stored = new Map<string, number>();

	const fake: FakeAgent = {
		cfg,
		publicPem,
		emitted: [],
		pending: 0,
		answerInventory: (items) => ({
			resume: items.map((i) => ({ pipeId: i.pipeId, storedSeq: stored.get(i.pipeId) ?? 0 })),
			close: []
		}),
		ctx: {
			identity: { agentId: 'agent-1', key: keyPem } as Identity,
			cfg,
			log: () => {},
			report: () => true,
			backlog: () => 0,
			on: (event, fn) => {
				listeners.set(event, [...(listeners.get(event) ?? []), fn as (m: unknown) => void]);
			},
			onReady: (fn) => void ready.push(fn),
			onDown: (fn) => void downs.push(fn),
			emit: (event, ...args) => {
				if (!linkUp) return false;
				if (event === 'pipe:output') fake.emitted.push({ event, m: args[0] as PipeOutputMessage });
				else if (event === 'pipe:state') fake.emitted.push({ event, m: args[0] as PipeStateMessage });
				else if (event === 'pipe:inventory') {
					const items = args[0] as PipeInventoryItem[];
					fake.emitted.push({ event, items });
					const answer = fake.answerInventory(items);
					const ack = args[1] as (a: PipeInventoryAck) => void;
					if (answer) setTimeout(() => ack(answer), 1);
				}
				return true;
			},
			pendingBytes: () => fake.pending,
			settings: () => null,
			registerTask: (kind, h) => void (handlers[kind] = h),
			taskHandlers: () => handlers,
			signal: abort.signal
		},
		async task(kind, args) {
			const parsed = TASK_ARGS_SCHEMAS[kind].parse(args);
			const envelope = { id: randomUUID(), kind } as unknown as TaskEnvelope;
			return (await handlers[kind](parsed, { envelope, signal: abort.signal })).result;
		},
		async open(args) {
			const full = { consoleId: 1, pipeId: randomUUID(), ...args };
			return (await fake.task('console-open', full)) as { pipeId: string; state: string };
		},
		server(event, m) {
			if (event === 'pipe:stored') {
				const s = m as { pipeId: string; seq: number };
				stored.set(s.pipeId, Math.max(stored.get(s.pipeId) ?? 0, s.seq));
			}
			for (const fn of listeners.get(event) ?? []) fn(m);
		},
		up() {
			linkUp = true;
			for (const fn of ready) fn({} as AgentSettings);
		},
		down() {
			linkUp = false;
			for (const fn of downs) fn();
		},
		output: (pipeId) =>
			fake.emitted.flatMap((e) => (e.event === 'pipe:output' && e.m.pipeId === pipeId ? [e.m] : [])),
		text(pipeId) {
			const bySeq = new Map<number, Uint8Array>();
			for (const m of fake.output(pipeId)) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m.data);
			const seqs = [...bySeq.keys()].sort((a, b) => a - b);
			return Buffer.concat(seqs.map((s) => bySeq.get(s)!)).toString('latin1');
		},
		states: (pipeId) =>
			fake.emitted.flatMap((e) => (e.event === 'pipe:state' && e.m.pipeId === pipeId ? [e.m] : [])),
		async waitFor(pred, what, timeoutMs = 10_000) {
			const end = Date.now() + timeoutMs;
			while (!pred()) {
				if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
				await new Promise((r) => setTimeout(r, 10));
			}
		},
		async waitForText(pipeId, text, timeoutMs = 10_000) {
			const has = () =>
				typeof text === 'string' ? fake.text(pipeId).includes(text) : text.test(fake.text(pipeId));
			await fake
				.waitFor(
					has,
					`${String(text)} in the output (got ${JSON.stringify(fake.text(pipeId).slice(-300))})`,
					timeoutMs
				)
				.catch(() => {
					throw new Error(
						`timed out waiting for ${String(text)}; output so far: ${JSON.stringify(fake.text(pipeId).slice(-500))}`
					);
				});
		},
		stop: () => abort.abort()
	};
	consolesModule.start(fake.ctx);
	fake.up();
	return fake;
}
