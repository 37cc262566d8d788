import { z } from 'zod';
import { procedure, router } from '../trpc';
import { retention } from '../../metrics/ingest';
import { idleDevices, metricsHistory, metricsTop } from '../../metrics/queries';
import { idleQuerySchema, METRICS_RANGES } from '../../../lib/protocol/metrics';

const deviceId = z.number('Choose a device').int().positive('That is not a device id');

/** Resource history for the Fleet app: per-device charts, the side-by-side view, the idle-servers report. */
export const metricsRouter = router({
	history: procedure('agents.read')
		.input(
			z.object({
				deviceId,
				range: z.enum(METRICS_RANGES, 'The range must be day, week, month or year').default('day')
			})
		)
		.query(({ ctx, input }) => metricsHistory(ctx.db, input.deviceId, input.range)),
	top: procedure('agents.read')
		.input(
			z.object({
				deviceIds: z
					.array(deviceId)
					.min(1, 'Choose at least one device')
					.max(24, 'Compare at most 24 devices at once')
			})
		)
		.query(({ ctx, input }) => metricsTop(ctx.db, input.deviceIds, retention())),
	idle: procedure('agents.read')
		.input(idleQuerySchema.prefault({}))
		.query(({ ctx, input }) => idleDevices(ctx.db, input, retention()))
});
