import type { Options } from 'tsup';

/**
 * The tsup options that inline the private kernel into a package, code and types, so the
 * published package has no runtime dependency on it and its `.d.ts` stands alone. Spread into
 * each package's tsup.config.ts.
 */
export const inlineKernel = {
  noExternal: ['@bulwark/kernel'],
  dts: {
    resolve: ['@bulwark/kernel'],
    // Points the type bundler at the kernel's sources, which it then inlines like local files.
    compilerOptions: { paths: { '@bulwark/kernel': ['../../tools/kernel/src/index.ts'] } },
  },
} satisfies Options;
