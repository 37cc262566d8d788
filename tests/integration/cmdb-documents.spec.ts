import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { eq, like } from 'drizzle-orm';
import { dbKinds, openTestDb } from '../helpers/db';
import { ADMIN_PASSWORD, ROOT, signIn, startServer, trpcCall, type RunningServer } from '../helpers/server';
import type { Db } from '../../src/server/db/client';
import { auditLog, cmdbDocuments } from '../../src/server/db/schema';
import { createCi } from '../../src/server/cmdb/cis';
import { MAX_DOCUMENT_BYTES, uploadDocument } from '../../src/server/cmdb/documents';
import { contentDisposition, safeFilename, sniffType } from '../../src/server/cmdb/document-types';
import { createCaller } from '../../src/server/trpc/router';
import { SUPERUSER, type Principal } from '../../src/server/auth/permissions';

const FIXTURES = path.join(ROOT, 'tests', 'fixtures', 'cmdb');
const PDF = fs.readFileSync(path.join(FIXTURES, 'rack-manual.pdf'));
const PNG = fs.readFileSync(path.join(FIXTURES, 'front-panel.png'));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const kinds = await dbKinds();

/** A real zip archive (stored or deflated entries), enough for the sniffer and for unzip. */
function zip(entries: { name: string; data: string; store?: boolean }[]): Buffer {
	const locals: Buffer[] = [];
	const centrals: Buffer[] = [];
	let offset = 0;
	for (const e of entries) {
		const raw = Buffer.from(e.data);
		const body = e.store ? raw : deflateRawSync(raw);
		const name = Buffer.from(e.name);
		const crc = crc32(raw);
		const local = Buffer.alloc(30);
		local.writeUInt32LE(0x04034b50, 0);
		local.writeUInt16LE(20, 4);
		local.writeUInt16LE(e.store ? 0 : 8, 8);
		local.writeUInt32LE(crc, 14);
		local.writeUInt32LE(body.length, 18);
		local.writeUInt32LE(raw.length, 22);
		local.writeUInt16LE(name.length, 26);
		const central = Buffer.alloc(46);
		central.writeUInt32LE(0x02014b50, 0);
		central.writeUInt16LE(20, 4);
		central.writeUInt16LE(20, 6);
		central.writeUInt16LE(e.store ? 0 : 8, 10);
		central.writeUInt32LE(crc, 16);
		central.writeUInt32LE(body.length, 20);
		central.writeUInt32LE(raw.length, 24);
		central.writeUInt16LE(name.length, 28);
		central.writeUInt32LE(offset, 42);
		locals.push(local, name, body);
		centrals.push(central, name);
		offset += 30 + name.length + body.length;
	}
	const cd = Buffer.concat(centrals);
	const end = Buffer.alloc(22);
	end.writeUInt32LE(0x06054b50, 0);
	end.writeUInt16LE(entries.length, 8);
	end.writeUInt16LE(entries.length, 10);
	end.writeUInt32LE(cd.length, 12);
	end.writeUInt32LE(offset, 16);
	return Buffer.concat([...locals, cd, end]);
}

function crc32(b: Buffer): number {
	let c = ~0;
	for (const byte of b) {
		c ^= byte;
		for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
	}
	return ~c >>> 0;
}

function principal(name: string, permissions: string[]): Principal {
	return { userId: 1, username: name, roles: [], permissions: new Set(permissions), grants: [] };
}

