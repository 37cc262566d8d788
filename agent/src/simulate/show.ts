// `show` tasks on a virtual agent answer with synthetic rows of the same shape a real host returns, built
// from the virtual machine's profile (its cores, memory, filesystems) instead of reading this host.
import {
	SHOW_PROCESSES_DEFAULT_LIMIT,
	showArgsSchema,
	type ShowProcessRow,
	type ShowResult
} from '../../../src/lib/protocol/show';
import type { JsonValue } from '../../../src/lib/protocol/tasks';
import type { AgentModule } from '../modules/types';
import { usedShare, type Profile } from './profile';
import { baseLoad } from './metrics';
import { between, hash32, seeded } from './rng';

const DAEMONS = [
	'systemd',
	'systemd-journald',
	'systemd-udevd',
	'systemd-logind',
	'dbus-daemon',
	'cron',
	'rsyslogd',
	'sshd',
	'chronyd',
	'agetty',
	'nginx',
	'php-fpm8.2',
	'postgres',
	'redis-server',
	'containerd',
	'dockerd',
	'haproxy',
	'node_exporter',
	'zabbix_agentd',
	'fleetdesk-agent',
	'java',
	'memcached',
	'mariadbd',
	'varnishd'
];

const r1 = (n: number) => Math.round(n * 10) / 10;

export function syntheticShow(p: Profile, rawArgs: unknown, now = Date.now()): ShowResult {
	const args = showArgsSchema.parse(rawArgs);
	const rng = seeded(`${p.hostname}#show#${now}`);
	const busy = baseLoad(p);
	switch (args.table) {
		case 'cpus':
			return {
				table: 'cpus',
				rows: Array.from({ length: p.threads }, (_, cpu) => {
					const user = r1(Math.max(0, busy * 0.7 + (rng() - 0.5) * 10));
					const system = r1(Math.max(0, busy * 0.25 + (rng() - 0.5) * 3));
					const wait = r1(rng() * 2);
					return { cpu, user, system, wait, idle: r1(Math.max(0, 100 - user - system - wait)) };
				})
			};
		case 'filesystems':
			return {
				table: 'filesystems',
				rows: p.filesystems.map((f) => {
					const used = f.sizeBytes * usedShare(p.hostname, f, now);
					return {
						size: f.sizeBytes,
						avail: Math.round(f.sizeBytes - used),
						usedPct: r1((used / f.sizeBytes) * 100),
						mount: f.mount,
						device: f.device,
						type: f.type
					};
				})
			};
		case 'memory': {
			const total = p.memMb * 1024 * 1024;
			const used = Math.round(total * (0.15 + (hash32(p.hostname + '#mem') % 60) / 100));
			const swap = p.swapMb * 1024 * 1024;
			const swapUsed = Math.round(swap * 0.03);
			return {
				table: 'memory',
				rows: [
					{ kind: 'real', total, used, free: total - used },
					{ kind: 'swap', total: swap, used: swapUsed, free: swap - swapUsed }
				]
			};
		}
		case 'processes': {
			const count = 80 + (hash32(p.hostname + '#procs') % 200);
			const rows: ShowProcessRow[] = Array.from({ length: count }, (_, i) => {
				const name = i < DAEMONS.length ? DAEMONS[i] : `kworker/${i % p.threads}:${i % 3}`;
				const res = name.startsWith('kworker') ? 0 : between(rng, 2, 800) * 1024 * 1024;
				return {
					pid: i === 0 ? 1 : 100 + ((hash32(`${p.hostname}#pid${i}`) % 60_000) | 0),
					size: res ? res * 3 : 0,
					res,
					cpu: r1(name.startsWith('kworker') ? rng() * 0.5 : rng() * busy * 0.5),
					name
				};
			});
			rows.sort((a, b) => b.cpu - a.cpu);
			const limit = args.all ? rows.length : (args.limit ?? SHOW_PROCESSES_DEFAULT_LIMIT);
			return { table: 'processes', rows: rows.slice(0, limit) };
		}
	}
}

export function simShowModule(p: Profile): AgentModule {
	return {
		name: 'show',
		start(ctx) {
			ctx.registerTask('show', async (args) => ({ result: syntheticShow(p, args) as unknown as JsonValue }));
		}
	};
}
