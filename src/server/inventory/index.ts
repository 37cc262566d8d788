// Inventory: what hosts report about their hardware and software, stored per section and reconciled into the
// CMDB by a worker, in batches. Importing this module registers the agent's `inventory` report handler. See
// docs/inventory.md.
import './report-handler';

export {
	applyInventory,
	type ApplyInventoryOptions,
	type ApplyInventoryResult,
	type InventoryHost
} from './apply';
export { readInventory, storedSections, type StoredInventory } from './store';
export {
	InventoryWorker,
	inventoryWorker,
	kickInventoryWorker,
	startInventoryWorker,
	type WorkerOptions,
	type WorkerStats
} from './worker';
export { pendingHosts, requeueHosts } from './queue';
