// The virtual agents of one `simulate` run: each enrols through the real POST /enroll (or reuses the identity
// a previous run stored), then opens its own link. Enrolment runs a few at a time and links start at a set
// rate, so a thousand virtual agents do not arrive in the same second.
import path from 'node:path';
import type { AgentConfig } from '../config';
import { enroll, EnrollError } from '../enroll';
import type { Logger } from '../log';
import { hasIdentity, loadIdentity, type Identity } from '../store';
import { VirtualAgent, type SimModuleName } from './agent';
import { makeProfile, simHostname, type Profile } from './profile';

export interface FleetOptions {
	server: string;
	token?: string;
	count: number;
	dir: string;
	prefix: string;
	cfg: AgentConfig;
	modules: readonly SimModuleName[];
	/** Links started per second. */
	rate: number;
	/** Enrolments in flight at once. */
	enrolConcurrency: number;
	/** The first inventory of each agent goes out within this many ms after it is online. */
	inventoryWithinMs: number;
	/** Loopback source address for the n-th agent's enrolment (one per agent, as distinct hosts have). */
	sourceAddress?: (index: number) => string;
	/** One logger per virtual agent. */
	logFor(hostname: string): Logger;
	/** The simulator's own messages. */
	say(line: string): void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Fleet {
	readonly agents: VirtualAgent[] = [];
	enrolled = 0;
	reused = 0;
	enrolFailures = 0;
	private stopping = false;
	private nextStartAt = 0;
	readonly startedAt = Date.now();

	constructor(private readonly o: FleetOptions) {}

	get stopped(): boolean {
		return this.stopping;
	}

	/** Enrols (where needed) and starts every agent; resolves once all have been started or given up on. */
	async run(): Promise<void> {
		let next = 1;
		const worker = async () => {
			while (!this.stopping && next <= this.o.count) {
				const index = next++;
				const profile = makeProfile(this.o.prefix, index);
				const id = await this.identity(profile);
				if (!id || this.stopping) continue;
				await this.pace();
				if (this.stopping) return;
				const a = new VirtualAgent(
					profile,
					id,
					this.o.cfg,
					this.o.logFor(profile.hostname),
					this.o.modules,
					this.o.inventoryWithinMs
				);
				this.agents.push(a);
				a.start();
			}
		};
		await Promise.all(Array.from({ length: this.o.enrolConcurrency }, worker));
	}

	/** Waits for this link's slot: `rate` starts per second, in order. */
	private async pace(): Promise<void> {
		const now = Date.now();
		const at = Math.max(now, this.nextStartAt);
		this.nextStartAt = at + 1000 / this.o.rate;
		if (at > now) await sleep(at - now);
	}

	private async identity(p: Profile): Promise<Identity | null> {
		const dir = path.join(this.o.dir, simHostname(this.o.prefix, p.index));
		if (hasIdentity(dir)) {
			this.reused++;
			return loadIdentity(dir);
		}
		if (!this.o.token) {
			this.o.say(`${p.hostname}: no identity in ${dir} and no --token to enrol it; skipped.`);
			this.enrolFailures++;
			return null;
		}
		for (let attempt = 0; !this.stopping; attempt++) {
			try {
				await enroll({
					server: this.o.server,
					token: this.o.token,
					dir,
					hostname: p.hostname,
					os: p.os,
					localAddress: this.o.sourceAddress?.(p.index)
				});
				this.enrolled++;
				return loadIdentity(dir);
			} catch (e) {
				const msg = (e as Error).message;
				// The server limits enrolments per address and minute: wait as long as it says, then go on.
				const wait = /wait (\d+) s/.exec(msg);
				if (wait && e instanceof EnrollError) {
					if (attempt === 0 && !this.o.sourceAddress)
						this.o.say(
							'The server limits enrolments per address (30 a minute): waiting. On loopback, ' +
								'--source-net 127.1.0.0/16 enrols each virtual agent from its own address.'
						);
					await sleep((Number(wait[1]) + Math.random()) * 1000);
					continue;
				}
				// A refusal (token used up, expired, wrong) will not change by trying again.
				if (e instanceof EnrollError && /refused/.test(msg)) {
					this.o.say(`${p.hostname}: ${msg}`);
					this.enrolFailures++;
					return null;
				}
				if (attempt >= 4) {
					this.o.say(`${p.hostname}: enrolment failed, giving up: ${msg}`);
					this.enrolFailures++;
					return null;
				}
				await sleep(1000 * 2 ** attempt);
			}
		}
		return null;
	}

	counts() {
		let online = 0;
		let refused = 0;
		let stopped = 0;
		let queued = 0;
		let delivered = 0;
		let dropped = 0;
		for (const a of this.agents) {
			if (a.online) online++;
			else if (a.state === 'refused') refused++;
			else if (a.state === 'stopped') stopped++;
			queued += a.outbox.size;
			delivered += a.outbox.delivered;
			dropped += a.outbox.dropped;
		}
		const started = this.agents.length;
		return {
			started,
			online,
			connecting: started - online - refused - stopped,
			refused,
			stopped,
			queued,
			delivered,
			dropped
		};
	}

	async stop(timeoutMs = 5000): Promise<void> {
		this.stopping = true;
		for (const a of this.agents) a.stop();
		await Promise.race([Promise.all(this.agents.map((a) => a.done)), sleep(timeoutMs)]);
	}
}
