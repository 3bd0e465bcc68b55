// `npm run demo` from the repository root: the gateway under about 20 seconds of traffic while an
// upstream shard fails, stalls and recovers, then a summary in plain words and demo-report.html.
//   npm run demo                                   one gateway, everything in memory
//   npm run demo -- --redis redis://127.0.0.1:6379 three gateways sharing one Redis
//   npm run demo -- --duration 5000                a shorter run
import { parseArgs } from 'node:util';
import { deployInMemory } from './gateway/deploy-memory.js';
import { deployOnRedis, redisReachable } from './gateway/deploy-redis.js';
import { runStory } from './gateway/story.js';

const { values } = parseArgs({
  options: {
    redis: { type: 'string' },
    duration: { type: 'string', default: '20000' },
    report: { type: 'string', default: 'demo-report.html' },
  },
});

const durationMs = Number(values.duration);
if (!Number.isFinite(durationMs) || durationMs < 2000) {
  console.error(`--duration must be a number of ms >= 2000, got ${values.duration}`);
  process.exit(2);
}
if (values.redis !== undefined && !(await redisReachable(values.redis))) {
  console.error(
    `No Redis answers at ${values.redis}. Start one with \`redis-server --port 6379\` (Debian: apt-get install -y redis-server; macOS: brew install redis), or run the demo without --redis.`,
  );
  process.exit(1);
}

const deploy = values.redis === undefined ? deployInMemory : deployOnRedis(values.redis);
const summary = await runStory(deploy, { durationMs, reportPath: values.report });
console.log('');
console.log(
  values.redis === undefined
    ? 'What happened (one gateway, in memory):'
    : 'What happened (three gateways on one Redis):',
);
for (const line of summary.lines) console.log(`- ${line}`);
console.log(`\nCharts of the run: ${values.report} (open it in a browser; it works offline).`);