describe('document types and names', () => {
	it('decides the type from the bytes, not the name or the browser', () => {
		expect(sniffType(PDF, 'x.png')?.type).toBe('application/pdf');
		expect(sniffType(PNG, 'photo.pdf')?.type).toBe('image/png');
		expect(sniffType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), 'a')?.type).toBe('image/jpeg');
		expect(sniffType(Buffer.from('GIF89a\x01\x00\x01\x00'), 'a')?.type).toBe('image/gif');
		expect(sniffType(Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 '), 'a')?.type).toBe('image/webp');
		const docx = zip([
			{ name: '[Content_Types].xml', data: '<Types/>' },
			{ name: 'word/document.xml', data: '<w:document/>' }
		]);
		expect(sniffType(docx, 'letter.zip')?.type).toBe(
			'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
		);
		const xlsx = zip([
			{ name: '[Content_Types].xml', data: '<Types/>' },
			{ name: 'xl/workbook.xml', data: '<workbook/>' }
		]);
		expect(sniffType(xlsx, 'a')?.type).toBe(
			'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'
		);
		const ods = zip([
			{ name: 'mimetype', data: 'application/vnd.oasis.opendocument.spreadsheet', store: true },
			{ name: 'content.xml', data: '<office:document-content/>' }
		]);
		expect(sniffType(ods, 'a')?.type).toBe('application/vnd.oasis.opendocument.spreadsheet');
		expect(sniffType(zip([{ name: 'a.txt', data: 'hello' }]), 'a')?.type).toBe('application/zip');
		expect(
			sniffType(Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>'), 'a')?.type
		).toBe('image/svg+xml');
		expect(sniffType(Buffer.from('a,b\n1,2\n'), 'list.csv')?.type).toBe('text/csv');
		expect(sniffType(Buffer.from('# Runbook\n'), 'runbook.md')?.type).toBe('text/markdown');
		expect(sniffType(Buffer.from('plain words, ünïcödé\n'), 'notes')?.type).toBe('text/plain');
		// refused: executables, unknown binaries, HTML (as HTML or disguised as text)
		expect(sniffType(Buffer.from('MZ\x90\x00\x03\x00\x00\x00'), 'setup.pdf')).toBeNull();
		expect(sniffType(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), 'a.txt')).toBeNull();
		expect(sniffType(Buffer.from('<!DOCTYPE html><script>alert(1)</script>'), 'a.txt')).toBeNull();
		expect(sniffType(Buffer.from('just text'), 'page.html')).toBeNull();
	});

	it('keeps only a safe display name: no path, no control characters, bounded, extension matching the content', () => {
		const text = sniffType(Buffer.from('root:x:0:0'), 'passwd')!;
		expect(safeFilename('../../etc/passwd', text)).toBe('passwd.txt');
		expect(safeFilename('..\\..\\boot.ini', text)).toBe('boot.ini');
		expect(safeFilename('C:\\Users\\me\\scan.pdf', sniffType(PDF, '')!)).toBe('scan.pdf');
		expect(safeFilename('evil.html', sniffType(PNG, '')!)).toBe('evil.html.png');
		expect(safeFilename('in\u202Egnp.exe', sniffType(PNG, '')!)).toBe('ingnp.exe.png');
		expect(safeFilename('a\r\nb"c.png', sniffType(PNG, '')!)).toBe('ab_c.png');
		expect(safeFilename('..', sniffType(PDF, '')!)).toBe('document.pdf');
		const long = safeFilename('x'.repeat(500) + '.pdf', sniffType(PDF, '')!);
		expect(long.length).toBeLessThanOrEqual(180);
		expect(long.endsWith('.pdf')).toBe(true);
		expect(contentDisposition('Prüfbericht "A".pdf')).toBe(
			`attachment; filename="Pr_fbericht _A_.pdf"; filename*=UTF-8''Pr%C3%BCfbericht%20%22A%22.pdf`
		);
	});
});

