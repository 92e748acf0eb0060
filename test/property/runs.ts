/**
 * Runs per property. The default keeps the suite quick; FC_RUNS raises it for a deeper search
 * (e.g. FC_RUNS=20000 npx vitest run test/property). A failure prints fast-check's seed and path,
 * which replay it exactly.
 */
export const RUNS = Number(process.env['FC_RUNS'] ?? 500);
