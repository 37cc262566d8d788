// Model edits refuse what would lose or orphan data, counting the CIs or relations each edit would touch
// (model-edit.ts countItems), and every edit bumps the model version so cached models are reloaded.
import { describe, expect, it } from 'vitest';
import { dbKinds } from '../helpers/db';
import { actor, rejects, useTestDb, user } from '../helpers/cmdb';
import type { Db } from '../../src/server/db/client';
import { cmdbModelVersion } from '../../src/server/db/schema';
import { loadModel } from '../../src/server/cmdb/model';
import { addAttribute, removeAttribute } from '../../src/server/cmdb/model-attributes';
import { createClass, deleteClass, updateClass } from '../../src/server/cmdb/model-classes';
import { createDomain, deleteDomain, updateDomain } from '../../src/server/cmdb/model-domains';
import { createCi, deleteCi } from '../../src/server/cmdb/cis';
import { relate, unrelate } from '../../src/server/cmdb/relations';

const kinds = await dbKinds();
describe.each(kinds)('CMDB model edits on %s', (kind) => {
	let db: Db;
	useTestDb(kind, (d) => {
		db = d;
	});

	const version = async () => (await db.select().from(cmdbModelVersion))[0].version;

	it('a relation type with relations keeps its classes and cardinality, and is not deleted', async () => {
		const shelf = await createClass(db, actor, { name: 'Shelf' });
		const box = await createClass(db, actor, { name: 'Box' });
		const domainId = await createDomain(db, actor, {
			name: 'ShelfBoxes',
			source: 'Shelf',
			target: 'Box',
			cardinality: '1:N',
			forwardLabel: 'holds',
			reverseLabel: 'stands on'
		});
		// Without relations the cardinality may change (and back).
		await updateDomain(db, actor, domainId, { cardinality: 'N:N' });
		await updateDomain(db, actor, domainId, { cardinality: '1:N' });
		const s = await createCi(db, user, { class: 'Shelf', name: 'shelf-1' });
		const b = await createCi(db, user, { class: 'Box', name: 'box-1' });
		const rel = await relate(db, user, { domain: 'ShelfBoxes', sourceId: s.id, targetId: b.id });

		expect(await rejects(updateDomain(db, actor, domainId, { cardinality: 'N:N' }))).toBe(
			"ShelfBoxes has 1 relation(s); its classes and cardinality can't change while relations exist."
		);
		expect(await rejects(deleteDomain(db, actor, domainId))).toBe(
			'ShelfBoxes has 1 relation(s); remove them first.'
		);
		// Labels are free to change while relations exist.
		await updateDomain(db, actor, domainId, { forwardLabel: 'carries' });
		expect((await loadModel(db)).domain('ShelfBoxes').forwardLabel).toBe('carries');

		await unrelate(db, user, rel);
		await deleteDomain(db, actor, domainId);
		expect((await loadModel(db)).findDomain('ShelfBoxes')).toBeUndefined();
		await deleteCi(db, user, s.id);
		await deleteCi(db, user, b.id);
		await deleteClass(db, actor, shelf);
		await deleteClass(db, actor, box);
	});

	it('removing a relation attribute with values asks for confirmation and counts them', async () => {
		await createClass(db, actor, { name: 'Desk' });
		await createClass(db, actor, { name: 'Lamp' });
		const domainId = await createDomain(db, actor, {
			name: 'DeskLamps',
			source: 'Desk',
			target: 'Lamp',
			cardinality: 'N:N',
			forwardLabel: 'has lamp',
			reverseLabel: 'lights'
		});
		const attr = await addAttribute(db, actor, { domainId }, { name: 'position', type: 'text' });
		const desk = await createCi(db, user, { class: 'Desk', name: 'desk-1' });
		const lamps = [
			await createCi(db, user, { class: 'Lamp', name: 'lamp-1' }),
			await createCi(db, user, { class: 'Lamp', name: 'lamp-2' }),
			await createCi(db, user, { class: 'Lamp', name: 'lamp-3' })
		];
		// Two of three relations have a value for it.
		await relate(db, user, {
			domain: 'DeskLamps',
			sourceId: desk.id,
			targetId: lamps[0].id,
			data: { position: 'left' }
		});
		await relate(db, user, {
			domain: 'DeskLamps',
			sourceId: desk.id,
			targetId: lamps[1].id,
			data: { position: 'right' }
		});
		await relate(db, user, { domain: 'DeskLamps', sourceId: desk.id, targetId: lamps[2].id });

		expect(await rejects(removeAttribute(db, actor, attr))).toBe(
			'2 relation(s) of DeskLamps have a value for position. Confirm to remove it.'
		);
		expect(await removeAttribute(db, actor, attr, true)).toEqual({ removed: true, valuesKept: 2 });
		expect((await loadModel(db)).domain('DeskLamps').attributes).toEqual([]);
	});

	it('a class with CIs of its own or in subclasses keeps its shape', async () => {
		const vehicle = await createClass(db, actor, { name: 'Vehicle' });
		const car = await createClass(db, actor, { name: 'Car', parent: 'Vehicle' });
		const other = await createClass(db, actor, { name: 'Thing' });
		// No CIs anywhere yet: the parent may change and the class may become abstract.
		await updateClass(db, actor, car, { parent: 'Thing' });
		await updateClass(db, actor, car, { parent: 'Vehicle' });
		await updateClass(db, actor, vehicle, { abstract: true });
		await updateClass(db, actor, vehicle, { abstract: false });

		const c = await createCi(db, user, { class: 'Car', name: 'car-1' });
		// Vehicle has no CIs of its own, so it can still become abstract; its parent can't change.
		await updateClass(db, actor, vehicle, { abstract: true });
		expect(await rejects(updateClass(db, actor, vehicle, { parent: 'Thing' }))).toBe(
			'Vehicle (or a subclass) has CIs; changing its parent would change their attributes. Move the CIs first.'
		);
		expect(await rejects(updateClass(db, actor, car, { abstract: true }))).toBe(
			"Car has CIs of its own, so it can't become abstract; move or delete them first."
		);
		expect(await rejects(deleteClass(db, actor, car))).toBe('Car has 1 CI(s); delete or move them first.');
		// A required attribute without a default can't be added while CIs of the class (or below) exist.
		expect(
			await rejects(
				addAttribute(db, actor, { classId: vehicle }, { name: 'wheels', type: 'integer', required: true })
			)
		).toBe(
			'Vehicle already has 1 CI(s) without a value for wheels; give the attribute a default value, or make it optional.'
		);
		await deleteCi(db, user, c.id);
		await updateClass(db, actor, vehicle, { parent: 'Thing' });
		await deleteClass(db, actor, car);
		await deleteClass(db, actor, vehicle);
		await deleteClass(db, actor, other);
	});

	it('every edit bumps the model version; a refused one does not', async () => {
		const before = await version();
		const id = await createClass(db, actor, { name: 'Gadget' });
		const afterCreate = await version();
		expect(afterCreate).toBeGreaterThan(before);
		expect((await loadModel(db)).findClass('Gadget')).toBeDefined();
		expect(await rejects(createClass(db, actor, { name: 'Gadget' }))).toMatch(/already exists/);
		expect(await version()).toBe(afterCreate);
		await deleteClass(db, actor, id);
		expect(await version()).toBeGreaterThan(afterCreate);
		expect((await loadModel(db)).findClass('Gadget')).toBeUndefined();
	});
});
