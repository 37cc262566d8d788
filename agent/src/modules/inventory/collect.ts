// Runs the probes (systeminformation, the package manager) and normalises what they return. A probe that
// fails or does not answer in time counts as "unknown" for its part; the collection as a whole never takes
// longer than the slowest probe's time limit and never throws.
import os from 'node:os';
import * as si from 'systeminformation';
import { inventorySchema, type Inventory } from '../../../../src/lib/protocol/inventory';
import { buildInventory, type RawProbes } from './normalise';
import { collectSoftware } from './software';

export interface CollectOptions {
	/** Time limit per probe (default 20 s; the package manager gets twice that). */
	probeTimeoutMs?: number;
	signal?: AbortSignal;
	/** Called for each probe that failed or timed out (the module logs these at debug level). */
	onProbeError?: (probe: string, message: string) => void;
}

function bounded<T>(name: string, p: () => Promise<T>, ms: number, opts: CollectOptions): Promise<T | null> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			opts.onProbeError?.(name, `no answer within ${ms} ms`);
			resolve(null);
		}, ms);
		timer.unref?.();
		let out: Promise<T>;
		try {
			out = p();
		} catch (e) {
			out = Promise.reject(e);
		}
		out.then(
			(v) => {
				clearTimeout(timer);
				resolve(v ?? null);
			},
			(e: unknown) => {
				clearTimeout(timer);
				opts.onProbeError?.(name, e instanceof Error ? e.message : String(e));
				resolve(null);
			}
		);
	});
}

/** The raw probe results for this host. */
export async function runProbes(opts: CollectOptions = {}): Promise<RawProbes> {
	const ms = opts.probeTimeoutMs ?? 20_000;
	const b = <T>(name: string, p: () => Promise<T>) => bounded(name, p, ms, opts);
	const nets = await b('networkInterfaces', async () => {
		const n = await si.networkInterfaces();
		return Array.isArray(n) ? n : [n];
	});
	const [system, bios, baseboard, osInfo, uuid, cpu, mem, memLayout] = await Promise.all([
		b('system', () => si.system()),
		b('bios', () => si.bios()),
		b('baseboard', () => si.baseboard()),
		b('osInfo', () => si.osInfo()),
		b('uuid', () => si.uuid()),
		b('cpu', () => si.cpu()),
		b('mem', () => si.mem()),
		b('memLayout', () => si.memLayout())
	]);
	const [diskLayout, blockDevices, fsSize, defaultGateway, graphics, printers, usb, software] =
		await Promise.all([
			b('diskLayout', () => si.diskLayout()),
			b('blockDevices', () => si.blockDevices()),
			b('fsSize', () => si.fsSize()),
			b('networkGatewayDefault', () => si.networkGatewayDefault()),
			b('graphics', () => si.graphics()),
			b('printer', () => si.printer()),
			b('usb', () => si.usb()),
			bounded('software', () => collectSoftware(ms * 2, opts.signal), ms * 2 + 1000, opts)
		]);
	return {
		hostname: os.hostname(),
		platform: process.platform,
		system,
		bios,
		baseboard,
		os: osInfo,
		uuid,
		cpu,
		mem,
		memLayout,
		diskLayout,
		blockDevices,
		fsSize,
		networkInterfaces: nets,
		addresses: safe(() => os.networkInterfaces()),
		defaultGateway: defaultGateway || null,
		graphics,
		printers,
		usb,
		software
	};
}

function safe<T>(fn: () => T): T | null {
	try {
		return fn();
	} catch {
		return null;
	}
}

/**
 * Makes an inventory valid whatever a probe returned: a section that fails the protocol's schema is replaced
 * by "unknown" (null or []), so one odd value costs that section, not the whole report.
 */
export function validInventory(
	inv: Inventory,
	onDrop?: (section: string, message: string) => void
): Inventory {
	let cur: Record<string, unknown> = { ...inv };
	for (let i = 0; i < 20; i++) {
		const p = inventorySchema.safeParse(cur);
		if (p.success) return p.data;
		const issue = p.error.issues[0];
		const section = String(issue?.path[0] ?? '');
		onDrop?.(section, issue?.message ?? 'invalid');
		if (!(section in cur)) break;
		if (section === 'system') cur = { ...cur, system: { hostname: 'unknown' } };
		else if (section === 'os') cur = { ...cur, os: { platform: process.platform, name: process.platform } };
		else cur = { ...cur, [section]: Array.isArray(cur[section]) ? [] : null };
	}
	return inventorySchema.parse({
		system: { hostname: os.hostname().slice(0, 253) || 'unknown' },
		os: { platform: process.platform, name: process.platform }
	});
}

/** Collects this host's inventory (validated against the protocol). */
export async function collectInventory(opts: CollectOptions = {}): Promise<Inventory> {
	const raw = await runProbes(opts);
	return validInventory(buildInventory(raw), (s, m) => opts.onProbeError?.(`section ${s}`, m));
}
