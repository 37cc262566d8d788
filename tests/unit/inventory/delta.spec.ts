// Section hashes, deltas and their encoding on the agent, and how the server unpacks and checks them.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
	GZIP_ABOVE_BYTES,
	planReport,
	planWithinLimit,
	sectionHash as agentHash,
	sectionHashes
} from '../../../agent/src/modules/inventory/report';
import { nextDue } from '../../../agent/src/modules/inventory';
import {
	INVENTORY_SECTIONS,
	inventoryReportSchema,
	MAX_INVENTORY_JSON_BYTES,
	type InventoryReport
} from '../../../src/lib/protocol/inventory';
import { REPORT_BODIES } from '../../../src/lib/protocol/agent';
import { decodeSections, jsonTextTooDeep, valueTooDeep } from '../../../src/server/inventory/decode';
import { hashSections } from '../../../src/server/inventory/hash';
import { ReportRefused } from '../../../src/server/agents/reports';
import { sampleInventory } from './fixtures';

const meta = { trigger: 'schedule' as const };
/** What the server gets: the report body after the JSON round trip of the link and the protocol's parse. */
const overTheWire = (body: InventoryReport) =>
	REPORT_BODIES.inventory.parse(JSON.parse(JSON.stringify(body)));

describe('planning a report', () => {
	const inv = sampleInventory(1);

	it('sends everything when nothing was sent since start', () => {
		const p = planReport(inv, null, meta);
		expect(p.sent).toBe('full');
		expect(p.body.full).toBe(true);
		expect(p.sections).toEqual([...INVENTORY_SECTIONS]);
		expect(Object.keys(p.body.hashes).sort()).toEqual([...INVENTORY_SECTIONS].sort());
		expect(inventoryReportSchema.safeParse(p.body).success).toBe(true);
	});

	it('sends only the sections whose hash changed, with every hash', () => {
		const first = planReport(inv, null, meta);
		const changed = { ...inv, software: [...inv.software, { ...inv.software[0], name: 'zsh' }] };
		const p = planReport(changed, first.hashes, meta);
		expect(p.sent).toBe('delta');
		expect(p.sections).toEqual(['software']);
		expect(p.body.full).toBe(false);
		expect(Object.keys(p.body.sections as object)).toEqual(['software']);
		expect(p.body.hashes.os).toBe(first.hashes.os);
		expect(p.body.hashes.software).not.toBe(first.hashes.software);
	});

	it('sends no section (only hashes) when nothing changed', () => {
		const first = planReport(inv, null, meta);
		const p = planReport(structuredClone(inv), first.hashes, meta);
		expect(p.sent).toBe('unchanged');
		expect(p.body.sections).toEqual({});
		expect(p.bytes).toBeLessThan(2000);
	});

	it('gzips large sections, and the server gets back exactly what was sent', () => {
		const many = sampleInventory(2, {
			software: Array.from({ length: 3000 }, (_, i) => ({
				name: `pkg-${i}`,
				publisher: 'Debian',
				version: `1.${i}`
			}))
		});
		const p = planReport(many, null, meta);
		expect(p.body.gz).toBeDefined();
		expect(p.body.sections).toBeUndefined();
		expect(p.bytes).toBeLessThan(JSON.stringify(many).length / 3);
		expect(JSON.stringify(many).length).toBeGreaterThan(GZIP_ABOVE_BYTES);
		const got = decodeSections(overTheWire(p.body));
		expect(got).toEqual(many);
	});

	it('computes the same section hashes as the server, after the wire', () => {
		const p = planReport(sampleInventory(3), null, meta);
		expect(hashSections(decodeSections(overTheWire(p.body)))).toEqual(p.hashes);
		expect(agentHash({ b: 1, a: [1, 2] })).toBe(agentHash({ a: [1, 2], b: 1 }));
	});

	it('cuts a software list that would not fit the link, and hashes what it sends', () => {
		const huge = sampleInventory(4, {
			software: Array.from({ length: 40_000 }, (_, i) => ({
				name: `package-${i}-${(i * 2654435761) % 1e9}`,
				publisher: `Publisher ${(i * 7919) % 1e6}`,
				version: `${i}.${(i * 31) % 97}.${(i * 17) % 89}-${(i * 13) % 1e5}`
			}))
		});
		const { plan, inventory, cutSoftware } = planWithinLimit(huge, null, meta, 200_000);
		expect(cutSoftware).toBeGreaterThan(0);
		expect(plan.bytes).toBeLessThanOrEqual(200_000);
		expect(plan.hashes.software).toBe(sectionHashes(inventory).software);
		expect(inventory.software.length).toBe(40_000 - cutSoftware);
	});
});

