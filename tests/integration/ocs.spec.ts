// The real ocsinventory-agent (Debian's package, 2.10) against a real Fleetdesk server: POST /ocsinventory.
// The agent runs unmodified except for firmware access: VMs and containers have no DMI tables, so it gets
// those of a physical server (tests/fixtures/ocs: a dmidecode stand-in on PATH, and the agent's Dmidecode
// check without its /dev/mem test through PERL5LIB). Everything else it reads from this machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import pg from 'pg';
import { dbKinds, freshPostgres } from '../helpers/db';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';

const OCS_PASSWORD = 'ocs-password-for-tests';
const REALM = 'Fleetdesk OCS';
const FIXTURES = path.join(ROOT, 'tests/fixtures/ocs');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const basic = (user: string, password: string) => `Basic ${b64(`${user}:${password}`)}`;

/** CI installs the agent in .ci/run; a developer's machine gets it here when the tests run as root. */
function ensureOcsAgent() {
	if (spawnSync('sh', ['-c', 'command -v ocsinventory-agent']).status === 0) return;
	if (process.getuid?.() !== 0)
		throw new Error('ocsinventory-agent is not installed: run `apt-get install ocsinventory-agent` as root.');
	const r = spawnSync(
		'sh',
		[
			'-c',
			'apt-get install -y -qq ocsinventory-agent || (apt-get update -qq && apt-get install -y -qq ocsinventory-agent)'
		],
		{ env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, encoding: 'utf8', timeout: 540_000 }
	);
	if (r.status !== 0) throw new Error(`installing ocsinventory-agent failed:\n${r.stdout}\n${r.stderr}`);
}

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'fleetdesk-ocs-'));

/** Runs ocsinventory-agent; `--nolocal` (with --server) because Debian's default configuration sets local=. */
function agent(args: string[]): Promise<{ code: number | null; out: string }> {
	const local = args.some((a) => a.startsWith('--local='));
	return new Promise((resolve, reject) => {
		const p = spawn('ocsinventory-agent', local ? args : ['--nolocal', ...args], {
			cwd: os.tmpdir(),
			env: {
				...process.env,
				PATH: `${FIXTURES}/bin:${process.env.PATH}`,
				PERL5LIB: `${FIXTURES}/perl`
			},
			stdio: ['ignore', 'pipe', 'pipe']
		});
		let out = '';
		p.stdout.on('data', (d) => (out += d));
		p.stderr.on('data', (d) => (out += d));
		const timer = setTimeout(() => p.kill('SIGKILL'), 50_000);
		p.on('error', reject);
		p.on('exit', (code) => {
			clearTimeout(timer);
			resolve({ code, out });
		});
	});
}

/** What the agent reports on this machine, written locally (--local) to know what to expect. */
async function localReport(): Promise<string> {
	const dir = tempDir();
	const r = await agent([`--local=${dir}`, `--basevardir=${dir}/var`]);
	const file = fs.readdirSync(dir).find((f) => f.endsWith('.ocs'));
	if (r.code !== 0 || !file) throw new Error(`ocsinventory-agent --local failed (${r.code}):\n${r.out}`);
	return fs.readFileSync(path.join(dir, file), 'utf8');
}

/** The values of one field over every entry of one section of an OCS XML report. */
function fields(xml: string, section: string, field: string): string[] {
	const out: string[] = [];
	for (const m of xml.matchAll(new RegExp(`<${section}>([^]*?)</${section}>`, 'g'))) {
		const v = new RegExp(`<${field}>([^<]*)</${field}>`).exec(m[1])?.[1];
		if (v !== undefined) out.push(v);
	}
	return out;
}

interface CiItem {
	id: number;
	name: string;
	version: number;
	updatedAt: string;
	data: Record<string, unknown>;
}
interface CiView extends CiItem {
	relations: {
		id: number;
		domain: string;
		other: { id: number; name: string; class: string };
		data: unknown;
	}[];
}
interface OcsHost {
	ocsDeviceId: string;
	key: string;
	deviceId: number | null;
	deviceName: string | null;
	hostname: string;
	lastPrologAt: string | null;
	lastInventoryAt: string | null;
	userAgent: string;
	canReceiveTasks: boolean;
}

