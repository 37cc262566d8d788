// One virtual agent: its own identity (key, certificate), report buffer and mutual-TLS link, running the
// real task runner and the metrics module, with a synthetic machine behind them.
import type { AgentConfig } from '../config';
import { Link, LinkFatal } from '../link';
import type { Logger } from '../log';
import { Outbox } from '../outbox';
import { startModules, type ModuleHost } from '../modules/host';
import { tasksModule } from '../modules/tasks';
import { createMetricsModule } from '../modules/metrics';
import type { AgentModule } from '../modules/types';
import type { Identity } from '../store';
import { startCertRenewal, type CertRenewal } from '../renew';
import { AGENT_VERSION } from '../version';
import { simInventoryModule } from './inventory';
import { profileSampler } from './metrics';
import type { Profile } from './profile';
import { simShowModule } from './show';

export const SIM_MODULE_NAMES = ['tasks', 'inventory', 'metrics'] as const;
export type SimModuleName = (typeof SIM_MODULE_NAMES)[number];

/** Counts what went through, for the status line. */
export class CountingOutbox extends Outbox {
	delivered = 0;
	override shift(p: Parameters<Outbox['shift']>[0]): void {
		if (this.first() === p) this.delivered++;
		super.shift(p);
	}
}

/** Running (online or connecting: see `online`), stopped, or refused for good (revoked, unknown). */
export type AgentState = 'running' | 'stopped' | 'refused';

export class VirtualAgent {
	readonly outbox: CountingOutbox;
	readonly link: Link;
	private readonly identity: Identity;
	private modules: ModuleHost | null = null;
	private renewal: CertRenewal | null = null;
	private readonly storeDir: string;
	state: AgentState = 'running';
	/** When the link first became ready (ms since epoch). */
	firstReadyAt: number | null = null;
	readonly done: Promise<void>;

	constructor(
		readonly profile: Profile,
		identity: Identity,
		private readonly cfg: AgentConfig,
		private readonly log: Logger,
		private readonly enabled: readonly SimModuleName[],
		private readonly inventoryWithinMs: number
	) {
		this.outbox = new CountingOutbox(cfg.buffer.maxMessages, cfg.buffer.maxBytes);
		// dir '' : the task module keeps nonces in memory; thousands of agents must not write files per task.
		this.identity = { ...identity, dir: '' };
		this.storeDir = identity.dir;
		this.link = new Link(this.identity, cfg, this.outbox, log, {
			hostname: profile.hostname,
			os: profile.os
		});
		this.done = this.link.done.then(
			() => {
				this.state = 'stopped';
			},
			(e: Error) => {
				this.state = e instanceof LinkFatal ? 'refused' : 'stopped';
				log('error', `stopped: ${e.message}`);
			}
		);
	}

	start(): void {
		const mods: AgentModule[] = [];
		if (this.enabled.includes('tasks')) mods.push(tasksModule, simShowModule(this.profile));
		if (this.enabled.includes('inventory'))
			mods.push(simInventoryModule(this.profile, { firstWithinMs: this.inventoryWithinMs }));
		if (this.enabled.includes('metrics')) mods.push(createMetricsModule(() => profileSampler(this.profile)));
		this.outbox.push('event', {
			level: 'info',
			message: `virtual agent ${AGENT_VERSION} started (fleetdesk-agent simulate)`
		});
		this.link.onReady(() => {
			this.firstReadyAt ??= Date.now();
		});
		this.modules = startModules(mods, {
			identity: this.identity,
			cfg: this.cfg,
			log: this.log,
			outbox: this.outbox,
			link: this.link
		});
		this.renewal = startCertRenewal({
			link: this.link,
			identity: this.identity,
			log: this.log,
			outbox: this.outbox,
			storeDir: this.storeDir
		});
		this.link.start();
	}

	/** Online means the server accepted this run's latest hello and the link is still up. */
	get online(): boolean {
		return this.link.isReady;
	}

	stop(): void {
		this.modules?.stop();
		this.renewal?.stop();
		this.link.stop();
	}
}
