import type { Options } from 'tsup';

/**
 * The tsup options every package spreads into its tsup.config.ts: they inline the private kernel,
 * code and types, so the published package has no runtime dependency on it and its `.d.ts` stands
 * alone, and they keep the CommonJS build free of down-levelling helpers.
 */
export const inlineKernel = {
  noExternal: ['@bulwark/kernel'],
  // With `splitting`, tsup turns esbuild's ESM chunks into CommonJS with sucrase, which also
  // lowers `?.` and `??` into `_optionalChain` / `_nullishCoalesce` helpers, a call per use that
  // Node 20 does not need. Tree shaking hands that conversion to rollup, which leaves the syntax
  // as written (scripts/check-packages.mjs fails on the helpers).
  treeshake: true,
  dts: {
    resolve: ['@bulwark/kernel'],
    // Points the type bundler at the kernel's sources, which it then inlines like local files.
    compilerOptions: { paths: { '@bulwark/kernel': ['../../tools/kernel/src/index.ts'] } },
  },
} satisfies Options;
