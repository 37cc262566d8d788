import { describe, expect, it } from 'vitest';
import zlib from 'node:zlib';
import { inflateBody } from './inflate';
import { parseXml } from './xml';
import { parseRequest } from './request';
import { ocsChallenge, ocsCredentialsValid } from './auth';
import { prologFreqHours, prologReply, inventoryReply } from './reply';
import { OcsRefused } from './errors';

const PROLOG = `<?xml version="1.0" encoding="UTF-8"?>
<REQUEST>
  <DEVICEID>web01-2026-01-31-09-15-02</DEVICEID>
  <QUERY>PROLOG</QUERY>
</REQUEST>
`;

async function refusal(p: Promise<unknown>): Promise<OcsRefused> {
	try {
		await p;
	} catch (e) {
		if (e instanceof OcsRefused) return e;
		throw e;
	}
	throw new Error('expected a refusal');
}

const xml = (s: string) => parseXml(Buffer.from(s));

describe('OCS request bodies', () => {
	it('inflates zlib (what Compress::Zlib::compress sends) and gzip (the agent’s fallback)', async () => {
		expect((await inflateBody(zlib.deflateSync(PROLOG))).toString()).toBe(PROLOG);
		expect((await inflateBody(zlib.gzipSync(PROLOG))).toString()).toBe(PROLOG);
	});

	it('refuses a body that is not zlib, naming what it is', async () => {
		const plain = await refusal(inflateBody(Buffer.from(PROLOG)));
		expect(plain.status).toBe(400);
		expect(plain.message).toMatch(/XML is not compressed/);
		const junk = await refusal(inflateBody(Buffer.from('hello, world')));
		expect(junk.message).toMatch(/not zlib-compressed/);
		const broken = await refusal(inflateBody(zlib.deflateSync(PROLOG).subarray(0, 20)));
		expect(broken.message).toMatch(/not valid zlib data/);
		expect((await refusal(inflateBody(new Uint8Array()))).message).toMatch(/empty/);
	});

	it('refuses a zip bomb once the inflated size passes the limit', async () => {
		const bomb = zlib.deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x41), { level: 9 });
		expect(bomb.length).toBeLessThan(100_000);
		const e = await refusal(inflateBody(bomb, 4 * 1024 * 1024));
		expect(e.status).toBe(413);
		expect(e.message).toMatch(/inflates to more than 4 MB/);
	});
});

describe('OCS XML', () => {
	it('decodes the predefined entities and character references', async () => {
		const root = await xml('<R><A>&quot;magic&quot; &amp; &lt;more&gt; &#233;&#x263A;</A></R>');
		expect(root.children[0].text).toBe('"magic" & <more> é☺');
	});

	it('refuses any DOCTYPE, so no entity is ever declared or expanded', async () => {
		const laughs = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><REQUEST><QUERY>&lol2;</QUERY></REQUEST>`;
		expect((await refusal(xml(laughs))).reason).toBe('doctype');
		const xxe = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>`;
		expect((await refusal(xml(xxe))).message).toMatch(/DOCTYPE/);
	});

	it('refuses an undefined entity, bad XML and too deep nesting', async () => {
		expect((await refusal(xml('<r>&nope;</r>'))).message).toMatch(/not well-formed XML: .*undefined entity/);
		expect((await refusal(xml('<r><a></r>'))).message).toMatch(/not well-formed XML/);
		expect((await refusal(xml('{"json": true}'))).message).toMatch(/not well-formed XML/);
		expect((await refusal(xml('<a>'.repeat(20) + '</a>'.repeat(20)))).message).toMatch(
			/nested deeper than 8/
		);
	});
});

describe('OCS requests', () => {
	it('reads a PROLOG', async () => {
		expect(parseRequest(await xml(PROLOG))).toEqual({
			query: 'PROLOG',
			deviceId: 'web01-2026-01-31-09-15-02'
		});
	});

	it('refuses a bad DEVICEID, an unknown query and a foreign root element', async () => {
		const bad = await refusal(xml(PROLOG.replace('web01-2026-01-31-09-15-02', 'web01')).then(parseRequest));
		expect(bad.message).toMatch(/not an OCS device id/);
		const upd = await refusal(xml(PROLOG.replace('PROLOG', 'UPDATE')).then(parseRequest));
		expect(upd.message).toMatch(/UPDATE is not served here/);
		expect((await refusal(xml('<html/>').then(parseRequest))).message).toMatch(/root element is <html>/);
		const noName = PROLOG.replace('PROLOG', 'INVENTORY').replace(
			'<QUERY>',
			'<CONTENT><HARDWARE/></CONTENT><QUERY>'
		);
		expect((await refusal(xml(noName).then(parseRequest))).message).toMatch(/no <HARDWARE><NAME>/);
	});
});

describe('OCS replies and authentication', () => {
	it('answers PROLOG with SEND or STOP and a whole-hour PROLOG_FREQ', () => {
		expect(prologReply(true, 24)).toContain(
			'<REPLY><RESPONSE>SEND</RESPONSE><PROLOG_FREQ>12</PROLOG_FREQ></REPLY>'
		);
		expect(prologReply(false, 0.01)).toContain('<RESPONSE>STOP</RESPONSE><PROLOG_FREQ>1</PROLOG_FREQ>');
		expect(prologFreqHours(720)).toBe(360);
		expect(inventoryReply()).toContain('<REPLY><RESPONSE>NO_ACCOUNT_UPDATE</RESPONSE></REPLY>');
	});

	it('checks Basic credentials', () => {
		const config = { ocs: { password: 'secret-pass', user: 'ocs', realm: 'Fleetdesk OCS', group: 'ocs' } };
		const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
		expect(ocsCredentialsValid(config, basic('ocs', 'secret-pass'))).toBe(true);
		expect(ocsCredentialsValid(config, basic('ocs', 'secret-pasS'))).toBe(false);
		expect(ocsCredentialsValid(config, basic('admin', 'secret-pass'))).toBe(false);
		expect(ocsCredentialsValid(config, null)).toBe(false);
		expect(ocsCredentialsValid({ ocs: { ...config.ocs, password: undefined } }, basic('ocs', ''))).toBe(
			false
		);
		expect(ocsChallenge(config)).toBe('Basic realm="Fleetdesk OCS", charset="UTF-8"');
	});
});