describe.each(kinds)('CMDB documents on %s', (kind) => {
	let database: Awaited<ReturnType<typeof openTestDb>>;
	let db: Db;
	let ciId: number;
	let otherId: number;
	const admin = () => createCaller({ db, user: principal('admin', [SUPERUSER]), sessionId: null, ip: '' });
	const viewer = () =>
		createCaller({ db, user: principal('viewer', ['cmdb.read']), sessionId: null, ip: '' });
	const actor = { id: 1, name: 'admin' };

	beforeAll(async () => {
		database = await openTestDb(kind);
		db = database.db;
		const user = { actor, source: 'user' as const };
		ciId = (await createCi(db, user, { class: 'Device', name: 'rack4-sw1', data: {} })).id;
		otherId = (await createCi(db, user, { class: 'Building', name: 'HQ', data: { code: 'HQ' } })).id;
	});
	afterAll(() => database.dispose());

	it('stores a document, lists and searches its metadata (never the bytes), and audits the upload', async () => {
		const doc = await uploadDocument(db, actor, {
			ciId,
			filename: 'Rack 4 manual.pdf',
			content: PDF,
			category: 'manual',
			description: 'Vendor manual, firmware 2.1'
		});
		expect(doc).toMatchObject({
			ciId,
			filename: 'Rack 4 manual.pdf',
			contentType: 'application/pdf',
			size: PDF.length,
			sha256: sha256(PDF),
			uploadedBy: 'admin'
		});
		await uploadDocument(db, actor, {
			ciId: otherId,
			filename: 'floor plan.png',
			content: PNG,
			category: 'drawing'
		});
		const [stored] = await db.select().from(cmdbDocuments).where(eq(cmdbDocuments.id, doc.id));
		expect(sha256(stored.content)).toBe(sha256(PDF));

		const list = await viewer().cmdb.documents.list({ ciId });
		expect(list).toHaveLength(1);
		expect(list[0]).not.toHaveProperty('content');
		expect(list[0]).toMatchObject({
			id: doc.id,
			category: 'manual',
			description: 'Vendor manual, firmware 2.1'
		});

		const found = await viewer().cmdb.documents.search({ q: 'firmware manual' });
		expect(found.map((d) => [d.filename, d.ciName, d.ciClass])).toEqual([
			['Rack 4 manual.pdf', 'rack4-sw1', 'Device']
		]);
		expect(found[0]).not.toHaveProperty('content');
		expect((await viewer().cmdb.documents.search({ q: '' })).length).toBe(2);
		expect(
			(await viewer().cmdb.documents.search({ q: '', category: 'drawing' })).map((d) => d.ciName)
		).toEqual(['HQ']);
		expect(await viewer().cmdb.documents.search({ q: '100%_' })).toEqual([]);

		const [entry] = await db
			.select()
			.from(auditLog)
			.where(eq(auditLog.action, 'cmdb.document.upload'))
			.limit(1);
		expect(entry).toMatchObject({ actorName: 'admin', targetName: 'rack4-sw1: Rack 4 manual.pdf' });
	});

	it('refuses bad uploads with the reason: empty, too large, not an accepted type, unknown CI, bad category', async () => {
		const up = (over: Partial<Parameters<typeof uploadDocument>[2]>) =>
			uploadDocument(db, actor, { ciId, filename: 'f.pdf', content: PDF, category: 'other', ...over }).then(
				() => 'accepted',
				(e) => `${e.status ?? e.code}: ${e.message}`
			);
		expect(await up({ content: new Uint8Array() })).toMatch(/^400: The file is empty/);
		expect(await up({ content: new Uint8Array(MAX_DOCUMENT_BYTES + 1) })).toMatch(/^413: .*at most 20 MB/);
		expect(await up({ content: Buffer.from('MZ\x90\x00binary\x00\x01') })).toMatch(
			/^415: This kind of file can't be attached/
		);
		expect(await up({ ciId: 999_999 })).toMatch(/^NOT_FOUND: There is no CI #999999/);
		expect(await up({ category: 'bogus' })).toMatch(/^400: Category must be one of manual, contract/);
	});

	it('updates category and description, deletes, and lets readers only read', async () => {
		const [doc] = await viewer().cmdb.documents.list({ ciId });
		await expect(
			viewer().cmdb.documents.update({ id: doc.id, category: 'report', description: 'x' })
		).rejects.toThrow(/not allowed.*cmdb.write/);
		await expect(viewer().cmdb.documents.delete({ id: doc.id })).rejects.toThrow(/not allowed.*cmdb.write/);
		const updated = await admin().cmdb.documents.update({
			id: doc.id,
			category: 'report',
			description: '  Q3 audit  '
		});
		expect(updated).toMatchObject({
			id: doc.id,
			category: 'report',
			description: 'Q3 audit',
			filename: doc.filename
		});
		expect(updated).not.toHaveProperty('content');
		await expect(
			admin().cmdb.documents.update({ id: doc.id, category: 'nope' as 'other', description: '' })
		).rejects.toThrow(/Category must be one of/);
		await admin().cmdb.documents.delete({ id: doc.id });
		expect(await viewer().cmdb.documents.list({ ciId })).toEqual([]);
		await expect(admin().cmdb.documents.delete({ id: doc.id })).rejects.toThrow(/There is no document/);
		const actions = (await db.select().from(auditLog).where(like(auditLog.action, 'cmdb.document.%'))).map(
			(a) => a.action
		);
		expect(actions).toEqual(expect.arrayContaining(['cmdb.document.update', 'cmdb.document.delete']));
	});

	it('removes a CI’s documents with the CI', async () => {
		const user = { actor, source: 'user' as const };
		const tmp = await createCi(db, user, { class: 'Device', name: 'tmp-dev', data: {} });
		await uploadDocument(db, actor, { ciId: tmp.id, filename: 'a.png', content: PNG, category: 'photo' });
		const { deleteCi } = await import('../../src/server/cmdb/cis');
		await deleteCi(db, user, tmp.id);
		expect(
			await db.select({ id: cmdbDocuments.id }).from(cmdbDocuments).where(eq(cmdbDocuments.ciId, tmp.id))
		).toEqual([]);
	});
});

describe('document upload and download over HTTP', () => {
	let server: RunningServer;
	let admin: string;
	let viewer: string;
	let ciId: number;

	const upload = (cookie: string | null, body: FormData, id = ciId) =>
		fetch(`${server.url}/api/cmdb/cis/${id}/documents`, {
			method: 'POST',
			headers: { origin: server.url, ...(cookie ? { cookie } : {}) },
			body
		});
	const form = (
		bytes: Uint8Array,
		name: string,
		type = 'application/octet-stream',
		fields: Record<string, string> = {}
	) => {
		const f = new FormData();
		f.append('file', new Blob([new Uint8Array(bytes)], { type }), name);
		for (const [k, v] of Object.entries({ category: 'other', ...fields })) f.append(k, v);
		return f;
	};

	beforeAll(async () => {
		server = await startServer();
		admin = await signIn(server.url, 'admin', ADMIN_PASSWORD);
		const add = spawnSync(
			process.execPath,
			[path.join(ROOT, 'build', 'cli.js'), 'user', 'add', 'vera', '--role', 'Viewer', '--password-stdin'],
			{
				cwd: ROOT,
				input: 'viewer-password-1234\n',
				encoding: 'utf8',
				env: { ...process.env, FLEETDESK_DATA_DIR: server.dataDir, DATABASE_URL: '' }
			}
		);
		expect(add.status, add.stderr).toBe(0);
		viewer = await signIn(server.url, 'vera', 'viewer-password-1234');
		const created = await trpcCall(
			server.url,
			admin,
			'cmdb.create',
			{ class: 'Device', name: 'sw-42', data: {} },
			'mutation'
		);
		ciId = created.body.result!.data as number;
	});
	afterAll(() => server?.stop());

	it('uploads a PDF and a PNG and downloads them byte for byte, as attachments', async () => {
		for (const [bytes, name, type, category] of [
			[PDF, 'Rack manual.pdf', 'application/pdf', 'manual'],
			[PNG, 'front panel.png', 'image/png', 'photo']
		] as const) {
			// the browser's claimed type is ignored: send the wrong one on purpose
			const res = await upload(
				admin,
				form(bytes, name, 'text/html', { category, description: `The ${name}` })
			);
			expect(res.status).toBe(201);
			const { document } = await res.json();
			expect(document).toMatchObject({
				ciId,
				filename: name,
				contentType: type,
				size: bytes.length,
				sha256: sha256(bytes),
				category
			});
			expect(document).not.toHaveProperty('content');

			const down = await fetch(`${server.url}/api/cmdb/documents/${document.id}`, {
				headers: { cookie: viewer }
			});
			expect(down.status).toBe(200);
			expect(down.headers.get('content-type')).toBe(type);
			expect(down.headers.get('x-content-type-options')).toBe('nosniff');
			expect(down.headers.get('content-disposition')).toBe(
				`attachment; filename="${name}"; filename*=UTF-8''${encodeURIComponent(name)}`
			);
			expect(sha256(new Uint8Array(await down.arrayBuffer()))).toBe(sha256(bytes));
		}
		const list = await trpcCall(server.url, viewer, 'cmdb.documents.list', { ciId });
		expect((list.body.result!.data as { filename: string }[]).map((d) => d.filename).sort()).toEqual([
			'Rack manual.pdf',
			'front panel.png'
		]);
	});

	it('takes a 5 MB file (more than the HTTP layer’s default body limit)', async () => {
		const big = Buffer.concat([PDF, Buffer.alloc(5 * 2 ** 20, 0x20)]);
		const res = await upload(admin, form(big, 'big.pdf'));
		expect(res.status).toBe(201);
		const { document } = await res.json();
		const down = await fetch(`${server.url}/api/cmdb/documents/${document.id}`, {
			headers: { cookie: admin }
		});
		expect(sha256(new Uint8Array(await down.arrayBuffer()))).toBe(sha256(big));
	});

	it('answers 413 for too large, 415 for a refused type, 400 for a broken form, with a message', async () => {
		const over = await upload(
			admin,
			form(Buffer.concat([PDF, Buffer.alloc(MAX_DOCUMENT_BYTES)]), 'huge.pdf')
		);
		expect(over.status).toBe(413);
		expect((await over.json()).error.message).toMatch(/too large; documents can be at most 20 MB/);

		const exe = await upload(
			admin,
			form(Buffer.from('MZ\x90\x00\x03\x00\x00\x00\x04\x00'), 'manual.pdf', 'application/pdf')
		);
		expect(exe.status).toBe(415);
		expect((await exe.json()).error.message).toMatch(/can't be attached.*Accepted: PDF/);
		const html = await upload(
			admin,
			form(Buffer.from('<html><script>alert(1)</script></html>'), 'note.txt', 'text/plain')
		);
		expect(html.status).toBe(415);

		const noFile = new FormData();
		noFile.append('category', 'manual');
		const missing = await upload(admin, noFile);
		expect(missing.status).toBe(400);
		expect((await missing.json()).error.message).toMatch(/no field "file"/);
		const badCategory = await upload(admin, form(PNG, 'a.png', 'image/png', { category: 'secret' }));
		expect(badCategory.status).toBe(400);
		expect((await badCategory.json()).error.message).toMatch(/Category must be one of/);
		const noCi = await upload(admin, form(PNG, 'a.png'), 987654);
		expect(noCi.status).toBe(404);
	});

	it('stores a path-traversal name as a plain name, and serves SVG only as an attachment', async () => {
		const res = await upload(
			admin,
			form(Buffer.from('root:x:0:0:root:/root:/bin/sh\n'), '../../etc/passwd', 'text/plain')
		);
		expect(res.status).toBe(201);
		const { document } = await res.json();
		expect(document.filename).toBe('passwd.txt');
		expect(document.contentType).toBe('text/plain');

		const svg = '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>';
		const up = await upload(
			admin,
			form(Buffer.from(svg), 'diagram.svg', 'image/svg+xml', { category: 'drawing' })
		);
		expect(up.status).toBe(201);
		const id = (await up.json()).document.id;
		const down = await fetch(`${server.url}/api/cmdb/documents/${id}`, { headers: { cookie: admin } });
		expect(down.headers.get('content-disposition')).toMatch(/^attachment;/);
		expect(down.headers.get('content-security-policy')).toContain('sandbox');
		expect(await down.text()).toBe(svg);
	});

	it('lets a viewer download but not upload, and nobody without a session', async () => {
		const denied = await upload(viewer, form(PNG, 'a.png'));
		expect(denied.status).toBe(403);
		expect((await denied.json()).error.message).toMatch(/not allowed.*cmdb.write/);
		const anonymous = await upload(null, form(PNG, 'a.png'));
		expect(anonymous.status).toBe(401);
		expect((await anonymous.json()).error.message).toBe('Sign in first.');
		const anonDown = await fetch(`${server.url}/api/cmdb/documents/1`);
		expect(anonDown.status).toBe(401);
		const missing = await fetch(`${server.url}/api/cmdb/documents/99999`, { headers: { cookie: viewer } });
		expect(missing.status).toBe(404);
		// a cross-site form post is refused before it reaches the route
		const csrf = await fetch(`${server.url}/api/cmdb/cis/${ciId}/documents`, {
			method: 'POST',
			headers: { origin: 'http://evil.example', cookie: admin },
			body: form(PNG, 'a.png')
		});
		expect(csrf.status).toBe(403);
	});
});
