import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import SwaggerParser from '@apidevtools/swagger-parser';
import { dbKinds, freshPostgres, type DbKind } from '../helpers/db';
import { ADMIN_PASSWORD, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import { openDatabase } from '../../src/server/db/client';
import { apiRoutes } from '../../src/server/api';

const kinds = await dbKinds();

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Res {
	status: number;
	headers: Headers;
	body: Json;
}
interface CallOpts {
	token?: string;
	cookie?: string;
	body?: unknown;
	raw?: string;
	headers?: Record<string, string>;
}

const OPERATOR = 2;
const VIEWER = 3;

describe.each(kinds)('REST API /api/v1 on %s', (kind: DbKind) => {
	let server: RunningServer;
	let pgdb: Awaited<ReturnType<typeof freshPostgres>> | null = null;
	let admin: string;
	let adminWrite: string;

	const start = async (dataDir?: string) => {
		server = await startServer({
			...(pgdb ? { DATABASE_URL: pgdb.url } : {}),
			...(dataDir ? { FLEETDESK_DATA_DIR: dataDir } : {})
		});
	};

	/** Runs SQL on the server's database; PGlite is single-process, so the server stops meanwhile. */
	async function runSql(query: string, params: unknown[] = []): Promise<void> {
		if (pgdb) {
			const c = new pg.Client({ connectionString: pgdb.url });
			await c.connect();
			await c.query(query, params);
			await c.end();
			return;
		}
		const dataDir = server.dataDir;
		await server.stop();
		const database = await openDatabase({ dataDir });
		const client = (
			database.db as unknown as { $client: { query(q: string, p: unknown[]): Promise<unknown> } }
		).$client;
		await client.query(query, params);
		await database.close();
		await start(dataDir);
	}

	async function call(method: string, path: string, o: CallOpts = {}): Promise<Res> {
		const headers: Record<string, string> = { ...o.headers };
		if (o.token) headers.authorization = `Bearer ${o.token}`;
		if (o.cookie) headers.cookie = o.cookie;
		let body: string | undefined = o.raw;
		if (o.body !== undefined) {
			body = JSON.stringify(o.body);
			headers['content-type'] ??= 'application/json';
		}
		const url = path.startsWith('http') ? path : `${server.url}/api/v1${path}`;
		const res = await fetch(url, { method, headers, body });
		const text = await res.text();
		let parsed: Json = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			/* not JSON: keep the text so the assertion shows it */
		}
		return { status: res.status, headers: res.headers, body: parsed };
	}

	async function createToken(cookie: string, input: Record<string, unknown>): Promise<Json> {
		const r = await trpcCall(server.url, cookie, 'apiTokens.create', input, 'mutation');
		expect(r.status, JSON.stringify(r.body)).toBe(200);
		return r.body.result!.data;
	}

	async function createUser(username: string, roleId: number): Promise<{ id: number; cookie: string }> {
		const password = `${username}-password-1`;
		const r = await trpcCall(
			server.url,
			admin,
			'users.create',
			{ username, password, roleIds: [roleId] },
			'mutation'
		);
		expect(r.status, JSON.stringify(r.body)).toBe(200);
		return {
			id: (r.body.result!.data as { id: number }).id,
			cookie: await signIn(server.url, username, password)
		};
	}

	const expectError = (r: Res, status: number, code: string) => {
		expect(r.status, JSON.stringify(r.body)).toBe(status);
		expect(r.headers.get('content-type')).toContain('application/json');
		expect(r.body.error.code).toBe(code);
		expect(typeof r.body.error.message).toBe('string');
		expect(r.body.error.message.length).toBeGreaterThan(10);
	};

	beforeAll(async () => {
		if (kind === 'postgres') pgdb = await freshPostgres();
		await start();
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		adminWrite = (await createToken(admin, { name: 'admin script', scope: 'write', expiresInDays: 30 }))
			.token;
	});
	afterAll(async () => {
		await server?.stop();
		await pgdb?.drop();
	});

	describe('API tokens', () => {
		it('shows the secret once, lists tokens without it, and records use and revocation', async () => {
			const created = await createToken(admin, { name: 'ci pipeline', scope: 'read', expiresInDays: 7 });
			expect(created.token).toMatch(/^fdk_\d+_[a-z2-7]{32}$/);
			expect(created.token.startsWith(created.prefix)).toBe(true);
			expect(created.prefix.length).toBeLessThan(created.token.length - 20);
			expect(created).toMatchObject({
				name: 'ci pipeline',
				scope: 'read',
				revokedAt: null,
				lastUsedAt: null
			});
			const days = (new Date(created.expiresAt).getTime() - Date.now()) / 86_400_000;
			expect(days).toBeGreaterThan(6.9);
			expect(days).toBeLessThan(7.1);
			const secret = created.token.split('_')[2];

			const list = await trpcCall(server.url, admin, 'apiTokens.list');
			expect(list.status).toBe(200);
			const listed = (list.body.result!.data as Json[]).find((t) => t.id === created.id);
			expect(listed).toMatchObject({ name: 'ci pipeline', prefix: created.prefix, scope: 'read' });
			expect(listed).not.toHaveProperty('token');
			expect(JSON.stringify(list.body)).not.toContain(secret);

			expect((await call('GET', '/cis', { token: created.token })).status).toBe(200);
			const after = await trpcCall(server.url, admin, 'apiTokens.list');
			const used = (after.body.result!.data as Json[]).find((t) => t.id === created.id);
			expect(used.lastUsedAt).not.toBeNull();

			const revoked = await trpcCall(server.url, admin, 'apiTokens.revoke', { id: created.id }, 'mutation');
			expect(revoked.status).toBe(200);
			const refused = await call('GET', '/cis', { token: created.token });
			expectError(refused, 401, 'unauthorized');
			expect(refused.body.error.message).toMatch(/revoked/);
			expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer/);

			const audit = await trpcCall(server.url, admin, 'audit.list', { action: 'api-token' });
			const actions = JSON.stringify(audit.body);
			expect(actions).toContain('api-token.create');
			expect(actions).toContain('api-token.revoke');
			expect(actions).not.toContain(secret);
		});

		it('refuses missing, malformed, tampered and unknown tokens with 401', async () => {
			expectError(await call('GET', '/cis'), 401, 'unauthorized');
			expectError(
				await call('GET', '/cis', { headers: { authorization: 'Basic YWRtaW46eA==' } }),
				401,
				'unauthorized'
			);
			const tampered = adminWrite.slice(0, -1) + (adminWrite.endsWith('a') ? 'b' : 'a');
			const r = await call('GET', '/cis', { token: tampered });
			expectError(r, 401, 'unauthorized');
			expect(r.body.error.message).toMatch(/not valid/);
			expectError(
				await call('GET', '/cis', { token: 'fdk_999999_abcdefghijklmnopqrstuvwxyz234567' }),
				401,
				'unauthorized'
			);
			expectError(await call('GET', '/cis', { token: 'fdk_99999999999_x' }), 401, 'unauthorized');
		});

		it('validates token input and keeps users to their own tokens', async () => {
			const bad = await trpcCall(
				server.url,
				admin,
				'apiTokens.create',
				{ name: '', scope: 'admin', expiresInDays: 400 },
				'mutation'
			);
			expect(bad.status).toBe(400);
			expect(bad.body.error!.message).toMatch(/Name the token/);
			expect(bad.body.error!.message).toMatch(/read or write/);
			expect(bad.body.error!.message).toMatch(/365/);

			const olga = await createUser('olga', OPERATOR);
			const mine = await createToken(olga.cookie, { name: 'olga script', scope: 'write', expiresInDays: 1 });
			// Olga sees only her own, and can't revoke admin's.
			const list = await trpcCall(server.url, olga.cookie, 'apiTokens.list');
			expect((list.body.result!.data as Json[]).map((t) => t.name)).toEqual(['olga script']);
			expect((await trpcCall(server.url, olga.cookie, 'apiTokens.list', { all: true })).status).toBe(403);
			const adminTokens = await trpcCall(server.url, admin, 'apiTokens.list');
			const adminId = (adminTokens.body.result!.data as Json[])[0].id;
			const steal = await trpcCall(server.url, olga.cookie, 'apiTokens.revoke', { id: adminId }, 'mutation');
			expect(steal.status).toBe(404);
			// The administrator (users.manage) sees everyone's with the username, and can revoke them.
			const all = await trpcCall(server.url, admin, 'apiTokens.list', { all: true });
			const hers = (all.body.result!.data as Json[]).find((t) => t.id === mine.id);
			expect(hers).toMatchObject({ username: 'olga', name: 'olga script' });
			expect((await call('GET', '/classes', { token: mine.token })).status).toBe(200);
			const r = await trpcCall(server.url, admin, 'apiTokens.revoke', { id: mine.id }, 'mutation');
			expect(r.status).toBe(200);
			expectError(await call('GET', '/classes', { token: mine.token }), 401, 'unauthorized');
		});

		it("refuses a locked user's token, and accepts it again once unlocked", async () => {
			const lena = await createUser('lena', OPERATOR);
			const t = (await createToken(lena.cookie, { name: 'lena', scope: 'write', expiresInDays: 5 })).token;
			expect((await call('GET', '/cis', { token: t })).status).toBe(200);
			await trpcCall(server.url, admin, 'users.setLocked', { id: lena.id, locked: true }, 'mutation');
			const r = await call('GET', '/cis', { token: t });
			expectError(r, 401, 'unauthorized');
			expect(r.body.error.message).toMatch(/locked/);
			await trpcCall(server.url, admin, 'users.setLocked', { id: lena.id, locked: false }, 'mutation');
			expect((await call('GET', '/cis', { token: t })).status).toBe(200);
			// A deleted user's tokens go with the user.
			await trpcCall(server.url, admin, 'users.delete', { id: lena.id }, 'mutation');
			expectError(await call('GET', '/cis', { token: t }), 401, 'unauthorized');
		});

		it('refuses an expired token', async () => {
			const t = await createToken(admin, { name: 'short-lived', scope: 'read', expiresInDays: 1 });
			expect((await call('GET', '/cis', { token: t.token })).status).toBe(200);
			await runSql(`update api_tokens set expires_at = now() - interval '1 minute' where id = $1`, [t.id]);
			const r = await call('GET', '/cis', { token: t.token });
			expectError(r, 401, 'unauthorized');
			expect(r.body.error.message).toMatch(/expired/);
			// other tokens keep working (also across the restart PGlite needs for this test)
			expect((await call('GET', '/cis', { token: adminWrite })).status).toBe(200);
		});
	});

	describe('scopes and permissions', () => {
		let pcId: number;
		beforeAll(async () => {
			const r = await call('POST', '/cis', {
				token: adminWrite,
				body: { class: 'Computer', name: 'scope-pc', data: { ramMb: 4096 } }
			});
			expect(r.status, JSON.stringify(r.body)).toBe(201);
			pcId = r.body.id;
		});

		it('a read token reads but every write is 403 and changes nothing', async () => {
			const read = (await createToken(admin, { name: 'reader', scope: 'read', expiresInDays: 3 })).token;
			expect((await call('GET', `/cis/${pcId}`, { token: read })).status).toBe(200);
			const post = await call('POST', '/cis', { token: read, body: { class: 'Computer', name: 'nope' } });
			expectError(post, 403, 'forbidden');
			expect(post.body.error.message).toMatch(/read scope/);
			expectError(
				await call('PATCH', `/cis/${pcId}`, { token: read, body: { data: { ramMb: 1 } } }),
				403,
				'forbidden'
			);
			expectError(await call('DELETE', `/cis/${pcId}`, { token: read }), 403, 'forbidden');
			expectError(
				await call('POST', '/relations', {
					token: read,
					body: { domain: 'RoomItems', sourceId: pcId, targetId: pcId }
				}),
				403,
				'forbidden'
			);
			const now = await call('GET', `/cis/${pcId}`, { token: adminWrite });
			expect(now.body).toMatchObject({ version: 1, data: { ramMb: 4096 } });
			const list = await call('GET', '/cis?q=nope', { token: read });
			expect(list.body.total).toBe(0);
		});

		it("a Viewer's write token still can't write (the user's permissions apply)", async () => {
			const viv = await createUser('viv', VIEWER);
			const t = (await createToken(viv.cookie, { name: 'viv', scope: 'write', expiresInDays: 3 })).token;
			expect((await call('GET', `/cis/${pcId}`, { token: t })).status).toBe(200);
			const r = await call('PATCH', `/cis/${pcId}`, { token: t, body: { data: { ramMb: 1 } } });
			expectError(r, 403, 'forbidden');
			expect(r.body.error.message).toContain('cmdb.write');
			expectError(await call('DELETE', `/cis/${pcId}`, { token: t }), 403, 'forbidden');
		});

		it("an Operator's write token writes, as that user, with source api", async () => {
			const otto = await createUser('otto', OPERATOR);
			const t = (await createToken(otto.cookie, { name: 'otto', scope: 'write', expiresInDays: 3 })).token;
			const r = await call('PATCH', `/cis/${pcId}`, {
				token: t,
				body: { data: { ramMb: 8192 }, message: 'upgrade' }
			});
			expect(r.status, JSON.stringify(r.body)).toBe(200);
			expect(r.body).toMatchObject({ version: 2, data: { ramMb: 8192 } });
			const h = await call('GET', `/cis/${pcId}/history`, { token: t });
			expect(h.body.items[0]).toMatchObject({
				op: 'update',
				actorName: 'otto',
				source: 'api',
				message: 'upgrade',
				changes: { ramMb: [4096, 8192] }
			});
		});

		it('a browser session reads, but can never write through the REST API', async () => {
			expect((await call('GET', `/cis/${pcId}`, { cookie: admin })).status).toBe(200);
			const r = await call('PATCH', `/cis/${pcId}`, {
				cookie: admin,
				headers: { origin: server.url },
				body: { data: { ramMb: 2 } }
			});
			expectError(r, 401, 'unauthorized');
			expect(r.body.error.message).toMatch(/API token/);
			expect((await call('GET', `/cis/${pcId}`, { cookie: admin })).body.data.ramMb).toBe(8192);
		});
	});

	describe('CIs and relations', () => {
		const ids: Record<string, number> = {};
		const create = async (cls: string, name: string, data: Record<string, unknown> = {}) => {
			const r = await call('POST', '/cis', { token: adminWrite, body: { class: cls, name, data } });
			expect(r.status, JSON.stringify(r.body)).toBe(201);
			expect(r.headers.get('location')).toBe(`${server.url}/api/v1/cis/${r.body.id}`);
			ids[name] = r.body.id;
			return r.body;
		};

		beforeAll(async () => {
			await create('Computer', 'crud-pc-a', { os: 'Debian 12', ramMb: 16384, ipAddress: '10.0.0.1' });
			await create('Computer', 'crud-pc-b', { os: 'Windows 11', ramMb: 8192 });
			await create('Computer', 'crud-pc-c', { os: 'debian 11', ramMb: 4096 });
			await create('Printer', 'crud-printer', { colour: true });
			await create('Room', 'crud-room', { roomType: 'server room' });
			await create('Building', 'crud-hq', { city: 'Ghent' });
			await create('Floor', 'crud-floor-1', { level: 1 });
		});

		it('creates a CI and reads it back with attributes, defaults and lineage', async () => {
			const r = await call('GET', `/cis/${ids['crud-pc-a']}`, { token: adminWrite });
			expect(r.status).toBe(200);
			expect(r.body).toMatchObject({
				id: ids['crud-pc-a'],
				class: 'Computer',
				lineage: ['Item', 'Computer'],
				name: 'crud-pc-a',
				data: { os: 'Debian 12', ramMb: 16384, ipAddress: '10.0.0.1', status: 'in use' },
				version: 1,
				relations: []
			});
		});

		it('lists through a superclass: class=Item has computers and printers, no rooms', async () => {
			for (const path of ['/cis?class=item&q=crud&limit=500', '/classes/Item/cis?q=crud&limit=500']) {
				const r = await call('GET', path, { token: adminWrite });
				expect(r.status, JSON.stringify(r.body)).toBe(200);
				const names = r.body.items.map((i: Json) => i.name).sort();
				expect(names).toEqual(['crud-pc-a', 'crud-pc-b', 'crud-pc-c', 'crud-printer']);
				expect(r.body).toMatchObject({ total: 4, limit: 500, offset: 0, next: null });
				expect(new Set(r.body.items.map((i: Json) => i.class))).toEqual(new Set(['Computer', 'Printer']));
			}
			const rooms = await call('GET', '/classes/room/cis?q=crud', { token: adminWrite });
			expect(rooms.body.items.map((i: Json) => i.name)).toEqual(['crud-room']);
		});

		it('searches with the search language', async () => {
			const q = async (query: string) => {
				const r = await call('GET', `/cis?q=${encodeURIComponent(query)}&sort=name`, { token: adminWrite });
				expect(r.status, JSON.stringify(r.body)).toBe(200);
				return r.body.items.map((i: Json) => i.name);
			};
			expect(await q('class:Computer os~debian name~crud')).toEqual(['crud-pc-a', 'crud-pc-c']);
			expect(await q('class:Computer ramMb>=8192 name~crud')).toEqual(['crud-pc-a', 'crud-pc-b']);
			expect(await q('ghent')).toEqual(['crud-hq']);
			const sorted = await call('GET', '/cis?class=Computer&q=name~crud&sort=ramMb&dir=desc', {
				token: adminWrite
			});
			expect(sorted.body.items.map((i: Json) => i.name)).toEqual(['crud-pc-a', 'crud-pc-b', 'crud-pc-c']);
		});

		it('pages with next links until the last page', async () => {
			for (let i = 0; i < 7; i++) await create('Monitor', `page-mon-${i}`, { sizeInches: 24 });
			let url: string | null =
				`${server.url}/api/v1/cis?class=Monitor&q=${encodeURIComponent('name~page-mon')}&limit=3`;
			const seen: string[] = [];
			const offsets: number[] = [];
			while (url) {
				const r: Res = await call('GET', url, { token: adminWrite });
				expect(r.status).toBe(200);
				expect(r.body.total).toBe(7);
				expect(r.body.limit).toBe(3);
				offsets.push(r.body.offset);
				seen.push(...r.body.items.map((i: Json) => i.name));
				url = r.body.next;
				if (url) expect(url).toContain('class=Monitor');
			}
			expect(offsets).toEqual([0, 3, 6]);
			expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `page-mon-${i}`));
		});

		it('changes a CI, keeps history, and answers point-in-time queries', async () => {
			const id = ids['crud-pc-b'];
			const before = new Date().toISOString();
			await new Promise((r) => setTimeout(r, 20));
			const r = await call('PATCH', `/cis/${id}`, {
				token: adminWrite,
				body: { name: 'crud-pc-b2', data: { ramMb: 32768, os: null }, expectedVersion: 1 }
			});
			expect(r.status, JSON.stringify(r.body)).toBe(200);
			expect(r.body).toMatchObject({ name: 'crud-pc-b2', version: 2, data: { ramMb: 32768 } });
			expect(r.body.data).not.toHaveProperty('os');

			// A change that changes nothing writes nothing.
			const same = await call('PATCH', `/cis/${id}`, { token: adminWrite, body: { data: { ramMb: 32768 } } });
			expect(same.body.version).toBe(2);

			const h = await call('GET', `/cis/${id}/history`, { token: adminWrite });
			expect(h.body.items.map((e: Json) => e.op)).toEqual(['update', 'create']);
			expect(h.body.items[0]).toMatchObject({ source: 'api', actorName: 'admin', version: 2 });
			expect(h.body.items[0].changes).toMatchObject({
				name: ['crud-pc-b', 'crud-pc-b2'],
				os: ['Windows 11', null]
			});

			const v1 = await call('GET', `/cis/${id}/at?version=1`, { token: adminWrite });
			expect(v1.body).toMatchObject({
				name: 'crud-pc-b',
				version: 1,
				data: { os: 'Windows 11', ramMb: 8192 }
			});
			const then = await call('GET', `/cis/${id}/at?time=${encodeURIComponent(before)}`, {
				token: adminWrite
			});
			expect(then.body).toMatchObject({ name: 'crud-pc-b', version: 1 });
			const now = await call('GET', `/cis/${id}/at`, { token: adminWrite });
			expect(now.body).toMatchObject({ name: 'crud-pc-b2', version: 2 });
			expectError(
				await call('GET', `/cis/${id}/at?time=2000-01-01T00:00:00Z`, { token: adminWrite }),
				404,
				'not_found'
			);
			const both = await call('GET', `/cis/${id}/at?time=${encodeURIComponent(before)}&version=1`, {
				token: adminWrite
			});
			expectError(both, 400, 'bad_request');
			expectError(
				await call('GET', `/cis/${id}/at?time=yesterday`, { token: adminWrite }),
				400,
				'bad_request'
			);
		});

		it('refuses a stale expectedVersion with 409', async () => {
			const id = ids['crud-pc-c'];
			const ok = await call('PATCH', `/cis/${id}`, {
				token: adminWrite,
				body: { data: { ramMb: 1024 }, expectedVersion: 1 }
			});
			expect(ok.status).toBe(200);
			const stale = await call('PATCH', `/cis/${id}`, {
				token: adminWrite,
				body: { data: { ramMb: 2048 }, expectedVersion: 1 }
			});
			expectError(stale, 409, 'conflict');
			expect(stale.body.error.message).toMatch(/version 2/);
			expect((await call('GET', `/cis/${id}`, { token: adminWrite })).body.data.ramMb).toBe(1024);
		});

		it('relates CIs, reads relations and impact, and removes them', async () => {
			const rel = async (domain: string, source: string, target: string) => {
				const r = await call('POST', '/relations', {
					token: adminWrite,
					body: { domain, sourceId: ids[source], targetId: ids[target], message: 'cabling' }
				});
				expect(r.status, JSON.stringify(r.body)).toBe(201);
				expect(r.headers.get('location')).toBe(`${server.url}/api/v1/relations/${r.body.id}`);
				return r.body;
			};
			await rel('BuildingFloors', 'crud-hq', 'crud-floor-1');
			await rel('FloorRooms', 'crud-floor-1', 'crud-room');
			const inRoom = await rel('RoomItems', 'crud-room', 'crud-pc-a');
			expect(inRoom).toMatchObject({
				domain: 'RoomItems',
				label: 'contains',
				source: { id: ids['crud-room'], name: 'crud-room', class: 'Room' },
				target: { id: ids['crud-pc-a'], name: 'crud-pc-a', class: 'Computer' }
			});
			const got = await call('GET', `/relations/${inRoom.id}`, { token: adminWrite });
			expect(got.body).toEqual(inRoom);

			const fromPc = await call('GET', `/cis/${ids['crud-pc-a']}/relations`, { token: adminWrite });
			expect(fromPc.body.items).toHaveLength(1);
			expect(fromPc.body.items[0]).toMatchObject({
				domain: 'RoomItems',
				label: 'is in',
				side: 'target',
				other: { id: ids['crud-room'], name: 'crud-room', class: 'Room' }
			});
			const view = await call('GET', `/cis/${ids['crud-pc-a']}`, { token: adminWrite });
			expect(view.body.relations).toHaveLength(1);

			// Duplicates and wrong classes are refused with the right status.
			const dup = await call('POST', '/relations', {
				token: adminWrite,
				body: { domain: 'RoomItems', sourceId: ids['crud-room'], targetId: ids['crud-pc-a'] }
			});
			expectError(dup, 409, 'conflict');
			const wrong = await call('POST', '/relations', {
				token: adminWrite,
				body: { domain: 'RoomItems', sourceId: ids['crud-pc-a'], targetId: ids['crud-room'] }
			});
			expectError(wrong, 400, 'bad_request');
			const noDomain = await call('POST', '/relations', {
				token: adminWrite,
				body: { domain: 'Nope', sourceId: ids['crud-room'], targetId: ids['crud-pc-b'] }
			});
			expectError(noDomain, 422, 'validation_failed');
			expect(noDomain.body.error.fields).toEqual([{ field: 'domain', message: 'there is no domain "Nope"' }]);
			expectError(
				await call('POST', '/relations', {
					token: adminWrite,
					body: { domain: 'RoomItems', sourceId: ids['crud-room'], targetId: 2147483000 }
				}),
				404,
				'not_found'
			);

			const impact = await call('GET', `/cis/${ids['crud-hq']}/impact?depth=3`, { token: adminWrite });
			expect(impact.status).toBe(200);
			expect(impact.body.root).toBe(ids['crud-hq']);
			const names = impact.body.nodes.map((n: Json) => n.name);
			expect(names).toEqual(expect.arrayContaining(['crud-hq', 'crud-floor-1', 'crud-room']));
			const shallow = await call('GET', `/cis/${ids['crud-hq']}/impact?depth=1`, { token: adminWrite });
			expect(shallow.body.nodes.length).toBeLessThan(impact.body.nodes.length);
			expectError(
				await call('GET', `/cis/${ids['crud-hq']}/impact?depth=99`, { token: adminWrite }),
				400,
				'bad_request'
			);

			const del = await call('DELETE', `/relations/${inRoom.id}?message=moved`, { token: adminWrite });
			expect(del.status).toBe(204);
			expect(del.body).toBeNull();
			expectError(await call('GET', `/relations/${inRoom.id}`, { token: adminWrite }), 404, 'not_found');
			expectError(await call('DELETE', `/relations/${inRoom.id}`, { token: adminWrite }), 404, 'not_found');
			const h = await call('GET', `/cis/${ids['crud-pc-a']}/history`, { token: adminWrite });
			expect(h.body.items[0]).toMatchObject({ op: 'unrelate', source: 'api', message: 'moved' });
			expect(h.body.items[1]).toMatchObject({ op: 'relate', message: 'cabling' });
		});

		it('deletes a CI; its history stays readable', async () => {
			const victim = await create('Printer', 'crud-doomed');
			const del = await call('DELETE', `/cis/${victim.id}?message=${encodeURIComponent('scrapped')}`, {
				token: adminWrite
			});
			expect(del.status).toBe(204);
			const gone = await call('GET', `/cis/${victim.id}`, { token: adminWrite });
			expectError(gone, 404, 'not_found');
			expect(gone.body.error.message).toContain(`#${victim.id}`);
			expectError(await call('DELETE', `/cis/${victim.id}`, { token: adminWrite }), 404, 'not_found');
			const h = await call('GET', `/cis/${victim.id}/history`, { token: adminWrite });
			expect(h.body.items.map((e: Json) => e.op)).toEqual(['delete', 'create']);
			expect(h.body.items[0]).toMatchObject({ message: 'scrapped', source: 'api' });
			expectError(await call('GET', '/cis/2147483000/history', { token: adminWrite }), 404, 'not_found');
		});

		it('reads the model', async () => {
			const r = await call('GET', '/classes', { token: adminWrite });
			expect(r.status).toBe(200);
			const computer = r.body.classes.find((c: Json) => c.name === 'Computer');
			expect(computer).toMatchObject({ parent: 'Item', abstract: false, lineage: ['Item', 'Computer'] });
			expect(computer.attributes.map((a: Json) => a.name)).toEqual(
				expect.arrayContaining(['assetTag', 'ramMb'])
			);
			expect(r.body.domains.find((d: Json) => d.name === 'RoomItems')).toMatchObject({
				source: 'Room',
				target: 'Item'
			});
			const one = await call('GET', '/classes/computer', { token: adminWrite });
			expect(one.body).toEqual(computer);
			expectError(await call('GET', '/classes/Spaceship', { token: adminWrite }), 404, 'not_found');
		});
	});

	describe('errors', () => {
		it('names every bad field in a 422', async () => {
			const r = await call('POST', '/cis', {
				token: adminWrite,
				body: {
					class: 'Computer',
					name: 'bad-pc',
					data: { ramMb: 'lots', ipAddress: '10.0.0.300', bogus: 1 }
				}
			});
			expectError(r, 422, 'validation_failed');
			const fields = Object.fromEntries(r.body.error.fields.map((f: Json) => [f.field, f.message]));
			expect(fields.ramMb).toMatch(/whole number/);
			expect(fields.ipAddress).toMatch(/IP/);
			expect(fields.bogus).toMatch(/no attribute/);

			const shape = await call('POST', '/cis', { token: adminWrite, body: { name: '', date: {} } });
			expectError(shape, 422, 'validation_failed');
			expect(shape.body.error.fields).toEqual(
				expect.arrayContaining([
					{ field: 'class', message: 'is required' },
					{ field: 'name', message: 'a CI needs a name' },
					{ field: 'date', message: 'is not a field here' }
				])
			);
			const list = await call('GET', '/cis?q=bad-pc', { token: adminWrite });
			expect(list.body.total).toBe(0);
		});

		it('answers bad requests, unknown classes and abstract classes clearly', async () => {
			expectError(
				await call('POST', '/cis', { token: adminWrite, body: { class: 'Item', name: 'x' } }),
				400,
				'bad_request'
			);
			const noClass = await call('POST', '/cis', {
				token: adminWrite,
				body: { class: 'Spaceship', name: 'x' }
			});
			expectError(noClass, 422, 'validation_failed');
			expect(noClass.body.error.fields).toEqual([
				{ field: 'class', message: 'there is no class "Spaceship"' }
			]);
			expectError(await call('GET', '/cis?class=Spaceship', { token: adminWrite }), 400, 'bad_request');
			expectError(await call('GET', '/classes/Spaceship/cis', { token: adminWrite }), 404, 'not_found');
			const limit = await call('GET', '/cis?limit=0', { token: adminWrite });
			expectError(limit, 400, 'bad_request');
			expect(limit.body.error.fields[0].field).toBe('limit');
			const typo = await call('GET', '/cis?lmit=5', { token: adminWrite });
			expectError(typo, 400, 'bad_request');
			expect(typo.body.error.message).toContain('lmit');
			expectError(await call('GET', '/cis?q=nosuchattr%3E3', { token: adminWrite }), 400, 'bad_request');
		});

		it('answers 404 and 405 with the same error body', async () => {
			const nothing = await call('GET', '/nothing/here', { token: adminWrite });
			expectError(nothing, 404, 'not_found');
			expectError(await call('GET', '/cis/abc', { token: adminWrite }), 404, 'not_found');
			expectError(await call('GET', '/cis/99999999999', { token: adminWrite }), 404, 'not_found');
			expectError(await call('GET', '/cis/2147483000', { token: adminWrite }), 404, 'not_found');
			const put = await call('PUT', '/cis/1', { token: adminWrite, body: {} });
			expectError(put, 405, 'method_not_allowed');
			expect(put.headers.get('allow')).toBe('GET, PATCH, DELETE, HEAD, OPTIONS');
			const del = await call('DELETE', '/cis', { token: adminWrite });
			expectError(del, 405, 'method_not_allowed');
			expect(del.headers.get('allow')).toContain('POST');
			const opts = await call('OPTIONS', '/cis', {});
			expect(opts.status).toBe(204);
			expect(opts.headers.get('allow')).toContain('GET');
			const head = await fetch(`${server.url}/api/v1/cis`, {
				method: 'HEAD',
				headers: { authorization: `Bearer ${adminWrite}` }
			});
			expect(head.status).toBe(200);
			expect(await head.text()).toBe('');
		});

		it('says so when the body is not JSON, not sent as JSON, or too large', async () => {
			const broken = await call('POST', '/cis', {
				token: adminWrite,
				raw: '{"class": "Computer", "name": ',
				headers: { 'content-type': 'application/json' }
			});
			expectError(broken, 400, 'bad_request');
			expect(broken.body.error.message).toMatch(/not valid JSON/);
			const empty = await call('POST', '/cis', {
				token: adminWrite,
				raw: '',
				headers: { 'content-type': 'application/json' }
			});
			expectError(empty, 400, 'bad_request');
			const form = await call('POST', '/cis', {
				token: adminWrite,
				raw: '<ci class="Computer" name="x"/>',
				headers: { 'content-type': 'application/xml' }
			});
			expectError(form, 415, 'unsupported_media_type');
			expect(form.body.error.message).toContain('application/json');

			const huge = '{"class":"Computer","name":"huge"}'.padEnd(MB + 200_000, ' ');
			const big = await call('POST', '/cis', {
				token: adminWrite,
				raw: huge,
				headers: { 'content-type': 'application/json' }
			});
			expectError(big, 413, 'payload_too_large');
			expect((await call('GET', '/cis?q=huge', { token: adminWrite })).body.total).toBe(0);
		});

		it('accepts bodies up to 1 MB', async () => {
			// JSON whitespace makes the body large without breaking any value limit.
			const padded = '{"class":"Computer","name":"padded-pc"}'.padEnd(MB - 1000, ' ');
			const r = await call('POST', '/cis', {
				token: adminWrite,
				raw: padded,
				headers: { 'content-type': 'application/json' }
			});
			expect(r.status, JSON.stringify(r.body)).toBe(201);
		});
	});

	describe('the OpenAPI document', () => {
		let doc: Json;
		beforeAll(async () => {
			const r = await call('GET', '/openapi.json');
			expect(r.status).toBe(200);
			doc = r.body;
		});

		it('is served without a token and is valid OpenAPI 3.1', async () => {
			expect(doc.openapi).toBe('3.1.0');
			await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
			// the validator does catch a broken document
			const broken = structuredClone(doc);
			broken.paths['/cis'].get.responses['200'].content['application/json'].schema.$ref =
				'#/components/schemas/NoSuchThing';
			await expect(SwaggerParser.validate(broken)).rejects.toThrow();
		});

		it('describes every route with its parameters, body, responses and the error schema', () => {
			expect(apiRoutes.length).toBeGreaterThanOrEqual(17);
			for (const r of apiRoutes) {
				const op = doc.paths[r.path]?.[r.method.toLowerCase()];
				expect(op, `${r.method} ${r.path}`).toBeDefined();
				expect(op.operationId).toBe(r.operationId);
				for (const p of r.path.match(/\{(\w+)\}/g) ?? [])
					expect(op.parameters.some((x: Json) => x.in === 'path' && `{${x.name}}` === p)).toBe(true);
				for (const q of Object.keys(r.query?.shape ?? {}))
					expect(
						op.parameters.some((x: Json) => x.in === 'query' && x.name === q),
						`${r.path} ?${q}`
					).toBe(true);
				if (r.body) expect(op.requestBody.content['application/json'].schema.$ref).toContain(r.body.name);
				for (const status of Object.keys(r.responses)) expect(op.responses[status]).toBeDefined();
				expect(op.responses['500']).toBeDefined();
				if (r.permission) {
					expect(op.responses['401']).toBeDefined();
					expect(op.responses['403']).toBeDefined();
					expect(op.security).toContainEqual({ bearerAuth: [] });
				} else expect(op.security).toEqual([]);
				if (r.body) expect(op.responses['422']).toBeDefined();
			}
			// nothing documented that the table lacks
			const documented = Object.entries(doc.paths).flatMap(([p, ops]) =>
				Object.keys(ops as object).map((m) => `${m} ${p}`)
			);
			expect(documented.sort()).toEqual(apiRoutes.map((r) => `${r.method.toLowerCase()} ${r.path}`).sort());
			expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
			expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(
				expect.arrayContaining([
					'validation_failed',
					'not_found',
					'conflict',
					'unauthorized',
					'forbidden',
					'bad_request',
					'internal'
				])
			);
		});

		it('resolves every $ref', () => {
			const refs: string[] = [];
			const walk = (v: unknown) => {
				if (Array.isArray(v)) v.forEach(walk);
				else if (v && typeof v === 'object')
					for (const [k, x] of Object.entries(v)) {
						if (k === '$ref' && typeof x === 'string') refs.push(x);
						else walk(x);
					}
			};
			walk(doc);
			expect(refs.length).toBeGreaterThan(50);
			for (const ref of new Set(refs)) {
				expect(ref.startsWith('#/')).toBe(true);
				let at: Json = doc;
				for (const part of ref.slice(2).split('/')) at = at?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
				expect(at, ref).toBeDefined();
			}
		});

		it('matches what the API answers (a CI and a page have the documented fields)', async () => {
			const page = await call('GET', '/cis?limit=1', { token: adminWrite });
			expect(Object.keys(page.body).sort()).toEqual([...doc.components.schemas.CiPage.required].sort());
			const ci = await call('GET', `/cis/${page.body.items[0].id}`, { token: adminWrite });
			expect(Object.keys(ci.body).sort()).toEqual([...doc.components.schemas.Ci.required].sort());
			expect(Object.keys(page.body.items[0]).sort()).toEqual(
				[...doc.components.schemas.CiSummary.required].sort()
			);
			const index = await call('GET', '/');
			expect(index.body.openapi).toBe(`${server.url}/api/v1/openapi.json`);
		});
	});

	// Last: before the hooks exempt token callers, this would use up the anonymous allowance of later tests.
	describe('rate limits', () => {
		it('does not throttle token clients as anonymous traffic', async () => {
			// The per-address limit for requests without a session is 600 a minute.
			const statuses = new Map<number, number>();
			for (let batch = 0; batch < 13; batch++) {
				const rs = await Promise.all(
					Array.from({ length: 50 }, () =>
						fetch(`${server.url}/api/v1/classes/Printer`, {
							headers: { authorization: `Bearer ${adminWrite}` }
						})
					)
				);
				for (const r of rs) {
					statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
					await r.arrayBuffer();
				}
			}
			expect(Object.fromEntries(statuses)).toEqual({ 200: 650 });
		});
	});
});

const MB = 1024 * 1024;