describe.each(await dbKinds())('OCS Inventory endpoint on %s', (kind) => {
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let server: RunningServer;
	let cookie: string;
	let env: Record<string, string>;
	let local: string;
	const vardir = tempDir();
	let deviceId = '';

	const call = async <T>(p: string, input?: unknown) => {
		const r = await trpcCall(server.url, cookie, p, input);
		if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
		return r.body.result!.data as T;
	};
	const agentArgs = (extra: string[] = [], password = OCS_PASSWORD) => [
		`--server=${server.url}/ocsinventory`,
		`--basevardir=${vardir}`,
		// ocsinventory-agent 2.10 base64-decodes --user and --password before use.
		`--user=${b64('ocs')}`,
		`--password=${b64(password)}`,
		`--realm=${REALM}`,
		...extra
	];
	/** Where the agent keeps its state (DEVICEID, PROLOG_FREQ) for this server URL. */
	const stateDir = () => path.join(vardir, `${server.url}/ocsinventory`.replace(/\//g, '_'));
	const post = (body: Uint8Array | string, headers: Record<string, string | null> = {}) => {
		const h: Record<string, string> = {
			'content-type': 'application/x-compress',
			authorization: basic('ocs', OCS_PASSWORD)
		};
		for (const [k, v] of Object.entries(headers))
			if (v === null) delete h[k];
			else h[k] = v;
		return fetch(`${server.url}/ocsinventory`, {
			method: 'POST',
			headers: h,
			body: typeof body === 'string' ? body : new Uint8Array(body)
		});
	};
	const prolog = (id: string) =>
		zlib.deflateSync(
			`<?xml version="1.0" encoding="UTF-8"?>\n<REQUEST><DEVICEID>${id}</DEVICEID><QUERY>PROLOG</QUERY></REQUEST>\n`
		);
	const replyOf = async (res: Response) => zlib.inflateSync(Buffer.from(await res.arrayBuffer())).toString();

	const hosts = () => call<OcsHost[]>('ocs.hosts');
	const deviceCi = async (): Promise<CiView> => {
		const list = await call<{ items: CiItem[] }>('cmdb.list', {
			class: 'Device',
			filters: [{ attr: 'agentId', op: '=', value: `ocs:${deviceId}` }]
		});
		expect(list.items).toHaveLength(1);
		return call<CiView>('cmdb.get', { id: list.items[0].id });
	};
	/** Every CI of the inventory classes (id, version, time) and the device's relations: any write shows. */
	const cmdbState = async () => {
		const cis: string[] = [];
		for (const cls of ['Device', 'Memory', 'Storage', 'NetworkAdapter', 'SoftwareProduct'])
			for (let offset = 0; ; offset += 500) {
				const page = await call<{ items: CiItem[] }>('cmdb.list', {
					class: cls,
					limit: 500,
					offset,
					sort: 'name'
				});
				cis.push(...page.items.map((c) => `${c.id}@${c.version}@${c.updatedAt}`));
				if (page.items.length < 500) break;
			}
		const device = deviceId ? await deviceCi() : null;
		const history = device ? await call<unknown[]>('cmdb.history', { id: device.id }) : [];
		let sqlState = '';
		if (pgdb) {
			const c = new pg.Client({ connectionString: pgdb.url });
			await c.connect();
			const r = await c.query(`select
				(select count(*) || '/' || coalesce(max(id), 0) from cmdb_history) as history,
				(select count(*) || '/' || coalesce(max(id), 0) from cmdb_relations) as relations,
				(select count(*) || '/' || coalesce(max(updated_at)::text, '') from cmdb_cis) as cis,
				(select count(*) from devices) as devices, (select count(*) from ocs_hosts) as hosts`);
			await c.end();
			sqlState = JSON.stringify(r.rows[0]);
		}
		return {
			cis: cis.sort(),
			relations: JSON.stringify(device?.relations ?? []),
			history: history.length,
			sqlState
		};
	};

	beforeAll(async () => {
		ensureOcsAgent();
		local = await localReport();
		pgdb = kind === 'postgres' ? await freshPostgres() : null;
		env = {
			FLEETDESK_OCS_PASSWORD: OCS_PASSWORD,
			FLEETDESK_AGENT_PORT: '0',
			...(pgdb ? { DATABASE_URL: pgdb.url } : {})
		};
		server = await startServer(env);
		if (!pgdb) env = { ...env, FLEETDESK_DATA_DIR: server.dataDir, DATABASE_URL: '' };
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
	}, 600_000);
	afterAll(async () => {
		await server?.stop();
		await pgdb?.drop();
	});

	it('takes the real agent’s report (--force) into the CMDB: a Device CI with its parts, source "inventory"', async () => {
		// --tag travels as ACCOUNTINFO (KEYNAME TAG): kept with the host, shown in the Fleet app.
		const r = await agent(agentArgs(['--force', '--tag=lab-rack-7']));
		expect(r.code, r.out).toBe(0);
		deviceId = /<DEVICEID>([^<]+)<\/DEVICEID>/.exec(
			fs.readFileSync(path.join(stateDir(), 'ocsinv.conf'), 'utf8')
		)![1];
		const hostname = fields(local, 'HARDWARE', 'NAME')[0];
		expect(deviceId.startsWith(`${hostname}-`)).toBe(true);

		const device = await deviceCi();
		expect(device.name).toBe(hostname);
		expect(device.data).toMatchObject({
			agentId: `ocs:${deviceId}`,
			hostname,
			manufacturer: 'Dell Inc.',
			model: 'PowerEdge R640',
			serialNumber: '7XK2Q33',
			ramMb: Number(fields(local, 'HARDWARE', 'MEMORY')[0])
		});
		const children = (cls: string) =>
			device.relations.filter((x) => x.other.class === cls).map((x) => x.other.name);
		// Memory modules from the firmware tables; the empty socket B1 is not a module.
		expect(children('Memory').sort()).toEqual(['A1 (32 GiB DDR4)', 'A2 (32 GiB DDR4)']);
		const disks = fields(local, 'STORAGES', 'NAME').filter((n) => !/^(zram|ram|loop|sr)\d*$/.test(n));
		expect(disks.length).toBeGreaterThan(0);
		for (const d of disks)
			expect(
				children('Storage').some((n) => n.includes(`/dev/${d}`)),
				d
			).toBe(true);
		const nics = [...new Set(fields(local, 'NETWORKS', 'DESCRIPTION'))];
		expect(
			children('NetworkAdapter')
				.map((n) => n.split(' ')[0])
				.sort()
		).toEqual(nics.sort());
		const software = children('SoftwareProduct');
		expect(software).toContain('ocsinventory-agent');
		expect(software).toContain('perl');
		expect(software.length).toBeGreaterThan(fields(local, 'SOFTWARES', 'NAME').length * 0.9);

		const history = await call<{ source: string }[]>('cmdb.history', { id: device.id });
		expect(history.map((h) => h.source)).toContain('inventory');
		const memory = device.relations.find((x) => x.other.class === 'Memory')!;
		expect((await call<{ source: string }[]>('cmdb.history', { id: memory.other.id }))[0].source).toBe(
			'inventory'
		);

		// A device in the OCS group, marked as one that cannot receive tasks.
		const [host] = (await hosts()).filter((h) => h.ocsDeviceId === deviceId);
		expect(host).toMatchObject({
			key: `ocs:${deviceId}`,
			hostname,
			deviceName: hostname,
			tag: 'lab-rack-7',
			canReceiveTasks: false
		});
		expect(host.lastInventoryAt).not.toBeNull();
		expect(host.userAgent).toMatch(/^OCS-NG_unified_unix_agent_v/);
		const groups = await call<{ name: string; deviceIds: number[] }[]>('groups.list');
		expect(groups.find((g) => g.name === 'ocs')?.deviceIds).toContain(host.deviceId);
	});

	it('writes no CMDB row when the same host reports again unchanged', async () => {
		const before = await cmdbState();
		const r = await agent(agentArgs(['--force']));
		expect(r.code, r.out).toBe(0);
		expect(await cmdbState()).toEqual(before);
	});

	it('answers STOP to a PROLOG from a freshly inventoried host, so the agent without --force sends nothing', async () => {
		const before = await cmdbState();
		const r = await agent(agentArgs());
		expect(r.code, r.out).toBe(0);
		expect(r.out).toMatch(/Don't send the inventory/);
		expect(r.out).toMatch(/PROLOG_FREQ has changed since last process\(old=,new=12\)/);
		const [host] = (await hosts()).filter((h) => h.ocsDeviceId === deviceId);
		expect(host.lastPrologAt).not.toBeNull();
		expect(await cmdbState()).toEqual(before);
		const reply = await replyOf(await post(prolog(deviceId)));
		expect(reply).toContain('<RESPONSE>STOP</RESPONSE>');
	});

	it('answers SEND to a PROLOG from a host it has never seen, and records nothing for it', async () => {
		const res = await post(prolog('newhost-2026-01-31-09-15-02'));
		expect(res.status).toBe(200);
		expect(res.headers.get('content-type')).toBe('application/x-compressed');
		expect(await replyOf(res)).toMatch(
			/<REPLY><RESPONSE>SEND<\/RESPONSE><PROLOG_FREQ>12<\/PROLOG_FREQ><\/REPLY>/
		);
		expect((await hosts()).map((h) => h.ocsDeviceId)).toEqual([deviceId]);
	});

	it('refuses bad input with a clear error and changes nothing', async () => {
		const before = await cmdbState();
		const hostsBefore = JSON.stringify(await hosts());
		const devicesBefore = (await call<unknown[]>('groups.devices')).length;
		const refused = async (res: Response, status: number, message: RegExp) => {
			expect(res.status).toBe(status);
			const body = (await res.json()) as { error: { message: string } };
			expect(body.error.message).toMatch(message);
		};
		const inventoryXml = fs
			.readFileSync(path.join(FIXTURES, 'physical-debian.ocs'), 'utf8')
			.replace(/<DEVICEID>[^<]+</, `<DEVICEID>${deviceId}<`);

		const noAuth = await post(prolog(deviceId), { authorization: null });
		expect(noAuth.headers.get('www-authenticate')).toBe(`Basic realm="${REALM}", charset="UTF-8"`);
		await refused(noAuth, 401, /HTTP Basic authentication/);
		await refused(
			await post(prolog(deviceId), { authorization: basic('ocs', 'wrong-password') }),
			401,
			/realm "Fleetdesk OCS"/
		);
		await refused(
			await post(prolog(deviceId), { 'content-type': 'text/xml' }),
			415,
			/application\/x-compress \(not text\/xml\)/
		);
		await refused(await post('this is not zlib'), 400, /not zlib-compressed/);
		await refused(await post(inventoryXml), 400, /XML is not compressed/);
		const bomb = zlib.deflateSync(Buffer.alloc(48 * 1024 * 1024, 0x20), { level: 9 });
		await refused(await post(bomb), 413, /inflates to more than 32 MB/);
		await refused(await post(zlib.deflateSync('{"QUERY": "INVENTORY"}')), 400, /not well-formed XML/);
		const entities = `<?xml version="1.0"?>\n<!DOCTYPE REQUEST [<!ENTITY big "${'x'.repeat(100)}">]>\n${inventoryXml.replace(/^<\?xml[^>]*>\n/, '').replace('<NAME>perl</NAME>', '<NAME>&big;</NAME>')}`;
		await refused(await post(zlib.deflateSync(entities)), 400, /DOCTYPE/);
		await refused(
			await post(zlib.deflateSync(inventoryXml.replace('<QUERY>INVENTORY', '<QUERY>UPDATE'))),
			400,
			/UPDATE is not served/
		);
		await refused(
			await post(zlib.deflateSync(inventoryXml.replace(/<NAME>vm<\/NAME>/, ''))),
			400,
			/no <HARDWARE><NAME>/
		);
		// The real agent with a wrong password stops at the 401.
		const wrong = await agent(agentArgs(['--force'], 'wrong-password'));
		expect(wrong.code).toBe(1);
		expect(wrong.out).toMatch(/401 Unauthorized/);

		expect(await cmdbState()).toEqual(before);
		expect(JSON.stringify(await hosts())).toBe(hostsBefore);
		expect((await call<unknown[]>('groups.devices')).length).toBe(devicesBefore);
		expect(server.output()).toMatch(/ocs: refused a request from 127\.0\.0\.1: wrong user name or password/);
	});

	it('asks again once the period is over, and the unchanged report still writes nothing', async () => {
		const oldState = stateDir();
		await server.stop();
		server = await startServer({ ...env, FLEETDESK_INVENTORY_INTERVAL_HOURS: '0.001' });
		// The agent keeps its DEVICEID per server URL, and the new process listens on another port.
		fs.renameSync(oldState, stateDir());
		cookie = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const before = await cmdbState();
		const [old] = (await hosts()).filter((h) => h.ocsDeviceId === deviceId);
		await new Promise((r) => setTimeout(r, 3700));
		const r = await agent(agentArgs());
		expect(r.code, r.out).toBe(0);
		expect(r.out).not.toMatch(/Don't send the inventory/);
		const [now] = (await hosts()).filter((h) => h.ocsDeviceId === deviceId);
		expect(new Date(now.lastInventoryAt!).getTime()).toBeGreaterThan(
			new Date(old.lastInventoryAt!).getTime()
		);
		expect(await cmdbState()).toEqual(before);
	});
});

describe('OCS Inventory endpoint without FLEETDESK_OCS_PASSWORD', () => {
	let server: RunningServer;
	beforeAll(async () => {
		server = await startServer({ FLEETDESK_AGENT_PORT: '0' });
	});
	afterAll(() => server?.stop());

	it('is off and says how to turn it on', async () => {
		const res = await fetch(`${server.url}/ocsinventory`, {
			method: 'POST',
			headers: { 'content-type': 'application/x-compress', authorization: basic('ocs', 'anything') },
			body: zlib.deflateSync('<REQUEST/>')
		});
		expect(res.status).toBe(404);
		expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
			/endpoint is off: set FLEETDESK_OCS_PASSWORD/
		);
	});
});