describe('the server unpacking a report', () => {
	const base = planReport(sampleInventory(5), null, meta).body;
	const refused = (body: unknown) => {
		try {
			decodeSections(REPORT_BODIES.inventory.parse(body));
		} catch (e) {
			expect(e).toBeInstanceOf(ReportRefused);
			return (e as Error).message;
		}
		throw new Error('accepted');
	};

	it('refuses a zip bomb without inflating past the bound', () => {
		// 64 MiB of zeros compress to ~64 KiB
		const bomb = gzipSync(Buffer.alloc(MAX_INVENTORY_JSON_BYTES * 2, 0x20), { level: 9 }).toString('base64');
		expect(bomb.length).toBeLessThan(1_000_000);
		const before = process.memoryUsage().arrayBuffers;
		expect(refused({ ...base, sections: undefined, gz: bomb })).toMatch(/unpacks to more than 32 MiB/);
		expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(MAX_INVENTORY_JSON_BYTES * 1.5);
	});

	it('refuses deep nesting, compressed or not', () => {
		const deep = '['.repeat(100_000) + ']'.repeat(100_000);
		expect(jsonTextTooDeep(deep, 8)).toBe(true);
		expect(jsonTextTooDeep('{"a":"[[[[[[[[[[[["}', 2)).toBe(false);
		expect(
			refused({ ...base, sections: undefined, gz: gzipSync(`{"software":${deep}}`).toString('base64') })
		).toMatch(/nested deeper than 8/);
		let v: unknown = 'x';
		for (let i = 0; i < 50_000; i++) v = [v];
		expect(valueTooDeep(v, 8)).toBe(true);
		expect(refused({ ...base, full: false, sections: { software: v } })).toMatch(/nested deeper than 8/);
	});

	it('refuses garbage and invalid sections with the field named', () => {
		expect(refused({ ...base, sections: undefined, gz: 'bm90IGd6aXA=' })).toMatch(/not valid gzip/);
		expect(refused({ ...base, sections: undefined, gz: gzipSync('not json').toString('base64') })).toMatch(
			/does not hold JSON/
		);
		expect(refused({ ...base, full: false, sections: { software: [{ name: 5 }] } })).toMatch(
			/software\.0\.name/
		);
		expect(refused({ ...base, full: true, sections: { software: [] } })).toMatch(/system/);
		expect(refused({ ...base, full: false, sections: { rootkit: 1 } })).toMatch(/rootkit/);
	});

	it('keeps a delta a delta: sections left out stay out', () => {
		const got = decodeSections(
			REPORT_BODIES.inventory.parse({ ...base, full: false, sections: { usb: [] } })
		);
		expect(got).toEqual({ usb: [] });
	});

	it('needs every section hash in a report', () => {
		const { os: _os, ...fewer } = base.hashes;
		expect(REPORT_BODIES.inventory.safeParse({ ...base, hashes: fewer }).success).toBe(false);
	});
});

describe('scheduling', () => {
	it('puts the first inventory at a random offset in [0, N) after start, then every N', () => {
		const h = 3600_000;
		expect(nextDue({ startedAt: 1000, offset: 0, lastRunAt: null }, 24 * h)).toBe(1000);
		expect(nextDue({ startedAt: 1000, offset: 0.5, lastRunAt: null }, 24 * h)).toBe(1000 + 12 * h);
		expect(nextDue({ startedAt: 1000, offset: 0.5, lastRunAt: 5000 }, 24 * h)).toBe(5000 + 24 * h);
		// a shorter interval from the server keeps the host's place in the spread
		expect(nextDue({ startedAt: 0, offset: 0.25, lastRunAt: null }, 4 * h)).toBe(h);
	});
});
