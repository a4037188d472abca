/**
 * Benchmarks, loopback only and bounded in time. Every figure is printed next to a
 * reference measured in the same run, with the ratio: absolute numbers on a shared 2-core
 * machine are noise, ratios are not.
 *
 *   npm run bench                        all scenarios on embedded SQLite
 *   BENCH_DB=postgresql npm run bench    on a scratch PostgreSQL database
 *   npm run bench -- search              one scenario: http, conversations, search, knowledge, live, live-audio, xel
 *   npm run bench -- hardening-soak      the hardening suites (run only when named): hardening-crash,
 *                                        hardening-soak, hardening-slowloris
 */
import { conversationsBench } from './conversations.js';
import { crashBench } from './hardening-crash.js';
import { slowlorisBench } from './hardening-slowloris.js';
import { soakBench } from './hardening-soak.js';
import { httpBench } from './http.js';
import { knowledgeBench } from './knowledge.js';
import { liveBench } from './live.js';
import { liveAudioBench } from './live-audio.js';
import { machine } from './lib.js';
import { searchBench } from './search.js';
import { xelBench } from './xel.js';

const scenarios: Record<string, () => Promise<void>> = { http: httpBench, conversations: conversationsBench, search: searchBench, knowledge: knowledgeBench, live: liveBench, 'live-audio': liveAudioBench, xel: xelBench, 'hardening-crash': crashBench, 'hardening-soak': soakBench, 'hardening-slowloris': slowlorisBench };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).filter((a) => a in scenarios);
  console.log(`Xentree gateway benchmarks: ${machine()}`);
  // The hardening suites are long and run only when named.
  for (const name of wanted.length ? wanted : Object.keys(scenarios).filter((n) => !n.startsWith('hardening-'))) await scenarios[name]!();
}

main().then(
  // Some domains keep workers (XEL's grammar checker): the run ends when its scenarios do.
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
  // Database errors quote their SQL, which for bulk inserts is megabytes.
  console.error(e instanceof Error ? `${e.name}: ${e.message.slice(0, 500)}` : e);
  process.exit(1);
  },
);
