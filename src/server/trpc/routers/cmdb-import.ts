import { router } from '../trpc';

/** CSV import (dry run, commit) and export of CMDB lists. */
export const cmdbImportRouter = router({});
